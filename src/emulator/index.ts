/**
 * `matterkit/emulator`: a local Mattermost-compatible server (REST + WebSocket over real sockets).
 *
 * @example
 * ```ts
 * import { startEmulator } from 'matterkit/emulator'
 * const emu = await startEmulator({ port: 0 })
 * console.log(emu.url, emu.seed.users.bot.username)
 * await emu.stop()
 * ```
 * @module
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Channel, TeamMember } from '../types/index.js'
import { App, type EmulatorConfig, TOO_MANY } from './app.js'
import type { Emulator, EmulatorOptions, Faults, Seed, SeedChannel, SeedUser } from './emulator-types.js'
import { Hub } from './hub.js'
import { registerIntegrations } from './integrations/index.js'
import { attachPersistence, type Persistence } from './persist.js'
import { createPost } from './posts.js'
import { createBot, createToken, registerBots } from './rest-bots.js'
import { registerCore } from './rest-core.js'
import { registerPosts } from './rest-posts.js'
import { Store } from './store.js'
import type { StoredUser } from './store-types.js'

export type { EmulatorConfig, RateLimitOptions } from './app.js'
export { CorruptStateError, type StateLocation } from './corrupt-state-error.js'
export type { Emulator, EmulatorOptions, Faults, Seed, SeedChannel, SeedUser } from './emulator-types.js'

const SEED_PASSWORDS = { admin: 'admin-password-1', alice: 'alice-password-1', bob: 'bob-password-1' }

/**
 * Start an emulator.
 *
 * @example
 * ```ts
 * const emu = await startEmulator()
 * const res = await fetch(`${emu.url}/api/v4/users/me`, {
 *   headers: { Authorization: `Bearer ${emu.seed.users.bot.token}` },
 * })
 * await emu.stop()
 * ```
 */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const store = new Store()
  const config: EmulatorConfig = {
    EnableCommands: true,
    EnableOnlyAdminIntegrations: true,
    EnableIncomingWebhooks: true,
    EnableOutgoingWebhooks: true,
    EnableUserAccessTokens: false,
    EnableBotAccountCreation: false,
    PostEditTimeLimit: -1,
    EnablePostUsernameOverride: true,
    EnablePostIconOverride: true,
    EnableFileAttachments: true,
    EnableCustomEmoji: true,
    EnableDeveloper: false,
    MaximumPayloadSizeBytes: 300_000,
    MaxFileSize: 104_857_600,
    SiteURL: '',
    ...opts.config,
  }
  const persistence: Persistence | undefined = opts.persist
    ? attachPersistence(store, opts.persist, {
        seed: opts.seed !== false,
        ...(opts.persistWith ? { using: opts.persistWith } : {}),
        ...(opts.log ? { warn: opts.log } : {}),
      })
    : undefined
  const hub = new Hub(store, {
    pingIntervalMs: opts.wsPingIntervalMs ?? 60_000,
    authTimeoutMs: 5000,
    ...(persistence ? { beforeEvents: () => persistence.commit() } : {}),
  })
  const app = new App(store, hub, config)
  if (persistence) app.durable = () => persistence.durable()
  if (opts.log) {
    app.log = opts.log
    app.logRequests = true
  }
  if (opts.rateLimit) app.rate = { ...opts.rateLimit, tat: new Map() }
  registerCore(app)
  registerPosts(app)
  registerBots(app)
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
    // The real rate limiter wraps the whole router, so an upgrade is limited like any request.
    const rl = app.checkRate(req, undefined)
    if (!rl.ok) {
      const h = Object.entries({ ...TOO_MANY, ...rl.headers, Date: new Date().toUTCString() })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\n${h}Content-Length: 15\r\nConnection: close\r\n\r\nlimit exceeded\n`,
      )
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

  const toSeedUser = (u: StoredUser, token: string, password?: string): SeedUser => ({
    id: u.id,
    username: u.username,
    email: u.email,
    token,
    is_bot: u.is_bot,
    ...(password ? { password } : {}),
  })
  const addToTeam = (teamId: string, userId: string): TeamMember => {
    const had = store.isTeamMember(teamId, userId)
    const m = store.addTeamMember(teamId, userId)
    if (!had) hub.broadcast('added_to_team', { team_id: teamId, user_id: userId }, { user_id: userId })
    return m
  }
  const toSeedChannel = (c: Channel): SeedChannel => ({
    id: c.id,
    name: c.name,
    display_name: c.display_name,
    type: c.type,
    team_id: c.team_id,
  })

  let seed = store.meta.get('seed') as Seed | undefined
  let adminId = seed?.users.admin.id ?? ''
  if (!seed && opts.seed !== false) {
    const team = store.createTeam('matterkit', 'Matterkit')
    const human = (username: keyof typeof SEED_PASSWORDS, roles?: string): SeedUser => {
      const password = SEED_PASSWORDS[username]
      const u = store.createUser({ username, password, ...(roles ? { roles } : {}) })
      store.addTeamMember(team.id, u.id)
      return toSeedUser(u, createToken(app, u.id, 'matterkit seed').token!, password)
    }
    const admin = human('admin', 'system_user system_admin')
    adminId = admin.id
    const alice = human('alice')
    const bob = human('bob')
    const { user: botUser } = createBot(app, {
      username: 'matterbot',
      display_name: 'Matterbot',
      description: 'The seeded bot',
      owner_id: admin.id,
    })
    store.addTeamMember(team.id, botUser.id)
    // Integrations are for team admins (role.go); an admin would promote a bot that registers
    // its own slash commands, so the seed does.
    store.setTeamAdmin(team.id, botUser.id, true)
    const bot = toSeedUser(botUser, createToken(app, botUser.id, 'matterkit seed').token!)
    const ch = (name: string, display: string, type: 'O' | 'P', members: string[]): SeedChannel => {
      const c = store.createChannel({
        team_id: team.id,
        name,
        display_name: display,
        type,
        creator_id: admin.id,
      })
      for (const m of members) store.addChannelMember(c.id, m)
      return toSeedChannel(c)
    }
    const everyone = [admin.id, alice.id, bob.id, bot.id]
    seed = {
      team: { id: team.id, name: team.name, display_name: team.display_name },
      channels: {
        townSquare: ch('town-square', 'Town Square', 'O', everyone),
        offTopic: ch('off-topic', 'Off-Topic', 'O', everyone),
        privateRoom: ch('private-room', 'Private Room', 'P', [admin.id, alice.id]),
      },
      users: { admin, alice, bob, bot },
    }
    store.meta.set('seed', seed)
    store.touch('meta', 'seed')
  }
  // on disk before anyone is told its tokens
  persistence?.flush()
  const theSeed = seed ?? (undefined as unknown as Seed)
  const defaultTeam = (): string => {
    if (theSeed) return theSeed.team.id
    const first = store.teams.values().next().value
    return first ? first.id : store.createTeam('matterkit', 'Matterkit').id
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
    advanceClock: ms => {
      if (!(ms >= 0)) throw new Error('advanceClock(ms): ms must be a number ≥ 0 (the clock never goes back)')
      store.clockOffset += ms
      store.authEpoch++ // tokens may have expired
      hub.reap()
    },
    reset: () => {
      app.fail = undefined
      app.slowMs = 0
      hub.forceGap = false
      hub.unstall()
    },
  }

  let stopped = false
  return {
    url,
    seed: theSeed,
    config,
    faults,
    get liveSockets() {
      return hub.liveCount
    },
    createUser(input) {
      let u: StoredUser
      if (input.is_bot) {
        u = createBot(app, { username: input.username, owner_id: adminId }).user
      } else {
        u = store.createUser({
          username: input.username,
          ...(input.password ? { password: input.password } : {}),
          ...(input.roles ? { roles: input.roles } : {}),
          ...(input.email ? { email: input.email } : {}),
        })
      }
      store.addTeamMember(defaultTeam(), u.id)
      hub.broadcast('new_user', { user_id: u.id }, {})
      return toSeedUser(u, createToken(app, u.id, 'matterkit test').token!, input.password)
    },
    createChannel(input) {
      const teamId = input.team_id ?? defaultTeam()
      const c = store.createChannel({
        team_id: teamId,
        name: input.name,
        display_name: input.display_name ?? input.name,
        type: input.type ?? 'O',
        creator_id: adminId,
      })
      for (const m of input.members ?? []) store.addChannelMember(c.id, m)
      return toSeedChannel(c)
    },
    addToChannel(channelId, userId) {
      const had = store.isChannelMember(channelId, userId)
      const m = store.addChannelMember(channelId, userId)
      if (had) return m
      hub.broadcast(
        'user_added',
        { user_id: userId, team_id: store.channels.get(channelId)?.team_id ?? '' },
        { channel_id: channelId },
      )
      return m
    },
    addToTeam(userId, teamId) {
      return addToTeam(teamId ?? defaultTeam(), userId)
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
      if (stopped) return
      stopped = true
      hub.close()
      server.closeAllConnections()
      await new Promise<void>(r => server.close(() => r()))
      persistence?.close()
    },
  }
}
