/**
 * Secret redaction. Every log line, error message and debug dump passes through here.
 * @module
 */

/** Object keys whose values are always secret (compared case-insensitively, `-`/`_` ignored). */
const SECRET_KEYS = new Set([
  'token',
  'password',
  'passwd',
  'secret',
  'authorization',
  'cookie',
  'setcookie',
  'mfatoken',
  'mfa',
  'accesstoken',
  'refreshtoken',
  'clientsecret',
  'apikey',
  'xcsrftoken',
  'csrf',
  'mmauthtoken',
  'signingsecret',
])

/** The placeholder that replaces secrets. */
export const REDACTED = '[REDACTED]'

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '')
}

/** True when a key (header, field, query parameter) names a secret. */
export function isSecretKey(key: string): boolean {
  const k = normaliseKey(key)
  return SECRET_KEYS.has(k) || k.endsWith('token') || k.endsWith('password') || k.endsWith('secret')
}

/**
 * A registry of secret values known at run time (the token in use, a password). Any string
 * passed through {@link redactString} has them replaced, wherever they appear.
 */
export class SecretRegistry {
  #values = new Set<string>()

  /** Remember a secret value (ignored when shorter than 4 characters). */
  add(value: string | undefined | null): void {
    if (value && value.length >= 4) this.#values.add(value)
  }

  /** Forget a secret value. */
  delete(value: string | undefined | null): void {
    if (value) this.#values.delete(value)
  }

  /** Replace every known secret in `text`. */
  scrub(text: string): string {
    let out = text
    for (const v of this.#values) if (out.includes(v)) out = out.split(v).join(REDACTED)
    return out
  }

  /** Number of known secrets. */
  get size(): number {
    return this.#values.size
  }

  toJSON(): string {
    return `[SecretRegistry ${this.#values.size}]`
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toJSON()
  }
}

/** The process-wide registry: every client registers its token and password here. */
export const globalSecrets = new SecretRegistry()

const PATTERNS: Array<[RegExp, string]> = [
  [/\b(bearer|token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  [/([?&;](?:access_token|token|password|secret)=)[^&\s#"']+/gi, `$1${REDACTED}`],
  [/(MMAUTHTOKEN=)[^;\s"']+/gi, `$1${REDACTED}`],
  [/("(?:token|password|secret|access_token|mfa_token|authorization)"\s*:\s*")[^"]*"/gi, `$1${REDACTED}"`],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, `$1${REDACTED}@`],
]

/** Remove secrets from a string: known secret values and common secret-bearing patterns. */
export function redactString(text: string, registry: SecretRegistry = globalSecrets): string {
  let out = registry.scrub(text)
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep)
  return out
}

/**
 * Deep-copy a value with every secret removed: secret keys become `[REDACTED]`, strings are
 * scrubbed, buffers are summarised. Safe on cycles.
 */
export function redact<T>(value: T, registry: SecretRegistry = globalSecrets): T {
  return redactInner(value, registry, new WeakSet()) as T
}

/**
 * An error stays an `Error` of the same class (so pino's `err` serializer prints its stack and
 * `instanceof` still works), with its message, stack, cause and own fields (code, status, server
 * error id, request id) redacted.
 */
function redactError(err: Error, registry: SecretRegistry, seen: WeakSet<object>): Error {
  const copy = Object.create(Object.getPrototypeOf(err) as object) as Error
  for (const [k, v] of Object.entries(err)) {
    ;(copy as unknown as Record<string, unknown>)[k] =
      isSecretKey(k) && v !== undefined && v !== '' ? REDACTED : redactInner(v, registry, seen)
  }
  const hidden = { enumerable: false, writable: true, configurable: true }
  Object.defineProperty(copy, 'name', { ...hidden, value: err.name })
  Object.defineProperty(copy, 'message', { ...hidden, value: redactString(err.message, registry) })
  if (err.stack) Object.defineProperty(copy, 'stack', { ...hidden, value: redactString(err.stack, registry) })
  if (err.cause !== undefined)
    Object.defineProperty(copy, 'cause', { ...hidden, value: redactInner(err.cause, registry, seen) })
  return copy
}

function redactInner(value: unknown, registry: SecretRegistry, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value, registry)
  if (value === null || typeof value !== 'object') return value
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.byteLength} bytes]`
  if (seen.has(value)) return '[Circular]'
  seen.add(value)
  if (Array.isArray(value)) return value.map(v => redactInner(v, registry, seen))
  if (value instanceof Error) return redactError(value, registry, seen)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== '' ? REDACTED : redactInner(v, registry, seen)
  }
  return out
}
