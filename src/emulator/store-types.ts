/**
 * The types of the emulator's stored state (see store.ts): users with their secrets, sessions,
 * personal access tokens, and the row kinds the persistence layer writes.
 * @module
 */
import type { User } from '../types/index.js'

/** A stored user with the secrets the server keeps to itself. */
export interface StoredUser extends User {
  password?: string
}

/** A resolved token. `tokenId` is set for personal access tokens. */
export interface Session {
  token: string
  userId: string
  isIntegration: boolean
  tokenId?: string
  /** The `MMCSRF` value of a web (cookie) login session. */
  csrf?: string
}

/** A personal access token as stored (the secret stays server-side). */
export interface StoredToken {
  id: string
  token: string
  user_id: string
  description: string
  is_active: boolean
  expires_at: number
}

/** Row kinds the persistence layer knows. Keys: ids, or `a:b` for membership rows. */
export type Kind =
  | 'user'
  | 'session'
  | 'token'
  | 'bot'
  | 'team'
  | 'teamMember'
  | 'channel'
  | 'channelMember'
  | 'post'
  | 'reactions'
  | 'edits'
  | 'threadMember'
  | 'file'
  | 'status'
  | 'prefs'
  | 'command'
  | 'inhook'
  | 'outhook'
  | 'meta'

/** Receives changed rows (see persist.ts). */
export type TouchListener = (kind: Kind, key: string) => void
