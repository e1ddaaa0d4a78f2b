/**
 * Reading Mattermost's response headers: one header as a string, and how long a 429 asks to wait
 * (`Retry-After` in seconds or as a date, else `X-RateLimit-Reset`, else 1 s).
 * @module
 */

/** Response headers as the wires give them. */
export type ResponseHeaders = Record<string, string | string[] | undefined>

/** The first value of header `name` (lower-case), or ''. */
export function header(headers: ResponseHeaders, name: string): string {
  const v = headers[name]
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '')
}

/** Milliseconds a rate-limited response asks the client to wait. */
export function retryAfter(headers: ResponseHeaders): number {
  const ra = header(headers, 'retry-after')
  if (ra) {
    const n = Number(ra)
    if (Number.isFinite(n)) return Math.max(0, n * 1000)
    const d = Date.parse(ra)
    if (Number.isFinite(d)) return Math.max(0, d - Date.now())
  }
  const reset = Number(header(headers, 'x-ratelimit-reset'))
  return Number.isFinite(reset) && reset > 0 ? reset * 1000 : 1000
}
