/**
 * Signing of the `context` the bot puts into buttons and the `state` it puts into dialogs:
 * Mattermost passes them back unsigned, so the receiver checks an HMAC to know they are ours.
 * @module
 */
import { builtin } from '../core/builtins.js'

const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64url')

/**
 * Sign a JSON-serialisable value: `base64url(json).base64url(hmac-sha256)`.
 *
 * @example
 * ```ts
 * const state = signPayload({ env: 'prod' }, secret)
 * verifyPayload(state, secret) // { env: 'prod' }
 * ```
 */
export function signPayload(value: unknown, secret: string): string {
  const body = b64(JSON.stringify(value ?? null))
  return `${body}.${b64(builtin('node:crypto').createHmac('sha256', secret).update(body).digest())}`
}

/**
 * Verify and decode a value made by {@link signPayload}; `undefined` if forged, made with another
 * secret, or malformed. The comparison is constant-time.
 *
 * @example
 * ```ts
 * const state = verifyPayload<{ env: string }>(submission.state, secret)
 * if (!state) throw new Error('forged')
 * ```
 */
export function verifyPayload<T = unknown>(signed: unknown, secret: string): T | undefined {
  if (typeof signed !== 'string') return undefined
  const dot = signed.indexOf('.')
  if (dot <= 0) return undefined
  const body = signed.slice(0, dot)
  const mac = Buffer.from(signed.slice(dot + 1), 'base64url')
  const { createHmac, timingSafeEqual } = builtin('node:crypto')
  const want = createHmac('sha256', secret).update(body).digest()
  if (mac.length !== want.length || !timingSafeEqual(mac, want)) return undefined
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString()) as T
  } catch {
    return undefined
  }
}

/**
 * Constant-time comparison of a presented token with any of the expected ones (empty expected
 * tokens never match).
 *
 * @example
 * ```ts
 * tokenMatches(received, ['token-a', 'token-b']) // true or false
 * ```
 */
export function tokenMatches(presented: string, expected: readonly string[]): boolean {
  const { timingSafeEqual } = builtin('node:crypto')
  const p = Buffer.from(presented)
  let ok = false
  for (const e of expected) {
    const b = Buffer.from(e)
    // Compare equal-length buffers only; a length mismatch still costs one comparison.
    let same = false
    if (b.length === p.length) same = timingSafeEqual(b, p)
    else timingSafeEqual(b, b)
    ok = ok || (same && e.length > 0)
  }
  return ok
}
