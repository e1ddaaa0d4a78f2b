/**
 * `startTestServer`: an emulator plus ready clients, `post()` and `waitForPost()`.
 * @module
 */
import { Client } from '../client/client.js'
import { AbortError, ArgumentError, ConfigError, MatterkitError } from '../core/errors.js'
import { sleep } from '../core/time.js'
import {
  type Emulator,
  type EmulatorOptions,
  type Seed,
  type SeedUser,
  startEmulator,
} from '../emulator/index.js'
import type { Post } from '../types/index.js'
import { TestTimeoutError } from './errors.js'
import { clock, describeMatch, type PostMatch, type PostPredicate, toPredicate } from './match.js'

/**
 * Options of {@link startTestServer}: the emulator's options (the port defaults to 0, a free
 * one; the seed cannot be turned off, the harness needs its users).
 *
 * @example
 * ```ts
 * const t = await startTestServer({ rateLimit: { perSecond: 50, burst: 100 } })
 * ```
 */
export type TestServerOptions = Omit<EmulatorOptions, 'seed'>

/**
 * A user as the harness accepts it: a seed key (`'alice'`, `'bob'`, `'admin'`, `'bot'`), a
 * username (`'matterbot'`, or one made by {@link TestServer.createUser}) or the user object.
 *
 * @example
 * ```ts
 * const who: UserRef = 'bob'
 * ```
 */
export type UserRef = keyof Seed['users'] | (string & {}) | SeedUser

/**
 * Options of {@link TestServer.post}.
 *
 * @example
 * ```ts
 * await t.post('townSquare', 'ping', { as: 'bob', rootId: root.id })
 * ```
 */
export interface PostOptions {
  /** The author (default `'alice'`). */
  as?: UserRef
  /** Reply in this thread. */
  rootId?: string
}

/**
 * Options of {@link TestServer.waitForPost}.
 *
 * @example
 * ```ts
 * await t.waitForPost({ text: 'done' }, { timeoutMs: 10_000, since: Date.now() })
 * ```
 */
export interface WaitOptions {
  /** Give up after this many ms (default 5000) with a {@link TestTimeoutError}. */
  timeoutMs?: number
  /**
   * Which posts count. A number: posts created at or after that time (ms). A post: posts
   * created after it (itself excluded). Default: after the harness's last `post()`, or, before
   * any, since the server started. So a bot that answers before `waitForPost` is called is seen.
   */
  since?: number | Pick<Post, 'id' | 'create_at'>
  /** Poll interval in ms (default 50, at least 25). */
  intervalMs?: number
}

/**
 * A running test server. Stop it with `stop()` or `await using`.
 *
 * @example
 * ```ts
 * await using t = await startTestServer()
 * await t.post('townSquare', 'ping')
 * const reply = await t.waitForPost({ user: 'bot', text: 'pong' })
 * ```
 */
export interface TestServer extends AsyncDisposable {
  /** The emulator's URL (`http://127.0.0.1:PORT`). */
  readonly url: string
  readonly seed: Seed
  /** The emulator itself: `faults`, `config`, `createChannel`, … */
  readonly emulator: Emulator
  /** The seeded bot's token, for the bot under test. */
  readonly botToken: string
  /** A REST client authenticated as that user (one per user, closed by `stop()`). */
  as(user: UserRef): Client
  /** Create a user (as `emulator.createUser`) that `as()`, `post()` and `user:` then accept by username. */
  createUser(input: Parameters<Emulator['createUser']>[0]): SeedUser
  /**
   * Post as a user (default alice) over REST. `channel`: a seed key (`'townSquare'`), a name
   * (`'town-square'`) or an id. Marks the point `waitForPost` waits from by default.
   */
  post(channel: string, message: string, opts?: PostOptions): Promise<Post>
  /**
   * The first post (oldest first) matching `match`, created since `opts.since` (default: after the
   * last `post()`), including posts created before this call. It polls REST as the seeded
   * admin (who may read every channel): the `channel` given, else every channel the `user`
   * (default the seeded bot) is a member of, DMs included. Rejects with a
   * {@link TestTimeoutError} (`MK_ERR_TEST_TIMEOUT`) listing the last posts seen.
   */
  waitForPost(match: PostMatch | PostPredicate, opts?: WaitOptions): Promise<Post>
  /** Close every client and pending wait, then the emulator. Safe to call twice. */
  stop(): Promise<void>
}

const ID = /^[a-z0-9]{26}$/

/**
 * Start an emulator on a free port and return a {@link TestServer}.
 *
 * @example
 * ```ts
 * import { startTestServer } from 'matterkit/testing'
 * import { Bot } from 'matterkit'
 *
 * const t = await startTestServer()
 * const bot = new Bot({ url: t.url, token: t.botToken })
 * bot.message(/^ping$/, ctx => ctx.reply('pong'))
 * await bot.start()
 * await t.post('townSquare', 'ping')
 * await t.waitForPost({ text: 'pong' })
 * await bot.stop()
 * await t.stop()
 * ```
 */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  if ((opts as EmulatorOptions).seed === false)
    throw new ConfigError('startTestServer needs the seeded users; do not pass `seed: false`.')
  const emulator = await startEmulator({ port: 0, ...opts, seed: true })
  const { seed, url } = emulator
  const startedAt = Date.now()
  const users = new Map<string, SeedUser>()
  for (const [key, u] of Object.entries(seed.users)) {
    users.set(key, u)
    users.set(u.username, u)
  }
  const clients = new Map<string, Client>()
  const channelIds = new Map<string, string>() // key or name → id
  const channelNames = new Map<string, string>() // id → name
  for (const [key, c] of Object.entries(seed.channels)) {
    channelIds.set(key, c.id)
    channelIds.set(c.name, c.id)
    channelNames.set(c.id, c.name)
  }
  const waits = new Set<AbortController>()
  let mark: { at: number; id?: string } = { at: startedAt }
  let stopped = false
  // The watcher never retries: a failed poll is simply repeated at the next tick.
  const watcher = new Client({ url, token: seed.users.admin.token, retry: false, timeoutMs: 2000 })

  const user = (ref: UserRef): SeedUser => {
    if (typeof ref === 'object') return ref
    const u = users.get(ref) ?? [...users.values()].find(x => x.id === ref)
    if (!u)
      throw new ArgumentError(
        `Unknown user ${JSON.stringify(ref)}: use a seed key (admin, alice, bob, bot), a seeded username, or a user made with t.createUser().`,
      )
    return u
  }
  const as = (ref: UserRef): Client => {
    if (stopped) throw new MatterkitError('MK_ERR_ABORTED', 'The test server is stopped.')
    const u = user(ref)
    let c = clients.get(u.id)
    if (!c) {
      c = new Client({ url, token: u.token })
      clients.set(u.id, c)
    }
    return c
  }
  const channel = async (ref: string): Promise<string> => {
    const name = ref.replace(/^~/, '')
    const known = channelIds.get(name)
    if (known) return known
    if (ID.test(name)) return name
    const c = await watcher.channels.getByName(seed.team.id, name).catch((err: unknown) => {
      throw new ArgumentError(
        `Unknown channel ${JSON.stringify(ref)}: use a seed key (townSquare, offTopic, privateRoom), a channel name in team ${seed.team.name}, or an id (${(err as Error).message}).`,
      )
    })
    channelIds.set(name, c.id)
    channelNames.set(c.id, c.name)
    return c.id
  }
  const postsSince = async (channelId: string, since: number, signal: AbortSignal): Promise<Post[]> => {
    const list = await watcher.posts.forChannel(channelId, { since: Math.max(1, since - 1) }, { signal })
    return list.order.map(id => list.posts[id]).filter((p): p is Post => !!p && p.create_at >= since)
  }
  const watched = async (watchUser: string, signal: AbortSignal): Promise<string[]> => {
    const list = await watcher.channels.forUserAllTeams(watchUser, { signal })
    for (const c of list) channelNames.set(c.id, c.name)
    return list.map(c => c.id)
  }
  const describePost = (p: Post) => {
    const author = [...users.values()].find(u => u.id === p.user_id)?.username ?? p.user_id
    return {
      id: p.id,
      message: p.message,
      user: author,
      channel: channelNames.get(p.channel_id) ?? p.channel_id,
      create_at: p.create_at,
    }
  }

  const server: TestServer = {
    url,
    seed,
    emulator,
    botToken: seed.users.bot.token,
    as,
    createUser(input) {
      const u = emulator.createUser(input)
      users.set(u.username, u)
      return u
    },
    async post(ch, message, o = {}) {
      const client = as(o.as ?? 'alice')
      const p = await client.posts.create({
        channel_id: await channel(ch),
        message,
        ...(o.rootId ? { root_id: o.rootId } : {}),
      })
      mark = { at: p.create_at, id: p.id }
      return p
    },
    async waitForPost(match, o = {}) {
      if (stopped) throw new MatterkitError('MK_ERR_ABORTED', 'The test server is stopped.')
      const timeoutMs = o.timeoutMs ?? 5000
      const intervalMs = Math.max(25, o.intervalMs ?? 50)
      const from =
        o.since === undefined
          ? mark
          : typeof o.since === 'number'
            ? { at: o.since }
            : { at: o.since.create_at, id: o.since.id }
      const m = typeof match === 'function' ? undefined : match
      const channelId = m?.channel !== undefined ? await channel(m.channel) : undefined
      const userId = m?.user !== undefined ? user(m.user).id : undefined
      const pred = toPredicate(match, { channelId, userId })
      const ac = new AbortController()
      waits.add(ac)
      const deadline = Date.now() + timeoutMs
      const seen = new Map<string, Post>()
      let channels: string[] = channelId ? [channelId] : []
      let lastError: unknown
      try {
        for (;;) {
          try {
            if (!channelId) channels = await watched(userId ?? seed.users.bot.id, ac.signal)
            const batch = (await Promise.all(channels.map(c => postsSince(c, from.at, ac.signal))))
              .flat()
              .filter(p => p.id !== from.id)
              .sort((a, b) => a.create_at - b.create_at)
            for (const p of batch) {
              seen.set(p.id, p)
              if (pred(p)) return p
            }
          } catch (err) {
            if (ac.signal.aborted) throw err
            lastError = err
          }
          const left = deadline - Date.now()
          if (left <= 0) break
          await sleep(Math.min(intervalMs, left), ac.signal)
        }
      } catch (err) {
        if (ac.signal.aborted)
          throw new AbortError('The test server stopped while waitForPost was waiting.', { cause: err })
        throw err
      } finally {
        waits.delete(ac)
      }
      const recent = [...seen.values()]
        .sort((a, b) => a.create_at - b.create_at)
        .slice(-5)
        .map(describePost)
      const where = channelId
        ? `#${channelNames.get(channelId) ?? channelId}`
        : `${channels.length} channel(s) of ${userId ? user(userId).username : seed.users.bot.username}`
      const lines = recent.map(
        p => `  ${clock(p.create_at)} @${p.user} in ~${p.channel}: ${JSON.stringify(p.message)}`,
      )
      const msg =
        `waitForPost timed out after ${timeoutMs} ms waiting for ${describeMatch(match)} (watching ${where}, posts since ${clock(from.at)}${from.id ? `, after post ${from.id}` : ''}).\n` +
        (lines.length ? `Last posts seen:\n${lines.join('\n')}` : 'No posts were seen since then.') +
        (lastError ? `\nLast polling error: ${(lastError as Error).message}` : '')
      throw new TestTimeoutError(msg, timeoutMs, recent, lastError ? { cause: lastError } : undefined)
    },
    async stop() {
      if (stopped) return
      stopped = true
      for (const ac of waits) ac.abort()
      await Promise.allSettled([watcher.close(), ...[...clients.values()].map(c => c.close())])
      clients.clear()
      await emulator.stop()
    },
    [Symbol.asyncDispose]() {
      return server.stop()
    },
  }
  return server
}
