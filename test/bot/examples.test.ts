// Each example runs against the emulator, and a human (alice) checks what she sees. The examples
// import 'matterkit'; at run time that name points at the source here (no build needed); types
// come from the package like the examples' own.

import {
  type Bot,
  Client,
  isEvent,
  type OpenDialogEvent,
  type Post,
  type RealtimeClient,
  type RealtimeEvent,
} from 'matterkit'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createAssistant } from '../../examples/assistant.js'
import { createDeployBot } from '../../examples/deploy.js'
import { createEchoBot } from '../../examples/echo.js'
import { notify } from '../../examples/notifier.js'
import { createStatusBot } from '../../examples/status-report.js'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'

vi.mock('matterkit', async () => await import('../../src/index.js'))

let emu: Emulator
let alice: Client
let rt: RealtimeClient
let rooms = 0
const seen: RealtimeEvent[] = []
const running: Bot[] = []

beforeAll(async () => {
  emu = await startEmulator()
  alice = new Client({ url: emu.url, token: emu.seed.users.alice.token })
  rt = alice.realtime()
  rt.on('event', e => void seen.push(e))
  await rt.connect()
})
afterAll(async () => {
  for (const b of running) await b.stop()
  await rt?.close()
  await alice?.close()
  await emu?.stop()
})

async function sees(pred: (p: Post) => boolean, what = 'a post', ms = 5000): Promise<Post> {
  const end = Date.now() + ms
  for (;;) {
    for (const e of seen)
      if ((isEvent(e, 'posted') || isEvent(e, 'post_edited')) && pred(e.post)) return e.post
    if (Date.now() > end) throw new Error(`not seen: ${what}`)
    await new Promise(r => setTimeout(r, 5))
  }
}
const opts = () => ({ url: emu.url, token: emu.seed.users.bot.token })
const room = () =>
  emu.createChannel({
    name: `ex-${++rooms}`,
    display_name: `Example ${rooms}`,
    members: [emu.seed.users.bot.id, emu.seed.users.alice.id],
  }).id
const started = async (b: Bot) => {
  running.push(b)
  await b.start()
  return b
}

describe('examples', () => {
  it('echo', async () => {
    const bot = await started(createEchoBot(opts()))
    const ch = room()
    await alice.posts.create({ channel_id: ch, message: 'ping' })
    await sees(p => p.message === 'pong 🏓' && p.channel_id === ch)
    await alice.posts.create({ channel_id: ch, message: '@matterbot echo hello' })
    await sees(p => p.message === 'hello' && p.channel_id === ch)
    await bot.stop()
  })

  it('deploy: slash command → buttons → approval; no arguments → dialog → request', async () => {
    const bot = await started(createDeployBot(opts()))
    const ch = room()
    const res = await alice.commands.execute(ch, '/deploy api production')
    expect(res.text).toBe('Approval requested for api → production.')
    const post = await sees(p => p.message === '@alice wants to deploy **api** to **production**.')
    await alice.posts.doAction(post.id, post.props.attachments![0]!.actions![0]!.id!)
    expect((await alice.posts.get(post.id)).message).toBe('✅ api → production approved by @alice')
    expect((await alice.commands.execute(ch, '/deploy api moon')).text).toMatch(
      /must be one of staging, production/,
    )
    await alice.commands.execute(ch, '/deploy')
    const open = seen.find((e): e is OpenDialogEvent => isEvent(e, 'open_dialog'))!
    const submit = (service: string) =>
      alice.system.submitDialog({
        url: open.dialog.url,
        callback_id: 'deploy',
        state: open.dialog.dialog.state!,
        channel_id: ch,
        team_id: emu.seed.team.id,
        submission: { service, env: 'staging' },
      })
    expect(await submit('')).toEqual({ errors: { service: 'Which service?' } })
    await submit('web')
    const req = await sees(p => p.message === '@alice wants to deploy **web** to **staging**.')
    await alice.posts.doAction(req.id, req.props.attachments![0]!.actions![1]!.id!)
    expect((await alice.posts.get(req.id)).message).toBe('❌ rejected by @alice')
    await bot.stop()
  })

  it('notifier: incoming webhook with attachments', async () => {
    const admin = new Client({ url: emu.url, token: emu.seed.users.admin.token })
    const ch = room()
    const hook = await admin.webhooks.incoming.create({ channel_id: ch, display_name: 'deploys' })
    await notify(admin, hook.id, 'api', 'v1.2.3')
    await admin.close()
    const p = await sees(x => x.message === 'Deployed **api** v1.2.3')
    expect(p.props.from_webhook).toBe('true')
    expect(p.props.attachments![0]!.fields).toEqual([
      { title: 'Service', value: 'api', short: true },
      { title: 'Version', value: 'v1.2.3', short: true },
    ])
  })

  it('status report: a scheduled job posts attachment fields to a channel by display name', async () => {
    const ch = room()
    const bot = await started(
      createStatusBot({
        ...opts(),
        channel: `Example ${rooms}`,
        every: '100ms',
        stats: () => ({ open: 3, closed: 7 }),
      }),
    )
    const p = await sees(x => x.message === '#### Daily status' && x.channel_id === ch)
    expect(p.props.attachments![0]!.fields).toEqual([
      { title: 'open', value: '3', short: true },
      { title: 'closed', value: '7', short: true },
    ])
    await bot.stop()
  })

  it('assistant: streams an answer to a mention, with the thread as context, marked as AI-generated', async () => {
    const bot = await started(createAssistant(opts()))
    const ch = room()
    const q = await alice.posts.create({ channel_id: ch, message: '@matterbot what is a lane?' })
    const first = await sees(p => p.root_id === q.id && p.user_id === emu.seed.users.bot.id, 'the first text')
    expect(first.props.ai_generated_by).toBe(emu.seed.users.bot.id)
    await sees(
      p =>
        p.id === first.id &&
        p.message === '(demo model) You asked about "what is a lane?". Here is a thoughtful answer.',
      'the whole answer',
    )
    await bot.stop()
  })

  it('assistant: typing indicator, thread replies, waitForReply', async () => {
    const bot = await started(createAssistant(opts()))
    const ch = room()
    const q = await alice.posts.create({ channel_id: ch, message: '@matterbot plan' })
    await sees(p => p.message === 'What should the plan be about?' && p.root_id === q.id)
    await alice.posts.create({ channel_id: ch, message: 'the launch', root_id: q.id })
    const a = await sees(p => p.message.includes('a plan for the launch') && p.root_id === q.id)
    expect(a.user_id).toBe(emu.seed.users.bot.id)
    expect(
      seen.some(
        e => isEvent(e, 'typing') && e.userId === emu.seed.users.bot.id && e.broadcast.channel_id === ch,
      ),
    ).toBe(true)
    await bot.stop()
  })
})
