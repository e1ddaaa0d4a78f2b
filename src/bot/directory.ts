/**
 * Looking up channels (by id, `@username` for a DM, name or display name) and users (by id or
 * username), with a per-process cache: the one resolver of the bot (`ctx.send`, `ctx.dm`) and the
 * CLI (`send`, `listen --channel`, `chat`), so a channel reference means the same everywhere.
 * @module
 */

import { MatterkitError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { Client } from '../realtime/client.js'

const ID = /^[a-z0-9]{26}$/

/**
 * Channel and user lookup with caching.
 *
 * @example
 * ```ts
 * const dir = new Directory(client)
 * await dir.channel('Town Square') // the channel id
 * ```
 */
export class Directory {
  readonly #client: Client
  readonly #channels = new Map<string, string>()
  readonly #users = new Map<string, string>()
  readonly #team: string | undefined
  /** `team` (name or id) limits channel lookups to one team. */
  constructor(client: Client, team?: string) {
    this.#client = client
    this.#team = team
  }

  /**
   * Ids of the usernames in an allow-list (lower-cased username → id); ids and `*` are skipped.
   * Unknown names are logged, not thrown: the bot still starts.
   */
  async userIds(list: readonly string[], log: Logger): Promise<Map<string, string>> {
    const names = list.map(n => n.replace(/^@/, '')).filter(n => n !== '*' && !ID.test(n))
    const resolved = new Map<string, string>()
    if (!names.length) return resolved
    try {
      for (const u of await this.#client.users.getByUsernames(names))
        resolved.set(u.username.toLowerCase(), u.id)
    } catch (err) {
      log.warn({ err }, 'could not look up allowedUsers by username')
    }
    const missing = names.filter(n => !resolved.has(n.toLowerCase()))
    if (missing.length) log.warn({ missing }, `allowedUsers: no such user(s): ${missing.join(', ')}`)
    return resolved
  }

  /** The bot's teams (only the configured one, if any). */
  async teams(): Promise<Array<{ id: string; name: string }>> {
    const all = await this.#client.teams.forUser('me')
    if (!this.#team) return all
    const want = this.#team.toLowerCase()
    const t = all.filter(x => x.id === this.#team || x.name.toLowerCase() === want)
    if (!t.length)
      throw new MatterkitError(
        'MK_ERR_NOT_FOUND',
        `The bot is not in team "${this.#team}" (option team / MATTERMOST_TEAM). Add it to the team, or fix the name.`,
      )
    return t
  }

  /**
   * A channel id from an id, `@username` (the direct channel with that user), a name
   * (`town-square`, `~town-square`, any case) or a display name, among the bot's channels in its
   * teams (the configured team only, if any). A display-name match wins over a name match.
   */
  async channel(nameOrId: string): Promise<string> {
    if (ID.test(nameOrId)) return nameOrId
    if (nameOrId.startsWith('@')) {
      const cached = this.#channels.get(nameOrId.toLowerCase())
      if (cached) return cached
      const [me, other] = await Promise.all([this.#client.users.me(), this.user(nameOrId)])
      const id = (await this.#client.channels.direct(me.id, other)).id
      this.#channels.set(nameOrId.toLowerCase(), id)
      return id
    }
    const key = nameOrId.replace(/^[~#]/, '')
    const cached = this.#channels.get(key)
    if (cached) return cached
    let byName: string | undefined
    for (const t of await this.teams()) {
      for (const c of await this.#client.channels.forUser('me', t.id)) {
        if (c.display_name === key) {
          this.#channels.set(key, c.id)
          return c.id
        }
        if (c.name === key.toLowerCase()) byName ??= c.id
      }
    }
    if (byName) {
      this.#channels.set(key, byName)
      return byName
    }
    throw new MatterkitError(
      'MK_ERR_NOT_FOUND',
      `No channel "${nameOrId}" among this account's channels (by display name or name). Add the account to the channel, or pass its id.`,
    )
  }

  /** A user id from an id or a username (`alice`, `@alice`). */
  async user(nameOrId: string): Promise<string> {
    if (ID.test(nameOrId)) return nameOrId
    const name = nameOrId.replace(/^@/, '').toLowerCase()
    let id = this.#users.get(name)
    if (!id) {
      id = (await this.#client.users.getByUsername(name)).id
      this.#users.set(name, id)
    }
    return id
  }
}
