/**
 * Server URL normalising: one user-supplied string → the REST base, the WebSocket URL and a
 * display form.
 * @module
 */
import { ConfigError } from './errors.js'

/** A Mattermost server address in every form a client needs. */
export interface ServerUrl {
  /** Origin plus subpath, no trailing slash: `https://chat.example.com/mm`. */
  readonly base: string
  /** REST API root: `https://chat.example.com/mm/api/v4`. */
  readonly api: string
  /** WebSocket endpoint: `wss://chat.example.com/mm/api/v4/websocket`. */
  readonly websocket: string
  /** `true` when the scheme is `https`. */
  readonly secure: boolean
}

/**
 * Normalise a server URL. No scheme → `https://`; trailing slashes and a trailing `/api/v4` are
 * removed; a subpath is kept; `ws(s)` schemes map back to `http(s)`.
 *
 * @example
 * ```ts
 * normaliseServerUrl('chat.example.com/').api // 'https://chat.example.com/api/v4'
 * ```
 * @throws {ConfigError} when the value is empty or not a URL.
 */
export function normaliseServerUrl(input: string): ServerUrl {
  const raw = (input ?? '').trim()
  if (!raw) {
    throw new ConfigError(
      'No Mattermost URL given. Pass `url` (e.g. "https://chat.example.com") or set MATTERMOST_URL.',
    )
  }
  let withScheme = raw
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) withScheme = `https://${raw}`
  let u: URL
  try {
    u = new URL(withScheme)
  } catch {
    throw new ConfigError(`"${raw}" is not a valid URL. Use a form like "https://chat.example.com".`)
  }
  if (u.protocol === 'ws:') u.protocol = 'http:'
  if (u.protocol === 'wss:') u.protocol = 'https:'
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ConfigError(`Unsupported URL scheme "${u.protocol}" in "${raw}". Use http:// or https://.`)
  }
  if (u.username || u.password) {
    throw new ConfigError('Do not put credentials in the server URL; pass `token` or `login` instead.')
  }
  let path = u.pathname.replace(/\/+$/, '')
  path = path.replace(/\/api\/v4(\/websocket)?$/, '')
  const base = `${u.protocol}//${u.host}${path}`
  const secure = u.protocol === 'https:'
  return {
    base,
    api: `${base}/api/v4`,
    websocket: `${secure ? 'wss' : 'ws'}://${u.host}${path}/api/v4/websocket`,
    secure,
  }
}
