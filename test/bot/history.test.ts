// ctx.history(): a thread of 300 posts by three speakers (alice, bob and the bot) becomes
// model-ready messages, oldest first, within a budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { Bot, Client, type HistoryMessage } from '../../src/index.js'

let emu: Emulator
let bot: Bot
let alice: Client
let bob: Client
let botClient: Client
const got: HistoryMessage[][] = []

beforeAll(async () => {
  emu = await startEmulator()
  bot = new Bot({ url: emu.url, token: emu.seed.users.bot.token, typingIndicator: false })
  bot.message(/^history( \d+)?$/, async ctx => {
    const budget = ctx.match[1] ? Number(ctx.match[1]) : undefined
    got.push(await ctx.history({ system: 'Be brief.', ...(budget ? { budget } : {}) }))
  })
  await bot.start()
  alice = new Client({ url: emu.url, token: emu.seed.users.alice.token })
  bob = new Client({ url: emu.url, token: emu.seed.users.bob.token })
  botClient = new Client({ url: emu.url, token: emu.seed.users.bot.token })
}, 30_000)
afterAll(async () => {
  await bot?.stop()
  for (const c of [alice, bob, botClient]) await c?.close()
  await emu?.stop()
})

async function until<T>(fn: () => T | undefined, what: string): Promise<T> {
  const end = Date.now() + 10_000
  for (;;) {
    const v = fn()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 10))
  }
}

describe('ctx.history', () => {
  it('a 300-post thread with three speakers: roles, @name prefixes, order, notes, budget', async () => {
    const channel_id = emu.createChannel({
      name: 'history',
      display_name: 'History',
      members: [emu.seed.users.bot.id, emu.seed.users.alice.id, emu.seed.users.bob.id],
    }).id
    const root = await alice.posts.create({ channel_id, message: 'm0' })
    const speakers = [alice, bob, botClient]
    for (let i = 1; i < 299; i++)
      await speakers[i % 3]!.posts.create({
        channel_id,
        root_id: root.id,
        message: `m${i}`,
        ...(i === 7 ? { props: { attachments: [{ title: 'Build report' }] } } : {}),
      })
    await alice.posts.create({ channel_id, root_id: root.id, message: 'history' })
    const all = await until(() => got[0], 'the history')
    expect(all[0]).toMatchObject({ role: 'system', content: 'Be brief.' })
    const thread = all.slice(1)
    expect(thread).toHaveLength(300)
    expect(thread[0]).toMatchObject({ role: 'user', name: 'alice', content: '@alice: m0', postId: root.id })
    expect(thread[1]).toMatchObject({ role: 'user', name: 'bob', content: '@bob: m1' })
    expect(thread[2]).toMatchObject({ role: 'assistant', content: 'm2' })
    expect(thread[7]).toMatchObject({ content: '@bob: m7\n[attachment: Build report]' })
    expect(thread.at(-1)).toMatchObject({ role: 'user', content: '@alice: history' })
    expect(thread.map(m => m.createAt)).toEqual([...thread.map(m => m.createAt)].sort((a, b) => a - b))
    // A budget keeps the newest messages that fit, and the system message.
    await alice.posts.create({ channel_id, root_id: root.id, message: 'history 100' })
    const some = await until(() => got[1], 'the budgeted history')
    expect(some[0]).toMatchObject({ role: 'system' })
    expect(some.at(-1)).toMatchObject({ content: '@alice: history 100' })
    const size = some.reduce((n, m) => n + m.content.length, 0)
    expect(size).toBeLessThanOrEqual(100)
    expect(some.length).toBeGreaterThan(3)
  }, 60_000)
})
