// The test harness (`matterkit/testing`) against a real emulator over loopback, with a real Bot.
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MatterkitError } from '../../src/core/errors.js'
import { Bot } from '../../src/index.js'
import { startTestServer, type TestServer, TestTimeoutError } from '../../src/testing/index.js'

const refused = (url: string): Promise<boolean> =>
  new Promise(resolve => {
    const { hostname, port } = new URL(url)
    const s = connect(Number(port), hostname)
    s.once('connect', () => {
      s.destroy()
      resolve(false)
    })
    s.once('error', () => resolve(true))
  })

describe('startTestServer with a ping bot', () => {
  let t: TestServer
  let bot: Bot
  beforeAll(async () => {
    t = await startTestServer()
    bot = new Bot({ url: t.url, token: t.botToken, threadReplies: false })
    bot.message(/^ping$/, ctx => ctx.reply('pong'))
    bot.message(/^slow ping$/, async ctx => {
      await new Promise(r => setTimeout(r, 300))
      await ctx.reply('slow pong')
    })
    await bot.start()
  })
  afterAll(async () => {
    await bot.stop()
    await t.stop()
  })

  it('the bot answers ping with pong', async () => {
    const ping = await t.post('townSquare', 'ping')
    const reply = await t.waitForPost({ text: 'pong' })
    expect(reply.message).toBe('pong')
    expect(reply.user_id).toBe(t.seed.users.bot.id)
    expect(reply.channel_id).toBe(t.seed.channels.townSquare.id)
    expect(reply.create_at).toBeGreaterThanOrEqual(ping.create_at)
  })

  it('sees a reply that arrived before waitForPost was called', async () => {
    const ping = await t.post('off-topic', 'ping', { as: 'bob' })
    // Let the bot answer first: the reply already exists when we start waiting.
    let early = false
    for (let i = 0; i < 100 && !early; i++) {
      const list = await t.as('alice').posts.forChannel(t.seed.channels.offTopic.id, { perPage: 1 })
      const newest = list.posts[list.order[0]!]
      early = newest !== undefined && newest.id !== ping.id && newest.message === 'pong'
      if (!early) await new Promise(r => setTimeout(r, 20))
    }
    expect(early).toBe(true)
    const reply = await t.waitForPost({ channel: 'offTopic', user: 'bot', text: 'pong' }, { timeoutMs: 1000 })
    expect(reply.message).toBe('pong')
  })

  it('waits for a reply that comes later, and matches by RegExp and predicate', async () => {
    await t.post('townSquare', 'slow ping')
    const byRegExp = await t.waitForPost({ text: /^slow pong$/, user: 'matterbot' })
    expect(byRegExp.message).toBe('slow pong')
    const byPredicate = await t.waitForPost(p => p.message.startsWith('slow'), {
      since: byRegExp.create_at - 1000,
    })
    expect(byPredicate.message).toBe('slow ping') // the oldest match since `since`
  })

  it('does not return posts from before the last post()', async () => {
    await t.post('townSquare', 'ping')
    await t.waitForPost({ text: 'pong' })
    await t.post('townSquare', 'nothing to answer')
    const err = await t.waitForPost({ text: 'pong' }, { timeoutMs: 300 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TestTimeoutError)
  })

  it('times out with a typed error that lists the last posts seen', async () => {
    await t.post('townSquare', 'ping')
    const err = await t
      .waitForPost({ text: 'never said', channel: 'townSquare' }, { timeoutMs: 400 })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TestTimeoutError)
    expect(err).toBeInstanceOf(MatterkitError)
    const e = err as TestTimeoutError
    expect(e.code).toBe('MK_ERR_TEST_TIMEOUT')
    expect(e.timeoutMs).toBe(400)
    expect(e.message).toContain('timed out after 400 ms')
    expect(e.message).toContain('containing "never said"')
    expect(e.message).toContain('@matterbot in ~town-square: "pong"')
    expect(e.recent.map(p => p.message)).toContain('pong')
  })

  it('rejects unknown users and channels with an ArgumentError', async () => {
    expect(() => t.as('nobody')).toThrow(/Unknown user "nobody"/)
    await expect(t.post('no-such-channel', 'hi')).rejects.toMatchObject({ code: 'MK_ERR_INVALID_ARGUMENT' })
  })
})

describe('as()', () => {
  it('authenticates as the seeded user, by key or username', async () => {
    await using t = await startTestServer()
    expect((await t.as('bob').users.me()).username).toBe('bob')
    expect((await t.as('matterbot').users.me()).id).toBe(t.seed.users.bot.id)
    expect(t.as('bob')).toBe(t.as('bob'))
    const carol = t.createUser({ username: 'carol', password: 'carol-password-1' })
    expect((await t.as('carol').users.me()).id).toBe(carol.id)
  })
})

describe('stop()', () => {
  it('closes the emulator: the port refuses connections and no socket stays open', async () => {
    const t = await startTestServer()
    await t.post('townSquare', 'hello', { as: 'bob' })
    await t.waitForPost({ user: 'bob' }, { since: 0 })
    expect(await refused(t.url)).toBe(false)
    await t.stop()
    expect(await refused(t.url)).toBe(true)
    expect(t.emulator.liveSockets).toBe(0)
    await t.stop() // idempotent
    await expect(t.waitForPost({ text: 'x' })).rejects.toMatchObject({ code: 'MK_ERR_ABORTED' })
  })

  it('aborts a pending waitForPost', async () => {
    const t = await startTestServer()
    const waiting = t.waitForPost({ text: 'never' }, { timeoutMs: 10_000 }).catch((e: unknown) => e)
    await new Promise(r => setTimeout(r, 100))
    await t.stop()
    const err = await waiting
    expect(err).toMatchObject({ code: 'MK_ERR_ABORTED' })
  })

  it('await using stops the server at the end of the block', async () => {
    let url = ''
    {
      await using t = await startTestServer()
      url = t.url
      expect(await refused(url)).toBe(false)
    }
    expect(await refused(url)).toBe(true)
  })
})
