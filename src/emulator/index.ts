/**
 * `matterkit/emulator`: a local Mattermost-compatible server (REST + WebSocket over real sockets).
 *
 * @example
 * ```ts
 * import { startEmulator } from 'matterkit/emulator'
 * const emu = await startEmulator({ port: 0 })
 * console.log(emu.url, emu.seed.users.bot.token)
 * await emu.stop()
 * ```
 * @module
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Channel, Team } from '../types/index.js'
import { App, type EmulatorConfig } from './app.js'
import { Hub } from './hub.js'
import { registerIntegrations } from './integrations.js'
import { createPost } from './posts.js'
import { registerCore } from './rest-core.js'
import { registerPosts } from './rest-posts.js'
import { Store, type StoredUser } from './store.js'

export type { EmulatorConfig } from './app.js'

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number
  /** Interface to bind; default `127.0.0.1`. */
  host?: string
  /** Public URL used for `response_url` etc.; default the emulator's own URL. */
  siteUrl?: string
  /** Mattermost-style rate limiting (GCRA); off by default. */
  rateLimit?: { perSecond: number; burst: number } | false
  /** Config overrides. */
  config?: Partial<EmulatorConfig>
  /** Server WebSocket ping interval in ms (real server: 60 000). */
  wsPingIntervalMs?: number
  /** Create the seed team, channels and users (default true). */
  seed?: boolean
}

/** A seeded user. Humans have a password; every user has a ready token. */
export interface SeedUser {
  id: string
  username: string
  email: string
  token: string
  password?: string
  is_bot: boolean
}

/** A seeded channel. */
export type SeedChannel = Pick<Channel, 'id' | 'name' | 'display_name' | 'type' | 'team_id'>

/** What the emulator creates at start. */
export interface Seed {
  team: Pick<Team, 'id' | 'name' | 'display_name'>
  channels: { townSquare: SeedChannel; offTopic: SeedChannel; privateRoom: SeedChannel }
  users: { admin: SeedUser; alice: SeedUser; bob: SeedUser; bot: SeedUser }
}

/** Fault injection for tests. */
export interface Faults {
  /** Terminate every WebSocket; the connections stay resumable, as on a real server. */
  dropSockets(): void
  /** Stop reading and writing on every socket for `ms` (a half-open link). */
  stallSockets(ms: number): void
  /** The next resume attempt cannot replay: new `connection_id` + `hello`. */
  forceSequenceGap(): void
  /** The next `n` REST calls (matching `path`) answer `status` (429 is plain text with real headers). */
  failNext(n: number, status: number, opts?: { path?: RegExp; retryAfterSec?: number }): void
  /** Add latency to every REST response. */
  slow(ms: number): void
  /** Clear every fault. */
  reset(): void
}

/** A running emulator. */
export interface Emulator {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string
  readonly seed: Seed
  /** Live config; tests may toggle features. */
  readonly config: EmulatorConfig
  readonly faults: Faults
  /** Create a user (with a token) and add it to the seed team. */
  createUser(input: { username: string; password?: string; is_bot?: boolean; roles?: string }): SeedUser
  /** Create a channel in the seed team. */
  createChannel(input: {
    name: string
    display_name?: string
    type?: 'O' | 'P'
    members?: string[]
  }): SeedChannel
  /** Add a user to a channel (emits `user_added`). */
  addToChannel(channelId: string, userId: string): void
  /** Create a post as a user, as `POST /posts` would. */
  post(userId: string, channelId: string, message: string, rootId?: string): { id: string }
  /** Number of live WebSocket connections. */
  readonly liveSockets: number
  stop(): Promise<void>
}

/**
 * Start an emulator.
 *
 * @example
 * ```ts
 * const emu = await startEmulator()
 * const mm = new Client({ url: emu.url, token: emu.seed.users.bot.token })
 * ```
 */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const store = new Store()
  const config: EmulatorConfig = {
    EnableCommands: true,
    EnableIncomingWebhooks: true,
    EnableOutgoingWebhooks: true,
    EnableUserAccessTokens: false,
    EnableBotAccountCreation: false,
    EnablePostUsernameOverride: true,
    EnablePostIconOverride: true,
    MaximumPayloadSizeBytes: 300_000,
    MaxFileSize: 104_857_600,
    SiteURL: '',
    ...opts.config,
  }
  const hub = new Hub(store, { pingIntervalMs: opts.wsPingIntervalMs ?? 60_000, authTimeoutMs: 5000 })
  const app = new App(store, hub, config)
  if (opts.rateLimit) app.rate = { ...opts.rateLimit, tat: new Map() }
  registerCore(app)
  registerPosts(app)
  registerIntegrations(app)

  const server = createServer((req, res) => {
    app.handle(req, res).catch(() => res.destroy())
  })
  server.keepAliveTimeout = 60_000
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/$/, '')
    if (path !== '/api/v4/websocket') {
      socket.destroy()
      return
    }
    hub.handleUpgrade(req, socket, head, app.sessionFor(req))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve())
  })
  const addr = server.address() as AddressInfo
  const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`
  config.SiteURL ||= opts.siteUrl ?? url

  const team = store.createTeam('matterkit', 'Matterkit')
  const seedUser = (u: StoredUser, password?: string): SeedUser => {
    store.teamMembers.get(team.id)!.add(u.id)
    const s = store.createSession(u.id, !password)
    return {
      id: u.id,
      username: u.username,
      email: u.email,
      token: s.token,
      is_bot: u.is_bot,
      ...(password ? { password } : {}),
    }
  }
  const admin = seedUser(
    store.createUser({ username: 'admin', password: 'admin-password-1', roles: 'system_user system_admin' }),
    'admin-password-1',
  )
  const alice = seedUser(
    store.createUser({ username: 'alice', password: 'alice-password-1' }),
    'alice-password-1',
  )
  const bob = seedUser(store.createUser({ username: 'bob', password: 'bob-password-1' }), 'bob-password-1')
  const bot = seedUser(store.createUser({ username: 'matterbot', is_bot: true }))
  const ch = (name: string, display: string, type: 'O' | 'P', members: string[]): SeedChannel => {
    const c = store.createChannel({
      team_id: team.id,
      name,
      display_name: display,
      type,
      creator_id: admin.id,
    })
    for (const m of members) store.addChannelMember(c.id, m)
    return { id: c.id, name: c.name, display_name: c.display_name, type: c.type, team_id: c.team_id }
  }
  const everyone = [admin.id, alice.id, bob.id, bot.id]
  const seed: Seed = {
    team: { id: team.id, name: team.name, display_name: team.display_name },
    channels: {
      townSquare: ch('town-square', 'Town Square', 'O', everyone),
      offTopic: ch('off-topic', 'Off-Topic', 'O', everyone),
      privateRoom: ch('private-room', 'Private Room', 'P', [admin.id, alice.id]),
    },
    users: { admin, alice, bob, bot },
  }

  const faults: Faults = {
    dropSockets: () => hub.dropSockets(),
    stallSockets: ms => hub.stallSockets(ms),
    forceSequenceGap: () => {
      hub.forceGap = true
    },
    failNext: (n, status, o = {}) => {
      app.fail = { n, status, retryAfterSec: o.retryAfterSec ?? 1, ...(o.path ? { path: o.path } : {}) }
    },
    slow: ms => {
      app.slowMs = ms
    },
    reset: () => {
      app.fail = undefined
      app.slowMs = 0
      hub.forceGap = false
    },
  }

  return {
    url,
    seed,
    config,
    faults,
    get liveSockets() {
      return hub.liveCount
    },
    createUser(input) {
      const u = store.createUser(input)
      return seedUser(u, input.password)
    },
    createChannel(input) {
      return ch(input.name, input.display_name ?? input.name, input.type ?? 'O', input.members ?? [])
    },
    addToChannel(channelId, userId) {
      store.addChannelMember(channelId, userId)
      hub.broadcast(
        'user_added',
        { user_id: userId, team_id: store.channels.get(channelId)?.team_id ?? '' },
        { channel_id: channelId },
      )
    },
    post(userId, channelId, message, rootId) {
      const p = createPost(app, store.users.get(userId)!, {
        channel_id: channelId,
        message,
        root_id: rootId ?? '',
      })
      return { id: p.id }
    },
    async stop() {
      hub.close()
      server.closeAllConnections()
      await new Promise<void>(r => server.close(() => r()))
    },
  }
}
