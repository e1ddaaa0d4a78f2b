/**
 * `startTestServer`: an emulator plus ready clients, `post()` and `waitForPost()`.
 * @module
 */

import { AbortError, ArgumentError, ConfigError, MatterkitError } from '../core/errors.js'
import { sleep } from '../core/time.js'
import {
  type Emulator,
  type EmulatorOptions,
  type Seed,
  type SeedUser,
  startEmulator,
} from '../emulator/index.js'
import { Client } from '../realtime/client.js'
import { RealtimeClient } from '../realtime/realtime.js'
import type { CommandResponse, Dialog, Post } from '../types/index.js'
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
 * Where a command or click happens: the acting user (default alice) and, for commands, the
 * channel (default `'townSquare'`).
 *
 * @example
 * ```ts
 * await t.command('/deploy web', { as: 'bob', channel: 'offTopic' })
 * ```
 */
export interface ActOptions {
  as?: UserRef
  channel?: string
}

/**
 * A dialog an integration opened for a user, as the webapp receives it, plus where it opened.
 *
 * @example
 * ```ts
 * const d: OpenedDialog = await t.waitForDialog()
 * console.log(d.dialog.title, d.dialog.elements?.map(e => e.name))
 * ```
 */
export interface OpenedDialog {
  /** The URL the submission goes to. */
  url: string
  dialog: Dialog
  /** Who it opened for. */
  userId: string
  /** The channel of the command or click that led to it. */
  channelId: string
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
  /**
   * Run a slash command as a user, as the webapp does (`POST /commands/execute`), and return the
   * server's answer. Marks the point `waitForPost` waits from.
   *
   * @example
   * ```ts
   * const res = await t.command('/deploy web', { as: 'bob' })
   * ```
   */
  command(text: string, opts?: ActOptions): Promise<CommandResponse>
  /**
   * Press a button or pick a menu option on a post (by its label or action id) as a user
   * (`POST /posts/{id}/actions/{action_id}`). An {@link ArgumentError} lists the buttons there are
   * when none matches. Marks the point `waitForPost` waits from.
   *
   * @example
   * ```ts
   * const msg = await t.waitForPost({ text: /approve/i })
   * await t.click(msg, 'Approve', { as: 'bob' })
   * await t.click(msg, 'env', { option: 'prod' }) // a menu
   * ```
   */
  click(post: Post | string, action: string, opts?: { as?: UserRef; option?: string }): Promise<void>
  /**
   * The next dialog an integration opens for the user (default alice) after the last
   * `command()`/`click()`, including one that opened before this call.
   *
   * @example
   * ```ts
   * await t.command('/standup')
   * const d = await t.waitForDialog()
   * ```
   */
  waitForDialog(opts?: { as?: UserRef; timeoutMs?: number }): Promise<OpenedDialog>
  /**
   * Submit (or cancel) a dialog as the user it opened for, as the webapp does
   * (`POST /actions/dialogs/submit`), and return the integration's answer (`errors` per field,
   * or `{}`).
   *
   * @example
   * ```ts
   * const res = await t.submitDialog(d, { yesterday: 'tests', today: 'docs' })
   * expect(res.errors).toBeUndefined()
   * ```
   */
  submitDialog(
    dialog: OpenedDialog,
    values: Record<string, string | number | boolean | null>,
    opts?: { cancelled?: boolean },
  ): Promise<{ errors?: Record<string, string>; error?: string }>
  /**
   * Wait until the post's message matches (a string is an exact match), as after a bot's
   * `ctx.update()`; returns the post as it then is.
   *
   * @example
   * ```ts
   * await t.waitForEdit(msg, /approved by @bob/)
   * ```
   */
  waitForEdit(
    post: Post | string,
    text: string | RegExp | ((p: Post) => boolean),
    opts?: { timeoutMs?: number },
  ): Promise<Post>
  /**
   * Move the emulator's clock forward (tokens, trigger ids and `response_url`s age with it).
   *
   * @example
   * ```ts
   * t.advanceClock(31_000) // a trigger id is now expired
   * ```
   */
  advanceClock(ms: number): void
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
  // One socket per user who ran a command or clicked, so a dialog opened before
  // waitForDialog is called is not missed; `actedAt` marks where waitForDialog starts.
  const sockets = new Map<string, RealtimeClient>()
  const dialogs: Array<OpenedDialog & { at: number }> = []
  const dialogWaiters = new Set<() => void>()
  const acted = new Map<string, { at: number; channelId: string }>()
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

  const listen = async (u: SeedUser, channelId: string): Promise<void> => {
    acted.set(u.id, { at: Date.now(), channelId })
    if (sockets.has(u.id)) return
    const rt = new RealtimeClient(as(u))
    sockets.set(u.id, rt)
    rt.on('open_dialog', ev => {
      const where = acted.get(u.id)
      dialogs.push({ ...ev.dialog, userId: u.id, channelId: where?.channelId ?? '', at: Date.now() })
      for (const w of dialogWaiters) w()
    })
    await rt.connect()
  }
  const mustRun = () => {
    if (stopped) throw new MatterkitError('MK_ERR_ABORTED', 'The test server is stopped.')
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
    async command(text, o = {}) {
      mustRun()
      const u = user(o.as ?? 'alice')
      const channelId = await channel(o.channel ?? 'townSquare')
      await listen(u, channelId)
      const at = Date.now()
      const res = await as(u).commands.execute(channelId, text, { teamId: seed.team.id })
      mark = { at }
      return res
    },
    async click(post, action, o = {}) {
      mustRun()
      const u = user(o.as ?? 'alice')
      const fresh = await as(u).posts.get(typeof post === 'string' ? post : post.id)
      const attachments = (fresh.props?.attachments ?? []) as Array<{
        actions?: Array<{ id?: string; name?: string }>
      }>
      const actions = attachments.flatMap(a => a.actions ?? [])
      const hit = actions.find(a => a.id === action) ?? actions.find(a => a.name === action)
      if (!hit?.id)
        throw new ArgumentError(
          `No button or menu ${JSON.stringify(action)} on post ${fresh.id}; it has ${
            actions.length ? actions.map(a => `${JSON.stringify(a.name)} (id ${a.id})`).join(', ') : 'none'
          }.`,
        )
      await listen(u, fresh.channel_id)
      const at = Date.now()
      await as(u).posts.doAction(
        fresh.id,
        hit.id,
        o.option !== undefined ? { selected_option: o.option } : {},
      )
      mark = { at }
    },
    async waitForDialog(o = {}) {
      mustRun()
      const u = user(o.as ?? 'alice')
      const from = acted.get(u.id)?.at ?? startedAt
      const timeoutMs = o.timeoutMs ?? 5000
      const found = () => dialogs.find(d => d.userId === u.id && d.at >= from)
      const hit =
        found() ??
        (await new Promise<(typeof dialogs)[number] | undefined>(resolve => {
          const done = () => {
            const d = found()
            if (!d && !stopped) return
            clearTimeout(timer)
            dialogWaiters.delete(done)
            resolve(d)
          }
          const timer = setTimeout(() => {
            dialogWaiters.delete(done)
            resolve(undefined)
          }, timeoutMs)
          dialogWaiters.add(done)
        }))
      if (!hit) {
        const others = dialogs.filter(d => d.userId === u.id).map(d => JSON.stringify(d.dialog.title))
        throw new TestTimeoutError(
          `waitForDialog timed out after ${timeoutMs} ms: no dialog opened for @${u.username} since their last command or click${
            others.length ? ` (earlier ones: ${others.join(', ')})` : ''
          }${sockets.has(u.id) ? '' : '; t.command() or t.click() as that user first, so the harness listens for it'}.`,
          timeoutMs,
          [],
        )
      }
      dialogs.splice(dialogs.indexOf(hit), 1)
      const { at: _at, ...dialog } = hit
      return dialog
    },
    async submitDialog(d, values, o = {}) {
      mustRun()
      const u = user(d.userId)
      return as(u).request('POST', '/actions/dialogs/submit', {
        body: {
          url: d.url,
          callback_id: d.dialog.callback_id ?? '',
          state: d.dialog.state ?? '',
          channel_id: d.channelId,
          team_id: seed.team.id,
          submission: values,
          cancelled: o.cancelled === true,
        },
      })
    },
    async waitForEdit(post, text, o = {}) {
      mustRun()
      const id = typeof post === 'string' ? post : post.id
      const pred =
        typeof text === 'function'
          ? text
          : typeof text === 'string'
            ? (p: Post) => p.message === text
            : (p: Post) => text.test(p.message)
      const timeoutMs = o.timeoutMs ?? 5000
      const deadline = Date.now() + timeoutMs
      let last: Post | undefined
      const ac = new AbortController()
      waits.add(ac)
      try {
        for (;;) {
          last = await watcher.posts.get(id).catch(() => last)
          if (last && pred(last)) return last
          const left = deadline - Date.now()
          if (left <= 0) break
          await sleep(Math.min(50, left), ac.signal)
        }
      } catch (err) {
        if (ac.signal.aborted)
          throw new AbortError('The test server stopped while waitForEdit was waiting.', { cause: err })
        throw err
      } finally {
        waits.delete(ac)
      }
      throw new TestTimeoutError(
        `waitForEdit timed out after ${timeoutMs} ms waiting for post ${id} to match ${String(text)}; its message is ${JSON.stringify(last?.message)}.`,
        timeoutMs,
        last ? [describePost(last)] : [],
      )
    },
    advanceClock(ms) {
      emulator.faults.advanceClock(ms)
    },
    async stop() {
      if (stopped) return
      stopped = true
      for (const ac of waits) ac.abort()
      for (const w of dialogWaiters) w()
      await Promise.allSettled([...sockets.values()].map(s => s.close()))
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
