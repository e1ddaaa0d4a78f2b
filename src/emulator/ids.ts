/**
 * Mattermost ids and names: new 26-char ids, and the server's `IsValidId` and username rules.
 * @module
 */
import { randomBytes } from 'node:crypto'

const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769'

/** Random bytes drawn 26 at a time (one `randomBytes` call per 157 ids, not per id). */
const POOL = 26 * 157
let pool = Buffer.alloc(0)
let poolAt = POOL

/** A 26-char Mattermost-style id. */
export function newId(): string {
  if (poolAt >= POOL) {
    pool = randomBytes(POOL)
    poolAt = 0
  }
  let out = ''
  for (let i = poolAt; i < poolAt + 26; i++) out += ALPHABET[pool[i]! & 31]
  poolAt += 26
  return out
}

/** Mattermost's `IsValidId`: 26 alphanumeric chars. */
export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && id.length === 26 && /^[a-z0-9]+$/.test(id)
}

/** Mattermost's username rule: 3–22 chars, starts with a letter, `a-z0-9.-_`. */
export function isValidUsername(name: unknown): name is string {
  return typeof name === 'string' && /^[a-z][a-z0-9.\-_]{2,21}$/.test(name)
}
