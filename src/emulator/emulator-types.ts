/**
 * The public types of `matterkit/emulator`: options, the seed, fault injection, the handle.
 * @module
 */
import type { Channel, ChannelMember, Team, TeamMember } from '../types/index.js'
import type { EmulatorConfig, RateLimitOptions } from './app.js'

/**
 * Options of {@link startEmulator}.
 *
 * @example
 * ```ts
 * const opts: EmulatorOptions = { port: 8065, persist: '.matterkit/state', rateLimit: { perSecond: 10, burst: 100 } }
 * ```
 */
export interface EmulatorOptions {
  /** TCP port; 0 (default) picks a free one. The CLI uses 8065. */
  port?: number
  /** Interface to bind; default `127.0.0.1`. */
  host?: string
  /** Public URL used for `response_url` etc.; default the emulator's own URL. */
  siteUrl?: string
  /**
   * Directory for state that survives a restart (an append-only journal, or SQLite when the
   * user has installed `better-sqlite3`). Default: in memory only. A 2xx is sent only once its changes
   * are written (they survive the process being killed); state that cannot be read back makes
   * `startEmulator` reject with `CorruptStateError` and leaves the files as they are.
   */
  persist?: string
  /**
   * The store `persist` uses: `'sqlite'` (needs the package `better-sqlite3`, which matterkit does not install; an
   * error says so when it is missing), `'journal'` (an append-only file compacted at start-up),
   * or `'auto'` (default: SQLite when `better-sqlite3` loads, else the journal).
   */
  persistWith?: 'auto' | 'sqlite' | 'journal'
  /** Mattermost-style rate limiting (GCRA, real headers, plain-text 429); off by default. */
  rateLimit?: RateLimitOptions | false
  /** Config overrides (see {@link EmulatorConfig}). */
  config?: Partial<EmulatorConfig>
  /**
   * Receives one line per HTTP request (`POST /api/v4/posts 201 2ms`, path only) and per internal
   * error. Tokens, passwords and query strings are never logged.
   */
  log?: (line: string) => void
  /**
   * Server WebSocket ping interval in ms. Default 60 000, the real server's value; tests of
   * keep-alive logic may lower it.
   */
  wsPingIntervalMs?: number
  /** Create the seed team, channels and users (default true). */
  seed?: boolean
}

/**
 * A seeded or created user. Humans have a password; every user has a ready token (a personal
 * access token, usable as `Authorization: Bearer <token>`).
 *
 * @example
 * ```ts
 * const { alice } = emu.seed.users
 * await fetch(`${emu.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${alice.token}` } })
 * ```
 */
export interface SeedUser {
  id: string
  username: string
  email: string
  token: string
  password?: string
  is_bot: boolean
}

/**
 * A seeded or created channel.
 *
 * @example
 * ```ts
 * const { id, name } = emu.seed.channels.townSquare // name 'town-square'
 * ```
 */
export type SeedChannel = Pick<Channel, 'id' | 'name' | 'display_name' | 'type' | 'team_id'>

/**
 * What the emulator creates at start. `admin` is a system admin; alice, bob and the bot
 * (`matterbot`) are team members and in town-square and off-topic; `privateRoom`
 * ('private-room', type P) holds admin and alice only. Passwords: `admin-password-1`,
 * `alice-password-1`, `bob-password-1`. Tokens are new on every run (kept with `persist`).
 *
 * @example
 * ```ts
 * const { team, channels, users } = emu.seed
 * ```
 */
export interface Seed {
  team: Pick<Team, 'id' | 'name' | 'display_name'>
  channels: { townSquare: SeedChannel; offTopic: SeedChannel; privateRoom: SeedChannel }
  users: { admin: SeedUser; alice: SeedUser; bob: SeedUser; bot: SeedUser }
}

/**
 * Fault injection for tests.
 *
 * @example
 * ```ts
 * emu.faults.failNext(2, 503, { path: /\/posts$/ })
 * emu.faults.dropSockets()
 * emu.faults.reset()
 * ```
 */
export interface Faults {
  /** Terminate every WebSocket; the connections stay resumable, as on a real server. */
  dropSockets(): void
  /** Stop writing to every socket (no pings, no events) for `ms`: a half-open link. */
  stallSockets(ms: number): void
  /** The next resume attempt(s) cannot replay: new `connection_id` + `hello`, seq from 0. */
  forceSequenceGap(): void
  /** The next `n` REST calls (matching `path`) answer `status` (429 is plain text with real headers). */
  failNext(n: number, status: number, opts?: { path?: RegExp; retryAfterSec?: number }): void
  /** Add `ms` of latency to every REST response until `reset()`. */
  slow(ms: number): void
  /**
   * Move the emulator's clock `ms` ahead, so expiries can be tested without waiting: trigger ids
   * (30 s), `response_url`s (30 min), the `pending_post_id` window (30 s), access-token
   * expiry, and inactive connections (resumable for 5 min; reaped at once). Timestamps go on
   * from the moved clock. The clock never goes back, so `reset()` leaves it where it is.
   *
   * @example
   * ```ts
   * emu.faults.advanceClock(30 * 60_000 + 1) // the command's response_url now answers 404
   * ```
   */
  advanceClock(ms: number): void
  /** Clear every fault. */
  reset(): void
}

/**
 * A running emulator.
 *
 * @example
 * ```ts
 * const emu = await startEmulator()
 * const carol = emu.createUser({ username: 'carol', password: 'carol-password-1' })
 * emu.addToChannel(emu.seed.channels.townSquare.id, carol.id)
 * await emu.stop()
 * ```
 */
export interface Emulator {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string
  readonly seed: Seed
  /** Live config; tests may toggle features. */
  readonly config: EmulatorConfig
  readonly faults: Faults
  /** Create a user with a token (bots also get a Bot record owned by admin) and add it to the seed team. */
  createUser(input: {
    username: string
    password?: string
    is_bot?: boolean
    roles?: string
    email?: string
  }): SeedUser
  /** Create a channel in the seed team (or `team_id`), with the given members. */
  createChannel(input: {
    name: string
    display_name?: string
    type?: 'O' | 'P'
    members?: string[]
    team_id?: string
  }): SeedChannel
  /** Add a user to a channel (emits `user_added` when new); returns the membership. */
  addToChannel(channelId: string, userId: string): ChannelMember
  /** Add a user to a team (default the seed team; emits `added_to_team`). */
  addToTeam(userId: string, teamId?: string): TeamMember
  /** Create a post as a user, as `POST /posts` would (events, hooks). */
  post(userId: string, channelId: string, message: string, rootId?: string): { id: string }
  /** Number of live WebSocket connections. */
  readonly liveSockets: number
  /** Close every socket and the server (and flush persisted state). */
  stop(): Promise<void>
}
