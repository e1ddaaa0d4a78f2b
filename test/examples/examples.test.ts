// Each example runs against the emulator, and a human (alice) checks what she sees.
import { Client, isEvent, type Post, type RealtimeClient, type RealtimeEvent } from 'matterkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAssistant } from '../../examples/assistant.js'
import { createDeployBot } from '../../examples/deploy.js'
import { createEchoBot } from '../../examples/echo.js'
import { notify } from '../../examples/notifier.js'
import { createStatusBot } from '../../examples/status-report.js'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'

let emu: Emulator
let alice: Client
let rt: RealtimeClient
const seen: RealtimeEvent[] = []
beforeAll(async () => {
  emu = await startEmulator()
  alice = new Client({ url: emu.url, token: emu.seed.users.alice.token })
  rt = alice.realtime()
  rt.on('event', e => {
    seen.push(e)
  })
  await rt.connect()
})
afterAll(async () => {
  await rt.close()
  await emu.stop()
})

async function sees(pred: (p: Post) => boolean, ms = 5000): Promise<Post> {
  const end = Date.now() + ms
  for (;;) {
    for (const e of seen)
      if ((isEvent(e, 'posted') || isEvent(e, 'post_edited')) && pred(e.post)) return e.post
    if (Date.now() > end) throw new Error('not seen')
    await new Promise(r => setTimeout(r, 10))
  }
}
const opts = () => ({ url: emu.url, token: emu.seed.users.bot.token })
const ts = () => emu.seed.channels.townSquare.id

describe('examples', () => {
  it('echo', async () => {
    const bot = createEchoBot(opts())
    await bot.start()
    await alice.posts.create({ channel_id: ts(), message: 'ping' })
    await sees(p => p.message === 'pong 🏓')
    await alice.posts.create({ channel_id: ts(), message: '@matterbot echo hello' })
    await sees(p => p.message === 'hello')
    await bot.stop()
  })

  it('deploy: slash command → buttons → approval', async () => {
    const bot = createDeployBot(opts())
    await bot.start()
    const res = await alice.commands.execute(ts(), '/deploy api production')
    expect(res.text).toMatch(/Approval requested/)
    const post = await sees(p => p.message.includes('wants to deploy **api**'))
    await alice.posts.doAction(post.id, post.props.attachments![0]!.actions![0]!.id!)
    expect((await alice.posts.get(post.id)).message).toBe('✅ api → production approved by @alice')
    await alice.commands.execute(ts(), '/deploy')
    const open = seen.find(e => isEvent(e, 'open_dialog'))
    expect(open).toBeDefined()
    await bot.stop()
  })

  it('notifier: incoming webhook with attachments', async () => {
    const admin = new Client({ url: emu.url, token: emu.seed.users.admin.token })
    const hook = await admin.webhooks.incoming.create({ channel_id: ts(), display_name: 'deploys' })
    await notify(admin, hook.id, 'api', 'v1.2.3')
    const p = await sees(x => x.message === 'Deployed **api** v1.2.3')
    expect(p.props.from_webhook).toBe('true')
    expect(p.props.attachments![0]!.fields![1]!.value).toBe('v1.2.3')
  })

  it('status report: scheduled job posts attachment fields', async () => {
    const bot = createStatusBot({
      ...opts(),
      channel: 'Town Square',
      every: '200ms',
      stats: () => ({ open: 3, closed: 7 }),
    })
    await bot.start()
    const p = await sees(x => x.message === '#### Daily status')
    expect(p.props.attachments![0]!.fields!.map(f => f.title)).toEqual(['open', 'closed'])
    await bot.stop()
  })

  it('assistant: typing indicator, thread replies, waitForReply', async () => {
    const bot = createAssistant(opts())
    await bot.start()
    const q = await alice.posts.create({ channel_id: ts(), message: '@matterbot plan' })
    await sees(p => p.message === 'What should the plan be about?' && p.root_id === q.id)
    await alice.posts.create({ channel_id: ts(), message: 'the launch', root_id: q.id })
    const a = await sees(p => p.message.includes('a plan for the launch') && p.root_id === q.id)
    expect(a.user_id).toBe(emu.seed.users.bot.id)
    expect(seen.some(e => isEvent(e, 'typing') && e.userId === emu.seed.users.bot.id)).toBe(true)
    await bot.stop()
  })
})
