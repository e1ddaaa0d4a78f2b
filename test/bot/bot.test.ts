import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import {
  Bot,
  Client,
  type Context,
  compose,
  isEvent,
  type Post,
  parseArgs,
  parseCron,
  type RealtimeClient,
  type RealtimeEvent,
} from '../../src/index.js'

let emu: Emulator
let bot: Bot
let alice: Client
let aliceRt: RealtimeClient
const aliceSees: RealtimeEvent[] = []

async function waitFor<T>(fn: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > end) throw new Error('timed out')
    await new Promise(r => setTimeout(r, 10))
  }
}
const seenPost = (pred: (p: Post) => boolean) =>
  waitFor(() => {
    for (const e of aliceSees) if (isEvent(e, 'posted') && pred(e.post)) return e.post
    return undefined
  })

beforeAll(async () => {
  emu = await startEmulator()
  bot = new Bot({ url: emu.url, token: emu.seed.users.bot.token, typingIndicator: true })
  bot.message(/^ping$/i, ctx => ctx.reply('pong'))
  bot.message(/^add (\d+) (\d+)$/, ctx => ctx.reply(String(Number(ctx.match![1]) + Number(ctx.match![2]))))
  bot.mention('help', ctx => ctx.reply('I can ping.'))
  bot.dm(undefined, ctx => ctx.reply(`dm: ${ctx.text}`))
  bot.message('slow', async ctx => {
    await new Promise(r => setTimeout(r, 1300))
    await ctx.reply('done slowly')
  })
  bot.message('ask', async ctx => {
    await ctx.reply('What is your name?')
    const answer = await ctx.waitForReply({ timeout: 5000 })
    await ctx.reply(`Hello ${answer.message}`)
  })
  bot.message('count', async ctx => {
    const s = await ctx.session<{ n?: number }>()
    s.n = (s.n ?? 0) + 1
    await ctx.reply(`count ${s.n}`)
  })
  bot.command(
    'deploy',
    async ctx => {
      if (ctx.args[0] === 'dialog') {
        await ctx.openDialog(
          {
            callback_id: 'deploy',
            title: 'Deploy',
            elements: [{ display_name: 'Env', name: 'env', type: 'text' }],
          },
          { from: 'cmd' },
        )
        return
      }
      await ctx.client.posts.create({
        channel_id: ctx.channelId,
        message: `Deploy ${ctx.args.join(' ')}?`,
        props: {
          attachments: [
            { text: 'Approve?', actions: [bot.button('approve', 'Approve', { target: ctx.args[0] })] },
          ],
        },
      })
      return { response_type: 'ephemeral', text: `Requested deploy of ${ctx.args[0]}` }
    },
    { description: 'Deploy a service', hint: '<service>' },
  )
  bot.action('approve', ctx =>
    ctx.update({ message: `Approved ${String(ctx.action!.context.target)} by ${ctx.action!.user_name}` }),
  )
  bot.dialog('deploy', ctx => {
    const env = ctx.dialogSubmission!.submission.env
    if (!env) return ctx.fieldErrors({ env: 'required' })
    return ctx.send('town-square', `Deploying to ${String(env)}`)
  })
  bot.event('user_added', ctx => ctx.send(ctx.channelId, 'Welcome!'))
  await bot.start()
  alice = new Client({ url: emu.url, token: emu.seed.users.alice.token })
  aliceRt = alice.realtime()
  aliceRt.on('event', ev => {
    aliceSees.push(ev)
  })
  await aliceRt.connect()
})
afterAll(async () => {
  await aliceRt.close()
  await bot.stop()
  await emu.stop()
})

const ts = () => emu.seed.channels.townSquare.id

describe('messages', () => {
  it('answers in a thread under the message; regex groups in ctx.match', async () => {
    const q = await alice.posts.create({ channel_id: ts(), message: 'ping' })
    const a = await seenPost(p => p.message === 'pong')
    expect(a.root_id).toBe(q.id)
    expect(a.user_id).toBe(emu.seed.users.bot.id)
    await alice.posts.create({ channel_id: ts(), message: 'add 2 40' })
    await seenPost(p => p.message === '42')
  })
  it('mentions and DMs', async () => {
    await alice.posts.create({ channel_id: ts(), message: '@matterbot help' })
    await seenPost(p => p.message === 'I can ping.')
    const dm = await alice.channels.direct(emu.seed.users.alice.id, emu.seed.users.bot.id)
    await alice.posts.create({ channel_id: dm.id, message: 'hello there' })
    await seenPost(p => p.message === 'dm: hello there' && p.channel_id === dm.id)
  })
  it('shows a typing indicator while a handler runs long', async () => {
    await alice.posts.create({ channel_id: ts(), message: 'slow' })
    await seenPost(p => p.message === 'done slowly')
    expect(aliceSees.some(e => isEvent(e, 'typing') && e.userId === emu.seed.users.bot.id)).toBe(true)
  })
  it('waitForReply runs a two-step conversation; sessions persist per user', async () => {
    const q = await alice.posts.create({ channel_id: ts(), message: 'ask' })
    await seenPost(p => p.message === 'What is your name?')
    await alice.posts.create({ channel_id: ts(), message: 'Alice', root_id: q.id })
    await seenPost(p => p.message === 'Hello Alice')
    await alice.posts.create({ channel_id: ts(), message: 'count' })
    await seenPost(p => p.message === 'count 1')
    await alice.posts.create({ channel_id: ts(), message: 'count' })
    await seenPost(p => p.message === 'count 2')
  })
  it('welcomes users added to a channel (realtime events)', async () => {
    const ch = emu.createChannel({
      name: 'newroom',
      members: [emu.seed.users.bot.id, emu.seed.users.alice.id],
    })
    emu.addToChannel(ch.id, emu.seed.users.bob.id)
    await seenPost(p => p.message === 'Welcome!' && p.channel_id === ch.id)
  })
})

describe('slash commands, buttons, dialogs', () => {
  it('registers the command, runs it, and the human clicks the button', async () => {
    const res = await alice.commands.execute(ts(), '/deploy api')
    expect(res.text).toBe('Requested deploy of api')
    const post = await seenPost(p => p.message === 'Deploy api?')
    const action = post.props.attachments![0]!.actions![0]!
    expect(action.integration).toBeUndefined() // stripped for clients
    await alice.posts.doAction(post.id, action.id!)
    await waitFor(() =>
      aliceSees.find(e => isEvent(e, 'post_edited') && e.post.message === 'Approved api by alice'),
    )
  })
  it('generates help', async () => {
    const res = await alice.commands.execute(ts(), '/deploy help')
    expect(res.text).toContain('/deploy <service>')
  })
  it('opens a dialog; a submission with errors keeps it open; a valid one runs', async () => {
    await alice.commands.execute(ts(), '/deploy dialog')
    const open = await waitFor(() => aliceSees.find(e => isEvent(e, 'open_dialog')))
    const d = (open as Extract<RealtimeEvent, { event: 'open_dialog' }>).dialog
    const submit = (env: string) =>
      alice.system.submitDialog({
        url: d.url,
        callback_id: 'deploy',
        state: d.dialog.state!,
        channel_id: ts(),
        team_id: emu.seed.team.id,
        submission: { env },
      })
    expect(await submit('')).toEqual({ errors: { env: 'required' } })
    await submit('prod')
    await seenPost(p => p.message === 'Deploying to prod')
  })
  it('a forged slash-command token gets 401 and the handler never runs', async () => {
    const before = aliceSees.length
    const cmds = await new Client({ url: emu.url, token: emu.seed.users.admin.token }).commands.list(
      emu.seed.team.id,
    )
    const url = cmds.find(c => c.trigger === 'deploy')!.url
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: 'forged',
        command: '/deploy',
        text: 'x',
        user_id: 'u',
        channel_id: ts(),
      }).toString(),
    })
    expect(res.status).toBe(401)
    await new Promise(r => setTimeout(r, 200))
    expect(aliceSees.slice(before).some(e => isEvent(e, 'posted') && e.post.message === 'Deploy x?')).toBe(
      false,
    )
  })
})

describe('two bots', () => {
  it('do not loop', async () => {
    const other = emu.createUser({ username: 'echobot', is_bot: true })
    emu.addToChannel(ts(), other.id)
    const b2 = new Bot({ url: emu.url, token: other.token })
    b2.message(
      () => true,
      ctx => ctx.reply(`echo: ${ctx.text}`),
    )
    bot.message(/^echo:/, ctx => ctx.reply(`re: ${ctx.text}`))
    await b2.start()
    await alice.posts.create({ channel_id: ts(), message: 'loop?' })
    await seenPost(p => p.message === 'echo: loop?')
    await new Promise(r => setTimeout(r, 300))
    expect(aliceSees.some(e => isEvent(e, 'posted') && e.post.message.startsWith('re: echo'))).toBe(false)
    await b2.stop()
  })
})

describe('units', () => {
  it('compose runs in order and rejects a second next()', async () => {
    const order: number[] = []
    await compose<Context>([
      async (_c, n) => {
        order.push(1)
        await n()
        order.push(3)
      },
      () => {
        order.push(2)
      },
    ])({} as Context)
    expect(order).toEqual([1, 2, 3])
    await expect(
      compose<Context>([
        async (_c, n) => {
          await n()
          await n()
        },
        () => {},
      ])({} as Context),
    ).rejects.toMatchObject({ code: 'MK_ERR_NEXT_CALLED_TWICE' })
  })
  it('parses args and cron', () => {
    expect(parseArgs(`api "two words" 'x'`)).toEqual(['api', 'two words', 'x'])
    const next = parseCron('0 9 * * 1-5').next(new Date(2026, 10, 21, 12, 0)) // Saturday
    expect([next.getDay(), next.getHours(), next.getMinutes()]).toEqual([1, 9, 0])
    expect(() => parseCron('61 * * * *')).toThrow(/out of range/)
  })
})
