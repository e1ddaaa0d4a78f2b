/**
 * Reading Mattermost's response headers: one header as a string, and how long a 429 asks to wait
 * (`Retry-After` in seconds or as a date, else `X-RateLimit-Reset`), clamped so that a hostile or
 * broken value can neither freeze the client nor make it hammer the server.
 * @module
 */

/** Response headers as the wires give them. */
export type ResponseHeaders = Record<string, string | string[] | undefined>

/** The first value of header `name` (lower-case), or ''. */
export function header(headers: ResponseHeaders, name: string): string {
  const v = headers[name]
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '')
}

/** How long a rate-limited response asks to wait, after clamping. */
export interface RetryAfter {
  /** Milliseconds to wait. */
  ms: number
  /** What the server asked for, in ms (NaN when it gave nothing usable). */
  askedMs: number
  /** The server asked for more than `maxMs`: the wait was cut to it. */
  capped: boolean
}

/**
 * Milliseconds a rate-limited response asks the client to wait. Mattermost sends both headers as
 * whole seconds (server/channels/app/ratelimit.go, through throttled's HTTPRateLimiter). A value
 * that is missing, zero, negative or not a number gives `fallbackMs` (the caller's backoff), one
 * above `maxMs` is cut to `maxMs`.
 */
export function retryAfter(headers: ResponseHeaders, fallbackMs: number, maxMs: number): RetryAfter {
  const asked = askedMs(headers)
  if (!(asked > 0)) return { ms: Math.min(fallbackMs, maxMs), askedMs: asked, capped: false }
  if (asked > maxMs) return { ms: maxMs, askedMs: asked, capped: true }
  return { ms: asked, askedMs: asked, capped: false }
}

function askedMs(headers: ResponseHeaders): number {
  const ra = header(headers, 'retry-after').trim()
  if (ra) {
    const n = Number(ra)
    if (Number.isFinite(n)) return n * 1000
    const d = Date.parse(ra)
    if (Number.isFinite(d)) return d - Date.now()
  }
  const reset = header(headers, 'x-ratelimit-reset').trim()
  return reset ? Number(reset) * 1000 : Number.NaN
}
