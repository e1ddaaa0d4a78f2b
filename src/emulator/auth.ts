/**
 * Token → session resolution, shared by REST (`App.sessionFor`), the WebSocket upgrade (header or
 * cookie) and the in-band `authentication_challenge`, so that all three refuse the same tokens.
 * @module
 */
import type { Store } from './store.js'
import type { Session } from './store-types.js'

/**
 * The session a token stands for, or `undefined` when the token is unknown, belongs to a revoked,
 * disabled or expired personal access token, or to a deactivated user (the real server revokes a
 * deactivated user's sessions and refuses their access tokens in `GetSession`).
 */
export function sessionForToken(store: Store, token: string | undefined): Session | undefined {
  if (!token) return undefined
  const s = store.sessions.get(token)
  if (!s) return undefined
  if (s.tokenId) {
    const t = store.tokens.get(s.tokenId)
    if (!t?.is_active || (t.expires_at && t.expires_at < store.wallNow())) return undefined
  }
  const u = store.users.get(s.userId)
  if (!u || u.delete_at) return undefined
  return s
}
