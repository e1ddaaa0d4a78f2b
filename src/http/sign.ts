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

/** A separate key per purpose, so a value signed for one use never verifies as another. */
const purposeKey = (secret: string, purpose: string): Buffer =>
  builtin('node:crypto').createHmac('sha256', secret).update(`matterkit ${purpose} v1`).digest()

/**
 * What a button or menu's signed context says: the action id (Mattermost's action request does
 * not carry it), the bot's data, and optional bindings the receiver checks against the request.
 */
export interface ActionEnvelope {
  /** Action id. */
  a: string
  /** The data the button carries (`ctx.values`). */
  c: Record<string, unknown>
  /** Channel id the button was posted in (checked against the request's `channel_id`). */
  ch?: string
  /** Post id the button is on (checked against the request's `post_id`). */
  p?: string
  /** Expiry, ms since the epoch. */
  e?: number
}

/** What a dialog's signed state says: the callback id it was opened for, the state, an expiry. */
export interface DialogEnvelope {
  /** Callback id (checked against the submission's `callback_id`). */
  cb: string
  /** The state given to `openDialog`. */
  s: unknown
  /** Expiry, ms since the epoch. */
  e: number
}

/**
 * Sign a button or menu context for the receiver (`integration.context._mk`). The action id and the
 * optional channel/post/expiry bindings are inside the signature, so the receiver refuses the
 * context on another post, in another channel, or after `expiresAt`.
 *
 * @example
 * ```ts
 * const _mk = signActionContext('approve', { ticket: 42 }, secret, { channelId })
 * ```
 */
export function signActionContext(
  actionId: string,
  context: Record<string, unknown>,
  secret: string,
  bind: { channelId?: string; postId?: string; expiresAt?: number } = {},
): string {
  const env: ActionEnvelope = { a: actionId, c: context }
  if (bind.channelId) env.ch = bind.channelId
  if (bind.postId) env.p = bind.postId
  if (bind.expiresAt !== undefined) env.e = bind.expiresAt
  return signPayload(env, purposeKey(secret, 'action').toString('hex'))
}

/** Verify a context made by {@link signActionContext}; `undefined` if forged or malformed. */
export function verifyActionContext(signed: unknown, secret: string): ActionEnvelope | undefined {
  const v = verifyPayload<ActionEnvelope>(signed, purposeKey(secret, 'action').toString('hex'))
  if (!v || typeof v !== 'object' || typeof v.a !== 'string') return undefined
  if (!v.c || typeof v.c !== 'object' || Array.isArray(v.c)) return undefined
  return v
}

/**
 * Sign a dialog's `state` for the receiver: bound to `callbackId` and valid until `expiresAt`.
 *
 * @example
 * ```ts
 * const state = signDialogState('deploy', { env: 'prod' }, secret, Date.now() + 86_400_000)
 * ```
 */
export function signDialogState(
  callbackId: string,
  state: unknown,
  secret: string,
  expiresAt: number,
): string {
  const env: DialogEnvelope = { cb: callbackId, s: state ?? null, e: expiresAt }
  return signPayload(env, purposeKey(secret, 'dialog').toString('hex'))
}

/** Verify a state made by {@link signDialogState}; `undefined` if forged or malformed. */
export function verifyDialogState(signed: unknown, secret: string): DialogEnvelope | undefined {
  const v = verifyPayload<DialogEnvelope>(signed, purposeKey(secret, 'dialog').toString('hex'))
  if (!v || typeof v !== 'object' || typeof v.cb !== 'string' || typeof v.e !== 'number') return undefined
  return v
}

/**
 * The signing secret a bot uses when none is configured: derived from its token, so it survives
 * restarts and replicas, and changes when the token is rotated (old buttons then stop working).
 *
 * @example
 * ```ts
 * const secret = defaultSigningSecret(process.env.MATTERMOST_TOKEN!)
 * ```
 */
export function defaultSigningSecret(token: string): string {
  return builtin('node:crypto').createHmac('sha256', token).update('matterkit signing v1').digest('hex')
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
