// bot.assistant(): DMs and mentions are answered in their thread, follow-ups in an answered
// thread need no mention, and 'interrupt' stops a running answer when a new question comes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { Bot, Client, isEvent, type RealtimeEvent } from '../../src/index.js'
import type { RealtimeClient } from '../../src/realtime/realtime.js'

let emu: Emulator
let bot: Bot
let alice: Client
let rt: RealtimeClient
const seen: RealtimeEvent[] = []
let rooms = 0

async function until<T>(fn: () => T | undefined | false, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 10))
  }
}
const botId = () => emu.seed.users.bot.id
const posted = () => seen.flatMap(e => (isEvent(e, 'posted') ? [e.post] : []))
const edited = () => seen.flatMap(e => (isEvent(e, 'post_edited') ? [e.post] : []))
/** The latest text of each of the bot's posts under `root`. */
const answersIn = (root: string): string[] =>
  posted()
    .filter(p => p.user_id === botId() && p.root_id === root)
    .map(
      p =>
        edited()
          .filter(e => e.id === p.id)
          .at(-1)?.message ?? p.message,
    )

beforeAll(async () => {
  emu = await startEmulator()
  bot = new Bot({ url: emu.url, token: emu.seed.users.bot.token, typingIndicator: false })
  bot.assistant(
    async ctx => {
      const q = ctx.textWithoutMention.trim()
      async function* answer(): AsyncGenerator<string> {
        if (q === 'long') {
          for (let i = 0; i < 400; i++) {
            yield `l${i} `
            await new Promise(r => setTimeout(r, 10))
          }
        } else yield `answer to ${q}`
      }
      await ctx.stream(answer(), { intervalMs: 100 })
    },
    { overlap: 'interrupt' },
  )
  await bot.start()
  alice = new Client({ url: emu.url, token: emu.seed.users.alice.token })
  rt = alice.realtime()
  rt.on('event', e => void seen.push(e))
  await rt.connect()
}, 30_000)
afterAll(async () => {
  await bot?.stop()
  await rt?.close()
  await alice?.close()
  await emu?.stop()
})

const room = () =>
  emu.createChannel({
    name: `assist-${++rooms}`,
    display_name: `Assist ${rooms}`,
    members: [botId(), emu.seed.users.alice.id],
  }).id

describe('bot.assistant', () => {
  it('answers a DM in its thread', async () => {
    const dm = await alice.channels.direct(emu.seed.users.alice.id, botId())
    const q = await alice.posts.create({ channel_id: dm.id, message: 'hello' })
    await until(() => answersIn(q.id).includes('answer to hello'), 'the DM answer in the thread')
  })

  it('answers a mention, then follow-ups in that thread without a mention, and nothing else', async () => {
    const ch = room()
    const loose = await alice.posts.create({ channel_id: ch, message: 'just chatting' })
    const q = await alice.posts.create({ channel_id: ch, message: `@${emu.seed.users.bot.username} first` })
    await until(() => answersIn(q.id).includes('answer to first'), 'the mention answered')
    await alice.posts.create({ channel_id: ch, root_id: q.id, message: 'second' })
    await until(() => answersIn(q.id).includes('answer to second'), 'the follow-up answered')
    expect(answersIn(loose.id)).toEqual([])
    expect(posted().some(p => p.user_id === botId() && p.channel_id === ch && p.root_id === '')).toBe(false)
  })

  it('another bot wakes the assistant only with props.activate_ai', async () => {
    const other = emu.createUser({ username: `helper-${Date.now()}`, is_bot: true })
    const ch = emu.createChannel({
      name: `assist-bots-${++rooms}`,
      members: [botId(), other.id, emu.seed.users.alice.id],
    }).id
    const client = new Client({ url: emu.url, token: other.token })
    try {
      const mention = `@${emu.seed.users.bot.username}`
      const quiet = await client.posts.create({ channel_id: ch, message: `${mention} quiet` })
      const woken = await client.posts.create({
        channel_id: ch,
        message: `${mention} awake`,
        props: { activate_ai: true },
      })
      await until(() => answersIn(woken.id).includes('answer to awake'), 'the answer to the woken post')
      expect(answersIn(quiet.id)).toEqual([])
    } finally {
      await client.close()
    }
  })

  it("'interrupt': a new question in the thread stops the running answer", async () => {
    const ch = room()
    const q = await alice.posts.create({ channel_id: ch, message: `@${emu.seed.users.bot.username} long` })
    await until(() => answersIn(q.id).length > 0, 'the long answer starting')
    await alice.posts.create({ channel_id: ch, root_id: q.id, message: 'never mind' })
    await until(() => answersIn(q.id).includes('answer to never mind'), 'the new answer')
    await until(() => answersIn(q.id)[0]?.endsWith('_(stopped)_'), 'the first answer stopped')
    const [first] = answersIn(q.id)
    expect(first).not.toContain('l399')
  })
})
