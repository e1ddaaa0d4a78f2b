// ctx.stream(): a bot on the emulator streams a model's answer into posts. The model is a local
// OpenAI-compatible server (SSE chat/completions with stream: true) written here, driven through
// the real `openai` package; alice watches over her own WebSocket.
import { createServer, type Server } from 'node:http'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { Bot, Client, isEvent, type Post, type RealtimeEvent } from '../../src/index.js'
import type { RealtimeClient } from '../../src/realtime/realtime.js'

/** A chat/completions server streaming `tokens` with `gapMs` between them; it records early closes. */
interface ModelServer {
  url: string
  /** Answers by prompt: the user message's text → the tokens to stream. */
  answers: Map<string, string[]>
  gapMs: number
  /** How many streams the client closed before the last token. */
  closedEarly: number
  close(): Promise<void>
}

async function startModelServer(): Promise<ModelServer> {
  const m: Omit<ModelServer, 'url' | 'close'> = { answers: new Map(), gapMs: 2, closedEarly: 0 }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', c => (body += c))
    req.on('end', async () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}')
        return
      }
      const { messages } = JSON.parse(body) as { messages: { content: string }[] }
      const prompt = messages.at(-1)?.content ?? ''
      const tokens = m.answers.get(prompt) ?? ['no ', 'answer']
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      let open = true
      res.on('close', () => {
        if (open) m.closedEarly++
        open = false
      })
      const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'local', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
      res.write(chunk({ role: 'assistant', content: '' }))
      for (const t of tokens) {
        if (!open) return
        res.write(chunk({ content: t }))
        await new Promise(r => setTimeout(r, m.gapMs))
      }
      if (!open) return
      res.write(chunk({}, 'stop'))
      res.write('data: [DONE]\n\n')
      open = false
      res.end()
    })
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  return Object.assign(m, {
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>(r => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }) as ModelServer
}

let emu: Emulator
let model: ModelServer
let bot: Bot
let alice: Client
let bob: Client
let aliceRt: RealtimeClient
let bobRt: RealtimeClient
const bobSeen: RealtimeEvent[] = []
const seen: RealtimeEvent[] = []
const stops = new Map<string, AbortController>()

async function waitFor<T>(fn: () => T | undefined | false, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 10))
  }
}
const edits = (postId: string) =>
  seen.filter(e => isEvent(e, 'post_edited') && e.post.id === postId).map(e => (e as { post: Post }).post)
const botPosts = (rootId: string) =>
  seen.flatMap(e =>
    isEvent(e, 'posted') && e.post.root_id === rootId && e.post.user_id === emu.seed.users.bot.id
      ? [e.post]
      : [],
  )

beforeAll(async () => {
  ;[emu, model] = await Promise.all([startEmulator(), startModelServer()])
  const openai = new OpenAI({ baseURL: model.url, apiKey: 'local-test-key' })
  bot = new Bot({ url: emu.url, token: emu.seed.users.bot.token, typingIndicator: false })
  bot.message(/^ask (.+)$/s, async ctx => {
    const stop = new AbortController()
    stops.set(ctx.post.id, stop)
    const stream = await openai.chat.completions.create({
      model: 'local',
      stream: true,
      messages: [{ role: 'user', content: ctx.match[1] ?? '' }],
    })
    await ctx.stream(stream, { signal: stop.signal, intervalMs: 200 })
  })
  bot.message(/^fail$/, async ctx => {
    async function* broken(): AsyncGenerator<string> {
      yield 'partial '
      throw new Error('model went away')
    }
    await ctx.stream(broken())
  })
  bot.message(/^bytes$/, ctx => {
    const enc = new TextEncoder()
    const parts = ['Bytes ', 'from a ', 'ReadableStream ✓']
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = parts.shift()
        if (next === undefined) c.close()
        else c.enqueue(enc.encode(next))
      },
    })
    return ctx.stream(body).then(() => undefined)
  })
  bot.message(/^odd$/, ctx => ctx.stream({ not: 'a stream' } as never).then(() => undefined))
  bot.message(/^deploy$/, async ctx => {
    const ok = await ctx.confirm('Deploy to production?', { approve: 'Deploy' })
    await ctx.reply(ok ? 'deploying' : 'not deploying')
  })
  bot.catch(() => {})
  // Listening, so the Stop and confirm buttons can reach the bot.
  await bot.start({ port: 0 })
  alice = new Client({ url: emu.url, token: emu.seed.users.alice.token })
  aliceRt = alice.realtime()
  aliceRt.on('event', e => void seen.push(e))
  await aliceRt.connect()
  bob = new Client({ url: emu.url, token: emu.seed.users.bob.token })
  bobRt = bob.realtime()
  bobRt.on('event', e => void bobSeen.push(e))
  await bobRt.connect()
}, 30_000)

afterAll(async () => {
  await bot?.stop()
  await aliceRt?.close()
  await alice?.close()
  await bobRt?.close()
  await bob?.close()
  await emu?.stop()
  await model?.close()
})

let rooms = 0
/** A fresh channel with the bot and alice: the bot answers in the question's thread there. */
const room = async () =>
  emu.createChannel({
    name: `stream-${++rooms}`,
    display_name: `Stream ${rooms}`,
    members: [emu.seed.users.bot.id, emu.seed.users.alice.id, emu.seed.users.bob.id],
  }).id

describe('ctx.stream', () => {
  it('the final post is exactly the tokens, edited a few times (not once per token), marked as AI-written', async () => {
    const tokens = Array.from({ length: 300 }, (_, i) => `w${i} `)
    model.answers.set('count', tokens)
    const q = await alice.posts.create({ channel_id: await room(), message: 'ask count' })
    const [first] = await waitFor(() => botPosts(q.id).length > 0 && botPosts(q.id), 'the first post')
    const full = tokens.join('')
    await waitFor(() => edits(first!.id).some(p => p.message === full), 'the full text')
    const final = await alice.posts.get(first!.id)
    expect(final.message).toBe(full)
    expect(final.props).toMatchObject({
      ai_generated_by: emu.seed.users.bot.id,
      ai_generated_by_username: emu.seed.users.bot.username,
      unsafe_links: 'true',
    })
    // 300 tokens 2 ms apart at one edit per 200 ms: a handful of edits, never one per token.
    expect(edits(first!.id).length).toBeGreaterThan(0)
    expect(edits(first!.id).length).toBeLessThan(30)
  })

  it('a 40,000-rune answer becomes 3 posts in the thread, each within the limit, code fences balanced', async () => {
    const line = `${'x'.repeat(99)}\n`
    const body = Array.from({ length: 400 }, () => line).join('')
    const tokens = ['Intro\n\n```ts\n', ...body.match(/[\s\S]{1,500}/g)!, '```\nEnd']
    model.answers.set('long', tokens)
    model.gapMs = 0
    const q = await alice.posts.create({ channel_id: await room(), message: 'ask long' })
    const full = tokens.join('')
    const parts = await waitFor(() => {
      const ps = botPosts(q.id)
      if (ps.length < 3) return false
      const last = ps.at(-1)!
      const lastText = [last, ...edits(last.id)].at(-1)!.message
      return lastText.endsWith('End') && ps
    }, 'three posts ending the answer')
    model.gapMs = 2
    const texts = await Promise.all(parts.map(async p => (await alice.posts.get(p.id)).message))
    for (const t of texts) {
      expect([...t].length).toBeLessThanOrEqual(16_383)
      expect((t.match(/^```/gm) ?? []).length % 2).toBe(0)
    }
    // Without the closers and reopeners added at the cuts, the posts are the answer.
    const rejoined = texts.map((t, i) => {
      let s = t
      if (i < texts.length - 1) s = s.replace(/\n```$/, '')
      if (i > 0) s = s.replace(/^```ts\n/, '')
      return s
    })
    const got = rejoined.join('\n').replace(/\n+/g, '\n')
    const want = full.replace(/\n+/g, '\n')
    const at = [...got].findIndex((c, i) => c !== want[i])
    expect({ at, len: got.length, around: got.slice(at - 20, at + 20) }).toEqual({
      at: -1,
      len: want.length,
      around: '',
    })
  })

  it('a 429 storm on the edits delays the text and loses none of it', async () => {
    const tokens = Array.from({ length: 200 }, (_, i) => `r${i} `)
    model.answers.set('storm', tokens)
    model.gapMs = 5
    const q = await alice.posts.create({ channel_id: await room(), message: 'ask storm' })
    const [first] = await waitFor(() => botPosts(q.id).length > 0 && botPosts(q.id), 'the first post')
    emu.faults.failNext(4, 429, { path: /^\/api\/v4\/posts\/[a-z0-9]+\/patch$/, retryAfterSec: 1 })
    const full = tokens.join('')
    await waitFor(() => edits(first!.id).some(p => p.message === full), 'the full text after the storm')
    expect((await alice.posts.get(first!.id)).message).toBe(full)
    model.gapMs = 2
  })

  it('stopping closes the model connection and ends the post with a mark', async () => {
    model.answers.set(
      'slow',
      Array.from({ length: 1000 }, (_, i) => `s${i} `),
    )
    model.gapMs = 10
    const before = model.closedEarly
    const q = await alice.posts.create({ channel_id: await room(), message: 'ask slow' })
    const [first] = await waitFor(() => botPosts(q.id).length > 0 && botPosts(q.id), 'the first post')
    stops.get(q.id)!.abort()
    await waitFor(() => edits(first!.id).some(p => p.message.endsWith('_(stopped)_')), 'the stopped mark')
    expect(model.closedEarly).toBe(before + 1)
    model.gapMs = 2
  })

  it('the Stop button: refused to someone else (told only to them), stops the model for the asker', async () => {
    model.answers.set(
      'stoppable',
      Array.from({ length: 2000 }, (_, i) => `t${i} `),
    )
    model.gapMs = 10
    const before = model.closedEarly
    const q = await alice.posts.create({ channel_id: await room(), message: 'ask stoppable' })
    const [first] = await waitFor(() => botPosts(q.id).length > 0 && botPosts(q.id), 'the first post')
    const stop = first!.props.attachments?.[0]?.actions?.[0]
    expect(stop?.name).toBe('Stop')
    await bob.posts.doAction(first!.id, stop!.id!)
    const refusal = await waitFor(
      () =>
        bobSeen.find(
          e => e.event === 'ephemeral_message' && JSON.stringify(e).includes('Only @alice can stop this'),
        ),
      "bob's refusal",
    )
    expect(refusal).toBeDefined()
    expect(model.closedEarly).toBe(before)
    await alice.posts.doAction(first!.id, stop!.id!)
    await waitFor(() => edits(first!.id).some(p => p.message.endsWith('_(stopped)_')), 'the stopped mark')
    expect(model.closedEarly).toBe(before + 1)
    // The final edit removed the button.
    expect((await alice.posts.get(first!.id)).props.attachments ?? []).toEqual([])
    model.gapMs = 2
  })

  it('confirm(): the wrong user is refused, the right one approves', async () => {
    const ch = await room()
    const q = await alice.posts.create({ channel_id: ch, message: 'deploy' })
    const ask = await waitFor(
      () => botPosts(q.id).find(p => p.message === 'Deploy to production?'),
      'the confirmation',
    )
    const [approve, reject] = ask.props.attachments![0]!.actions!
    expect([approve!.name, reject!.name]).toEqual(['Deploy', 'Reject'])
    await bob.posts.doAction(ask.id, approve!.id!)
    await waitFor(
      () =>
        bobSeen.find(
          e => e.event === 'ephemeral_message' && JSON.stringify(e).includes('Only @alice can answer this'),
        ),
      "bob's refusal",
    )
    expect(botPosts(q.id).some(p => p.message === 'deploying')).toBe(false)
    await alice.posts.doAction(ask.id, approve!.id!)
    await waitFor(() => botPosts(q.id).find(p => p.message === 'deploying'), 'the approved action')
    const after = await alice.posts.get(ask.id)
    expect(after.message).toContain('✅ Approved by @alice')
    expect(after.props.attachments ?? []).toEqual([])
  })

  it('a ReadableStream of bytes is a source too', async () => {
    const q = await alice.posts.create({ channel_id: await room(), message: 'bytes' })
    const [first] = await waitFor(() => botPosts(q.id).length > 0 && botPosts(q.id), 'the post')
    await waitFor(
      () => [first!, ...edits(first!.id)].some(p => p.message === 'Bytes from a ReadableStream ✓'),
      'the whole text',
    )
  })

  it('a source that throws ends the post with a note; an unknown source is a clear error', async () => {
    const ch = await room()
    const q = await alice.posts.create({ channel_id: ch, message: 'fail' })
    const post = await waitFor(
      () =>
        [...botPosts(q.id), ...botPosts(q.id).flatMap(p => edits(p.id))].find(p =>
          p.message.includes('cut short'),
        ),
      'the error note',
    )
    expect(post.message.startsWith('partial ')).toBe(true)
    const errors: unknown[] = []
    bot.catch(err => void errors.push(err))
    await alice.posts.create({ channel_id: ch, message: 'odd' })
    const err = await waitFor(() => errors[0], 'the error')
    expect((err as Error).cause).toMatchObject({
      code: 'MK_ERR_INVALID_ARGUMENT',
      message: expect.stringContaining('ctx.stream()'),
    })
  })
})
