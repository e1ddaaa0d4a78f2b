import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NotImplementedError, NotMattermostError, PayloadTooLargeError } from '../../src/client/errors.js'
import { consoleLogger } from '../../src/core/logger.js'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import {
  AuthError,
  Client,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  type Post,
  RateLimitedError,
  ServerError,
} from '../../src/index.js'
import { HookServer } from '../emulator/hookserver.js'

let emu: Emulator
let bot: Client
let alice: Client
beforeAll(async () => {
  emu = await startEmulator()
  bot = new Client({ url: emu.url, token: emu.seed.users.bot.token })
  alice = new Client({ url: emu.url, token: emu.seed.users.alice.token })
})
afterAll(async () => {
  await bot.close()
  await alice.close()
  await emu.stop()
})

describe('endpoint groups', () => {
  it('users', async () => {
    const me = await bot.users.me()
    expect(me.username).toBe('matterbot')
    expect(me.is_bot).toBe(true)
    expect((await bot.users.getByUsername('@alice')).id).toBe(emu.seed.users.alice.id)
    expect((await bot.users.getByIds([emu.seed.users.bob.id])).map(u => u.username)).toEqual(['bob'])
    expect((await bot.users.getByUsernames(['alice', 'bob'])).length).toBe(2)
    expect((await bot.users.search({ term: 'ali' })).map(u => u.username)).toContain('alice')
    await alice.users.setStatus(emu.seed.users.alice.id, 'dnd')
    expect((await bot.users.getStatus(emu.seed.users.alice.id)).status).toBe('dnd')
    const all: string[] = []
    for await (const u of bot.users.iterate({ perPage: 2 })) all.push(u.username)
    expect(all).toEqual(expect.arrayContaining(['admin', 'alice', 'bob', 'matterbot']))
    await bot.users.typing('me', emu.seed.channels.townSquare.id)
  })

  it('teams and channels', async () => {
    const [team] = await bot.teams.forUser()
    expect(team!.name).toBe('matterkit')
    expect((await bot.teams.getByName('matterkit')).id).toBe(team!.id)
    const ts = await bot.channels.getByTeamName('matterkit', 'town-square')
    expect((await bot.channels.getByName(team!.id, 'off-topic')).display_name).toBe('Off-Topic')
    expect((await bot.channels.get(ts.id)).name).toBe('town-square')
    const ch = await alice.channels.create({ team_id: team!.id, name: 'ops', display_name: 'Ops', type: 'P' })
    await alice.channels.addMember(ch.id, emu.seed.users.bot.id)
    expect((await bot.channels.member(ch.id, 'me')).user_id).toBe(emu.seed.users.bot.id)
    const members: string[] = []
    for await (const m of bot.channels.iterateMembers(ch.id, 1)) members.push(m.user_id)
    expect(members.sort()).toEqual([emu.seed.users.alice.id, emu.seed.users.bot.id].sort())
    expect((await alice.channels.patch(ch.id, { purpose: 'p' })).purpose).toBe('p')
    const dm = await bot.channels.direct(emu.seed.users.bot.id, emu.seed.users.alice.id)
    expect(dm.type).toBe('D')
    expect((await bot.channels.direct(emu.seed.users.alice.id, emu.seed.users.bot.id)).id).toBe(dm.id)
    const gm = await bot.channels.group([
      emu.seed.users.alice.id,
      emu.seed.users.bob.id,
      emu.seed.users.bot.id,
    ])
    expect(gm.type).toBe('G')
    expect((await bot.channels.forUser('me', team!.id)).map(c => c.id)).toEqual(
      expect.arrayContaining([ts.id, dm.id]),
    )
    await alice.channels.removeMember(ch.id, emu.seed.users.bot.id)
    await expect(bot.channels.get(ch.id)).rejects.toBeInstanceOf(ForbiddenError)
    await alice.channels.archive(ch.id)
  })

  it('posts, threads, reactions, pagination with cursors', async () => {
    const channel_id = emu.seed.channels.offTopic.id
    const root = await bot.posts.create({ channel_id, message: 'root' })
    expect(root.props.from_bot).toBe('true')
    const reply = await alice.posts.create({ channel_id, message: 'reply', root_id: root.id })
    expect((await bot.posts.thread(root.id)).order).toEqual(expect.arrayContaining([root.id, reply.id]))
    expect((await bot.posts.update(root.id, { message: 'root!' })).message).toBe('root!')
    await bot.reactions.add(root.id, ':tada:')
    expect((await bot.reactions.list(root.id)).map(r => r.emoji_name)).toEqual(['tada'])
    await bot.reactions.remove(root.id, 'tada')
    await bot.posts.pin(root.id)
    expect((await bot.posts.get(root.id)).is_pinned).toBe(true)
    const ch = emu.createChannel({ name: 'paging', members: [emu.seed.users.bot.id] })
    for (let i = 0; i < 450; i++) emu.post(emu.seed.users.bot.id, ch.id, `m${i}`)
    const seen: string[] = []
    for await (const p of bot.posts.iterateChannel(ch.id)) seen.push(p.message)
    expect(seen.length).toBe(450)
    expect(seen[0]).toBe('m0')
    expect(seen[449]).toBe('m449')
    const page = await bot.posts.forChannel(ch.id, { perPage: 500 })
    expect(page.order.length).toBe(200) // the server caps per_page at 200
    const afterCursor: string[] = []
    const first = (await bot.posts.forChannel(ch.id, { page: 2, perPage: 200 })).order.at(-1)!
    for await (const p of bot.posts.iterateChannel(ch.id, { after: first, perPage: 100 }))
      afterCursor.push(p.message)
    expect(afterCursor.length).toBe(449)
    await bot.posts.delete(reply.id).catch(() => {}) // not the author: forbidden
    await alice.posts.delete(reply.id)
    await expect(bot.posts.get(reply.id)).rejects.toBeInstanceOf(NotFoundError)
    expect((await bot.posts.search(emu.seed.team.id, 'root!')).order).toContain(root.id)
  })

  it('posts.update keeps what it is not given, buttons included (PUT would blank them)', async () => {
    const integration = await HookServer.start()
    integration.answers.set('/go', { body: {} })
    const url = `${integration.url}/go`
    const p = await bot.posts.create({
      channel_id: emu.seed.channels.offTopic.id,
      message: 'v1',
      props: {
        attachments: [
          { text: 'keep me', actions: [{ id: 'go', name: 'Go', integration: { url, context: { n: 7 } } }] },
        ],
      },
    })
    await bot.posts.pin(p.id)
    const u = await bot.posts.update(p.id, { message: 'v2' })
    expect(u.message).toBe('v2')
    expect(u.is_pinned).toBe(true)
    expect((u.props.attachments as Array<{ text: string }>)[0]!.text).toBe('keep me')
    expect((await alice.posts.doAction(p.id, 'go')).status).toBe('OK')
    expect(integration.to('/go').map(r => r.json)).toEqual([
      expect.objectContaining({ post_id: p.id, context: { n: 7 } }),
    ])
    await integration.stop()
  })

  it('iterateChannel loses no post that shares a millisecond, at page edges or with the cursor', async () => {
    const admin = new Client({ url: emu.url, token: emu.seed.users.admin.token })
    const ch = emu.createChannel({
      name: 'same-ms-walk',
      members: [emu.seed.users.bot.id, emu.seed.users.admin.id],
    })
    // Sysadmins may set create_at: 4 posts in ms T, 250 in T+1 (more than a page), 3 in T+2,
    // 120 in T+3..T+122, then 2 in T+200.
    const T = Date.now() - 3_600_000
    const stamps = [
      ...Array(4).fill(T),
      ...Array(250).fill(T + 1),
      ...Array(3).fill(T + 2),
      ...Array.from({ length: 120 }, (_, i) => T + 3 + i),
      T + 200,
      T + 200,
    ]
    const made: Post[] = []
    for (const [i, t] of stamps.entries())
      made.push(await admin.posts.create({ channel_id: ch.id, message: `w${i}`, create_at: t } as never))
    expect(made[5]!.create_at).toBe(T + 1)
    const walk = async (after: string, perPage: number) => {
      const ids: string[] = []
      for await (const p of bot.posts.iterateChannel(ch.id, { after, perPage })) ids.push(p.id)
      return ids
    }
    const others = (except: Post) => made.filter(p => p.id !== except.id).map(p => p.id)
    // from the second post of ms T: the other 3 of ms T (the server cannot order them), then all
    for (const perPage of [100, 7, 200]) {
      const ids = await walk(made[1]!.id, perPage)
      expect(new Set(ids).size).toBe(ids.length)
      expect(new Set(ids)).toEqual(new Set(others(made[1]!)))
    }
    // from the last post: its twin only
    expect(await walk(made.at(-1)!.id, 50)).toEqual([made.at(-2)!.id])
    // from inside the 250-post millisecond
    expect(new Set(await walk(made[100]!.id, 60))).toEqual(
      new Set(
        made
          .slice(4)
          .filter(p => p.id !== made[100]!.id)
          .map(p => p.id),
      ),
    )
    // from a post deleted since: the later posts still come
    await admin.posts.delete(made.at(-3)!.id)
    expect(await walk(made.at(-3)!.id, 50)).toEqual([made.at(-2)!.id, made.at(-1)!.id])
    await admin.close()
  })

  it('files: streaming upload from buffer, stream and path; download as a stream', async () => {
    const channel_id = emu.seed.channels.townSquare.id
    const infos = await bot.files.upload(channel_id, [
      { name: 'a.txt', data: Buffer.from('alpha') },
      { name: 'b.txt', data: Readable.from([Buffer.from('be'), Buffer.from('ta')]) },
      { data: new URL(import.meta.url).pathname },
    ])
    expect(infos.map(i => i.name)).toEqual(['a.txt', 'b.txt', 'client.test.ts'])
    const raw = await bot.files.uploadRaw(channel_id, 'raw.bin', Buffer.from([1, 2, 3]))
    expect(raw.size).toBe(3)
    const post = await bot.posts.create({
      channel_id,
      message: 'files',
      file_ids: [infos[0]!.id, infos[1]!.id],
    })
    expect((await bot.posts.files(post.id)).length).toBe(2)
    const chunks: Buffer[] = []
    for await (const c of await alice.files.download(infos[1]!.id)) chunks.push(c as Buffer)
    expect(Buffer.concat(chunks).toString()).toBe('beta')
    expect((await bot.files.info(raw.id)).name).toBe('raw.bin')
  })

  it('commands, webhooks, tokens, system', async () => {
    const admin = new Client({ url: emu.url, token: emu.seed.users.admin.token })
    const cmd = await admin.commands.create({
      team_id: emu.seed.team.id,
      trigger: 'ops',
      url: 'http://127.0.0.1:1/x',
    })
    expect((await admin.commands.list(emu.seed.team.id)).map(c => c.trigger)).toContain('ops')
    expect(await admin.commands.regenToken(cmd.id)).not.toBe(cmd.token)
    await admin.commands.delete(cmd.id)
    const hook = await admin.webhooks.incoming.create({
      channel_id: emu.seed.channels.townSquare.id,
      display_name: 'x',
    })
    await admin.webhooks.post(hook.id, { text: 'via hook' })
    await admin.webhooks.post(`${emu.url}/hooks/${hook.id}`, { text: 'via url' })
    const list = await bot.posts.forChannel(emu.seed.channels.townSquare.id, { perPage: 5 })
    expect(Object.values(list.posts).map(p => p.message)).toEqual(
      expect.arrayContaining(['via hook', 'via url']),
    )
    await expect(admin.webhooks.post(hook.id, {})).rejects.toMatchObject({
      status: 400,
      serverId: 'web.incoming_webhook.text.app_error',
    })
    // Through the transport: a 429 on the hook is waited out like any API call's.
    emu.faults.failNext(1, 429, { path: /^\/hooks\//, retryAfterSec: 0 })
    await admin.webhooks.post(hook.id, { text: 'after a 429' })
    const after = await bot.posts.forChannel(emu.seed.channels.townSquare.id, { perPage: 5 })
    expect(Object.values(after.posts).map(p => p.message)).toContain('after a 429')
    const out = await admin.webhooks.outgoing.create({
      team_id: emu.seed.team.id,
      channel_id: emu.seed.channels.offTopic.id,
      callback_urls: ['http://127.0.0.1:1/'],
    })
    expect(out.token).toHaveLength(26)
    await admin.webhooks.outgoing.delete(out.id)
    const tok = await bot.tokens.create('me', 'ci')
    expect(tok.token).toHaveLength(26)
    expect((await bot.system.ping()).status).toBe('OK')
    await admin.close()
  })
})

describe('errors', () => {
  it('maps 401/403/404/413/500/501 to typed errors with ids and request ids', async () => {
    const bad = new Client({ url: emu.url, token: 'wrong-token-value' })
    const e401 = await bad.users.me().catch(e => e)
    expect(e401).toBeInstanceOf(AuthError)
    expect(e401).toMatchObject({
      code: 'MK_ERR_UNAUTHORIZED',
      status: 401,
      serverId: 'api.context.session_expired.app_error',
      method: 'GET',
      path: '/users/me',
    })
    expect(e401.requestId).toHaveLength(26)
    await expect(bot.channels.get(emu.seed.channels.privateRoom.id)).rejects.toBeInstanceOf(ForbiddenError)
    await expect(bot.users.getByUsername('nobody')).rejects.toBeInstanceOf(NotFoundError)
    await expect(
      bot.posts.create({ channel_id: emu.seed.channels.townSquare.id, message: 'x'.repeat(400_000) }),
    ).rejects.toBeInstanceOf(PayloadTooLargeError)
    await expect(bot.posts.create({ channel_id: 'short' })).rejects.toMatchObject({
      status: 400,
      code: 'MK_ERR_BAD_REQUEST',
    })
    emu.config.EnableCommands = false
    await expect(bot.commands.list(emu.seed.team.id)).rejects.toBeInstanceOf(NotImplementedError)
    emu.config.EnableCommands = true
    emu.faults.failNext(1, 500)
    await expect(bot.users.me()).rejects.toBeInstanceOf(ServerError)
    await bad.close()
  })

  it('retries idempotent calls on 502/503 but not creates without dedupe', async () => {
    emu.faults.failNext(2, 503)
    expect((await bot.users.me()).username).toBe('matterbot')
  })

  it('a bot password login says to use a token', async () => {
    const c = new Client({ url: emu.url, login: { loginId: 'matterbot', password: 'whatever-pass' } })
    await expect(c.login()).rejects.toThrow(/Bots cannot log in with a password/)
  })

  it('password login works and its session is used', async () => {
    const c = new Client({ url: emu.url, login: { loginId: 'bob', password: 'bob-password-1' } })
    expect((await c.login()).username).toBe('bob')
    expect((await c.users.me()).username).toBe('bob')
    await c.close()
  })

  it('says clearly when the URL is not Mattermost (HTML login page)', async () => {
    const server: Server = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<!DOCTYPE html><html><body>Sign in to Corp SSO</body></html>')
    })
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
    const c = new Client({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token: 'tttttttttttt',
    })
    const err = await c.users.me().catch(e => e)
    expect(err).toBeInstanceOf(NotMattermostError)
    expect(err.message).toMatch(/HTML page/)
    await c.close()
    server.close()
  })

  it('network errors are typed and say what to check', async () => {
    const c = new Client({ url: 'http://127.0.0.1:1', token: 'tttttttttttt', retry: false })
    const err = await c.users.me().catch(e => e)
    expect(err).toBeInstanceOf(NetworkError)
    expect(err.message).toMatch(/cannot reach/)
    await c.close()
  })
})

describe('rate limiting', () => {
  it('429 storm: 1,000 creates under a tight limit → exactly 1,000 posts, none twice', async () => {
    const limited = await startEmulator({ rateLimit: { perSecond: 300, burst: 5 } })
    const c = new Client({ url: limited.url, token: limited.seed.users.bot.token, maxConcurrency: 16 })
    let limitedEvents = 0
    c.on('rateLimited', () => {
      limitedEvents++
    })
    const ch = limited.seed.channels.townSquare.id
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => c.posts.create({ channel_id: ch, message: `n${i}` })),
    )
    const messages: string[] = []
    for await (const p of c.posts.iterateChannel(ch)) messages.push(p.message)
    expect(messages.length).toBe(1000)
    expect(new Set(messages).size).toBe(1000)
    expect(limitedEvents).toBeGreaterThan(0)
    await c.close()
    await limited.stop()
  }, 30_000)

  it("onRateLimit: 'throw' rejects with RateLimitedError parsed from a text/plain 429", async () => {
    const c = new Client({ url: emu.url, token: emu.seed.users.bot.token, onRateLimit: 'throw' })
    await c.users.me()
    emu.faults.failNext(1, 429, { retryAfterSec: 2 })
    const err = await c.users.me().catch(e => e)
    expect(err).toBeInstanceOf(RateLimitedError)
    expect(err.retryAfterMs).toBe(2000)
    await c.close()
  })

  it('a retried create after a lost response never double-posts (pending_post_id)', async () => {
    const ch = emu.createChannel({ name: 'dedupe', members: [emu.seed.users.bot.id] })
    const body = { channel_id: ch.id, message: 'once', pending_post_id: 'fixed-pending-id-1' }
    const a = await bot.posts.create(body)
    const b = await bot.posts.create(body)
    expect(b.id).toBe(a.id)
    expect((await bot.posts.forChannel(ch.id)).order.length).toBe(1)
  })
})

describe('secrets', () => {
  it('never appear in debug logs, errors, inspect or JSON', async () => {
    const lines: string[] = []
    const token = emu.seed.users.alice.token
    const password = emu.seed.users.alice.password!
    const logger = consoleLogger('trace', l => lines.push(l))
    const c = new Client({ url: emu.url, token, logger })
    const p = new Client({ url: emu.url, login: { loginId: 'alice', password }, logger })
    await c.users.me()
    await p.login()
    const errs: unknown[] = []
    errs.push(await c.request('GET', `/users/me?access_token=${token}`, { query: { token } }).catch(e => e))
    errs.push(
      await new Client({ url: emu.url, login: { loginId: 'alice', password: `${password}x` }, logger })
        .login()
        .catch(e => e),
    )
    emu.faults.failNext(1, 503)
    errs.push(await c.posts.create({ channel_id: 'x' }).catch(e => e))
    const dump = [
      ...lines,
      inspect(c),
      inspect(p, { showHidden: true, depth: 5 }),
      JSON.stringify(c),
      String(c),
      ...errs.flatMap(e => [
        inspect(e),
        JSON.stringify(e),
        String(e),
        (e as Error).message,
        (e as Error).stack ?? '',
      ]),
    ].join('\n')
    expect(lines.length).toBeGreaterThan(2)
    expect(dump).not.toContain(token)
    expect(dump).not.toContain(password)
    await c.close()
    await p.close()
  })

  it('requestFull keeps the login token readable but out of inspect, JSON and spreads', async () => {
    const password = emu.seed.users.bob.password!
    const c = new Client({ url: emu.url, token: emu.seed.users.alice.token })
    const res = await c.requestFull<{ id: string }>('POST', 'users/login', {
      body: { login_id: 'bob', password },
    })
    const token = res.headers.token
    expect(typeof token).toBe('string')
    expect(res.data.id).toBe(emu.seed.users.bob.id)
    expect(res.headers['x-request-id']).toBeTruthy()
    const dump = [inspect(res, { depth: 5 }), JSON.stringify(res), JSON.stringify({ ...res.headers })].join(
      '\n',
    )
    expect(dump).toContain('x-request-id')
    expect(dump).not.toContain(token as string)
    await c.close()
  })
})
