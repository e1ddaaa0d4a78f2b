// Issue 13 hardening of the bot, end to end on the emulator: signed dialogs bound to their
// callback id, buttons that survive a restart (stable default signing secret), the loop guard
// that never ignores people, long messages split into posts, missing upload files, and no slash
// command repointed at a loopback URL when the server is elsewhere.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { isLoopbackHost, mayRegisterCommands } from '../../src/bot/receive.js'
import { POST_MESSAGE_MAX_RUNES, splitMessage } from '../../src/bot/split.js'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import {
  ArgumentError,
  Bot,
  Client,
  isEvent,
  type OpenDialogEvent,
  type Post,
  type RealtimeEvent,
} from '../../src/index.js'
import type { RealtimeClient } from '../../src/realtime/realtime.js'

let emu: Emulator
let alice: Client
let bob: Client
let aliceRt: RealtimeClient
const seen: RealtimeEvent[] = []
const stopLater: Bot[] = []
let rooms = 0

async function waitFor<T>(fn: () => T | undefined | false, what = 'condition', ms = 5000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 5))
  }
}
const posts = () => seen.flatMap(e => (isEvent(e, 'posted') ? [e.post] : []))
const sees = (pred: (p: Post) => boolean, what = 'a post') => waitFor(() => posts().find(pred), what)
const quiet = { debug() {}, info() {}, warn() {}, error() {} }
const room = (...extra: string[]) =>
  emu.createChannel({
    name: `hard-${++rooms}`,
    members: [emu.seed.users.bot.id, emu.seed.users.alice.id, emu.seed.users.bob.id, ...extra],
  }).id
const runes = (s: string) => Array.from(s).length

beforeAll(async () => {
  emu = await startEmulator()
  alice = new Client({ url: emu.url, token: emu.seed.users.alice.token })
  bob = new Client({ url: emu.url, token: emu.seed.users.bob.token })
  aliceRt = alice.realtime()
  aliceRt.on('event', ev => void seen.push(ev))
  await aliceRt.connect()
})
afterEach(async () => {
  for (const b of stopLater.splice(0)) await b.stop({ timeout: 1000 })
})
afterAll(async () => {
  await aliceRt?.close()
  await alice?.close()
  await bob?.close()
  await emu?.stop()
})

describe('signed dialogs and buttons', () => {
  it("a dialog state issued for 'feedback' cannot drive the 'delete-prod' handler; the genuine submission works", async () => {
    const ran: string[] = []
    const bot = new Bot({ url: emu.url, token: emu.seed.users.bot.token, logger: quiet })
    stopLater.push(bot)
    bot.command('fb', ctx => ctx.openDialog({ callback_id: 'feedback', title: 'Feedback', elements: [] }))
    bot.dialog('feedback', () => void ran.push('feedback'))
    bot.dialog('delete-prod', () => void ran.push('delete-prod'))
    await bot.start()
    const ch = room()
    await alice.commands.execute(ch, '/fb')
    const open = await waitFor(
      () => seen.find((e): e is OpenDialogEvent => isEvent(e, 'open_dialog')),
      'open_dialog',
    )
    const submit = (callback_id: string) =>
      alice.system.submitDialog({
        url: open.dialog.url,
        callback_id,
        state: open.dialog.dialog.state ?? '',
        channel_id: ch,
        team_id: emu.seed.team.id,
        submission: {},
      })
    await expect(submit('delete-prod')).rejects.toThrow()
    expect(ran).toEqual([])
    await submit('feedback')
    expect(ran).toEqual(['feedback'])
  })

  it('a button posted before a restart works through a new Bot with the same token, not with another token', async () => {
    const other = emu.createUser({ username: 'otherbot', is_bot: true })
    const make = (token: string) => {
      const b = new Bot({ url: emu.url, token, logger: quiet })
      b.action('ack', ctx => ctx.update({ message: `acked by @${ctx.action.user_name}` }))
      b.message('buttons', ctx =>
        ctx.reply({ message: 'ack?', props: { attachments: [{ actions: [ctx.button('ack', 'Ack')] }] } }),
      )
      return b
    }
    const first = make(emu.seed.users.bot.token)
    await first.start()
    const port = Number(new URL(first.urls.action).port)
    const ch = room()
    await alice.posts.create({ channel_id: ch, message: 'buttons' })
    const post = await sees(p => p.message === 'ack?' && p.channel_id === ch)
    const actionId = post.props.attachments?.[0]?.actions?.[0]?.id as string
    await first.stop()

    // Another bot account on the same port: its secret differs, so the old button is refused.
    const stranger = make(other.token)
    await stranger.start({ port })
    await expect(alice.posts.doAction(post.id, actionId)).rejects.toThrow()
    expect((await alice.posts.get(post.id)).message).toBe('ack?')
    await stranger.stop()

    const again = make(emu.seed.users.bot.token)
    stopLater.push(again)
    await again.start({ port })
    await alice.posts.doAction(post.id, actionId)
    expect((await alice.posts.get(post.id)).message).toBe('acked by @alice')
  })
})

describe('loop guard', () => {
  it('25 questions from people in one minute get 25 answers (default loopLimit)', async () => {
    const bot = new Bot({
      url: emu.url,
      token: emu.seed.users.bot.token,
      logger: quiet,
      typingIndicator: false,
    })
    stopLater.push(bot)
    bot.message(/^q (\d+)$/, ctx => ctx.reply(`a ${ctx.match?.[1]}`))
    await bot.start()
    const ch = room()
    for (let i = 1; i <= 25; i++)
      await (i % 2 ? alice : bob).posts.create({ channel_id: ch, message: `q ${i}` })
    await waitFor(
      () => posts().filter(p => p.channel_id === ch && p.message.startsWith('a ')).length === 25,
      '25 answers',
    )
  })

  it('between bots it trips, and says so at warn on stderr even without a logger', async () => {
    const chatty = emu.createUser({ username: 'chatty', is_bot: true })
    const chattyClient = new Client({ url: emu.url, token: chatty.token })
    const lines: string[] = []
    const write = process.stderr.write.bind(process.stderr)
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      lines.push(String(chunk))
      return write(chunk, ...rest)
    }) as typeof process.stderr.write
    try {
      const bot = new Bot({
        url: emu.url,
        token: emu.seed.users.bot.token,
        ignoreBots: false,
        loopLimit: 3,
        typingIndicator: false,
      })
      stopLater.push(bot)
      bot.message(/^ping \d+$/, ctx => ctx.reply('pong'))
      await bot.start()
      const ch = room(chatty.id)
      for (let i = 1; i <= 6; i++) {
        await chattyClient.posts.create({ channel_id: ch, message: `ping ${i}` })
        await new Promise(r => setTimeout(r, 50))
      }
      await waitFor(
        () => lines.some(l => l.includes('WARN') && l.includes('loop guard')),
        'loop guard warning',
      )
      expect(posts().filter(p => p.channel_id === ch && p.message === 'pong').length).toBe(3)
    } finally {
      process.stderr.write = write
      await chattyClient.close()
    }
  })
})

describe('long messages and uploads', () => {
  const fence = Array.from({ length: 900 }, (_, i) => `  const line${i} = ${i} // 😀 código`).join('\n')
  const paragraphs = Array.from(
    { length: 60 },
    (_, i) => `Paragraph ${i}. ${'Lorem ipsum 😀 dolor. '.repeat(12)}`,
  )
  const long = `${paragraphs.slice(0, 30).join('\n\n')}\n\n\`\`\`ts\n${fence}\n\`\`\`\n\n${paragraphs.slice(30).join('\n\n')}`

  it('ctx.reply of ~40,000 characters becomes several posts in order in the same thread, fences balanced', async () => {
    expect(long.length).toBeGreaterThan(40_000)
    const bot = new Bot({
      url: emu.url,
      token: emu.seed.users.bot.token,
      logger: quiet,
      typingIndicator: false,
    })
    stopLater.push(bot)
    bot.message('essay', ctx => ctx.reply(long))
    await bot.start()
    const ch = room()
    const q = await alice.posts.create({ channel_id: ch, message: 'essay' })
    const mine = () => posts().filter(p => p.channel_id === ch && p.user_id === emu.seed.users.bot.id)
    const expected = splitMessage(long).length
    expect(expected).toBeGreaterThanOrEqual(3)
    await waitFor(() => mine().length === expected, 'all parts')
    const parts = mine()
    const texts = parts.map(p => p.message)
    for (const p of parts) {
      expect(p.root_id).toBe(q.id)
      expect(runes(p.message)).toBeLessThanOrEqual(POST_MESSAGE_MAX_RUNES)
      expect(p.message.split('\n').filter(l => /^```/.test(l)).length % 2).toBe(0)
    }
    // Undo the closers/reopeners added at cuts inside the fence; the rest is the original text.
    const restored = texts
      .map((t, i) => {
        let s = t
        if (
          i > 0 &&
          texts[i - 1]?.endsWith('\n```') &&
          s.startsWith('```ts\n') &&
          !s.startsWith('```ts\n  const line0 ')
        )
          s = s.slice('```ts\n'.length)
        if (i < texts.length - 1 && s.endsWith('\n```') && texts[i + 1]?.startsWith('```ts\n'))
          s = s.slice(0, -4)
        return s
      })
      .join('\n')
    expect(restored).toBe(long)
  })

  it('a missing local file is an ArgumentError naming the path; { text } uploads content', async () => {
    const bot = new Bot({
      url: emu.url,
      token: emu.seed.users.bot.token,
      logger: quiet,
      typingIndicator: false,
    })
    stopLater.push(bot)
    const outcome: unknown[] = []
    bot.message('files', async ctx => {
      await ctx.upload({ path: '/nonexistent/report.csv' }).catch(e => void outcome.push(e))
      await ctx.upload({ name: 'a.txt', data: '/nonexistent/legacy.txt' }).catch(e => void outcome.push(e))
      await ctx.upload({ name: 'notes.txt', text: 'hello world' }, 'notes')
    })
    await bot.start()
    const ch = room()
    await alice.posts.create({ channel_id: ch, message: 'files' })
    const p = await sees(x => x.message === 'notes' && x.channel_id === ch)
    const info = await alice.files.info(p.file_ids?.[0] as string)
    expect(info).toMatchObject({ name: 'notes.txt', size: 11 })
    expect(outcome).toHaveLength(2)
    expect(outcome[0]).toBeInstanceOf(ArgumentError)
    expect(String((outcome[0] as Error).message)).toContain('/nonexistent/report.csv')
    expect((outcome[1] as ArgumentError).code).toBe('MK_ERR_INVALID_ARGUMENT')
    expect(String((outcome[1] as Error).message)).toContain('/nonexistent/legacy.txt')
  })
})

describe('slash commands are not repointed at a loopback URL', () => {
  it('the loopback predicate', () => {
    for (const h of [
      'localhost',
      'LOCALHOST.',
      'api.localhost',
      '127.0.0.1',
      '127.9.8.7',
      '[::1]',
      '::ffff:127.0.0.1',
      new URL('http://[::ffff:127.0.0.1]:8065').hostname,
    ])
      expect(isLoopbackHost(h), h).toBe(true)
    for (const h of [
      'chat.example.com',
      '192.0.2.2',
      '10.0.0.1',
      'localhost.example.com',
      '128.0.0.1',
      '[fd00::2]',
    ])
      expect(isLoopbackHost(h), h).toBe(false)
    expect(mayRegisterCommands({ publicUrl: undefined, serverUrl: 'https://chat.example.com' })).toBe(false)
    expect(
      mayRegisterCommands({ publicUrl: 'https://bot.example.com', serverUrl: 'https://chat.example.com' }),
    ).toBe(true)
    expect(mayRegisterCommands({ publicUrl: undefined, serverUrl: 'http://127.0.0.1:8065' })).toBe(true)
  })

  // The bot must believe the server is elsewhere while every byte stays on loopback: Linux
  // connects `0.0.0.0` to this machine, and the predicate (rightly) does not call it loopback.
  it('a bot that may not manage slash commands still starts, answers, and says how to fix it', async () => {
    const strict = await startEmulator()
    // a default server: integrations are for team admins, and this bot is none
    const bot = strict.seed.users.bot
    const demoted = await fetch(
      `${strict.url}/api/v4/teams/${strict.seed.team.id}/members/${bot.id}/schemeRoles`,
      {
        method: 'PUT',
        headers: {
          Authorization: `Bearer ${strict.seed.users.admin.token}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ scheme_admin: false, scheme_user: true }),
      },
    )
    expect(demoted.status).toBe(200)
    const warnings: string[] = []
    const log = { ...quiet, warn: (_o: unknown, m?: string) => void warnings.push(String(m)) }
    const b = new Bot({ url: strict.url, token: bot.token, logger: log })
    b.command('hello', () => 'hi')
    b.message('ping', ctx => ctx.reply('pong'))
    const human = new Client({ url: strict.url, token: strict.seed.users.alice.token })
    try {
      await b.start()
      expect(warnings.some(w => w.includes('lacks manage_slash_commands'))).toBe(true)
      const town = strict.seed.channels.townSquare.id
      const asked = await human.posts.create({ channel_id: town, message: 'ping' })
      const answered = async () => {
        for (let i = 0; i < 200; i++) {
          const { posts } = await human.posts.forChannel(town, { since: asked.create_at })
          if (Object.values(posts).some(p => p.message === 'pong')) return true
          await new Promise(r => setTimeout(r, 25))
        }
        return false
      }
      expect(await answered()).toBe(true)
    } finally {
      await b.stop({ timeout: 1000 })
      await human.close()
      await strict.stop()
    }
  })

  it('without publicUrl, a server it cannot tell is local keeps its command URL and the bot warns', async () => {
    const remote = await startEmulator()
    const url = `http://0.0.0.0:${new URL(remote.url).port}`
    expect(isLoopbackHost('0.0.0.0')).toBe(false)
    const warnings: string[] = []
    const log = { ...quiet, warn: (_o: unknown, m?: string) => void warnings.push(String(m)) }
    const make = () => {
      const b = new Bot({ url, token: remote.seed.users.bot.token, logger: log })
      b.command('hello', () => 'hi')
      return b
    }
    const admin = new Client({ url, token: remote.seed.users.admin.token })
    try {
      const first = make()
      await first.start({ publicUrl: 'https://bot.example.com' })
      await first.stop()
      const list = async () =>
        (await admin.commands.list(remote.seed.team.id)).filter(c => c.trigger === 'hello').map(c => c.url)
      expect(await list()).toEqual(['https://bot.example.com/mattermost/command'])
      const second = make()
      await second.start()
      await second.stop()
      expect(await list()).toEqual(['https://bot.example.com/mattermost/command'])
      expect(warnings.some(w => w.includes('not registering slash commands'))).toBe(true)
    } finally {
      await admin.close()
      await remote.stop()
    }
  })
})
