// End-to-end: a bot on the emulator; humans (alice, bob) post, mention, DM, run slash commands,
// click buttons and submit dialogs with our Client, and each test asserts what they see over
// their own WebSocket and REST.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import {
  attachment,
  Bot,
  Client,
  Composer,
  FileStorage,
  field,
  isEvent,
  type OpenDialogEvent,
  type Post,
  type RealtimeEvent,
} from '../../src/index.js'
import type { RealtimeClient } from '../../src/realtime/realtime.js'

let emu: Emulator
let bot: Bot
let alice: Client
let bob: Client
let aliceRt: RealtimeClient
const seen: RealtimeEvent[] = []
const logs: string[] = []
const errors: string[] = []
let deployRuns = 0
let slowDone = false
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
const botId = () => emu.seed.users.bot.id
/** A fresh channel with the bot, alice and bob, so tests do not see each other's posts. */
const room = () =>
  emu.createChannel({
    name: `room-${++rooms}`,
    display_name: `Room ${rooms}`,
    members: [botId(), emu.seed.users.alice.id, emu.seed.users.bob.id],
  }).id

const logger = {
  debug() {},
  info: (_o: unknown, m?: string) => void logs.push(String(m)),
  warn: (_o: unknown, m?: string) => void logs.push(String(m)),
  error: (_o: unknown, m?: string) => void logs.push(String(m)),
}

beforeAll(async () => {
  emu = await startEmulator()
  bot = new Bot({
    url: emu.url,
    token: emu.seed.users.bot.token,
    logger,
    session: {},
    ackTimeout: 300,
  })
  bot.use(async (ctx, next) => {
    ctx.state.seenBy = 'middleware'
    await next()
  })
  bot.message(/^ping$/i, ctx => ctx.reply('pong'))
  bot.message(/^add (\d+) (\d+)$/, ctx =>
    ctx.reply(`${ctx.state.seenBy}: ${Number(ctx.match[1]) + Number(ctx.match[2])}`),
  )
  bot.mention('help', ctx => ctx.reply('I can ping.'))
  bot.dm(ctx => ctx.reply(`dm: ${ctx.text}`))
  bot.thread('thread?', ctx => ctx.reply('yes, in the thread'))
  bot.message('slow', async ctx => {
    await new Promise(r => setTimeout(r, 1300))
    await ctx.reply('done slowly')
  })
  bot.message('ask', async ctx => {
    await ctx.reply('What is your name?')
    const answer = await ctx.waitForReply({ timeout: 5000 })
    await ctx.reply(`Hello ${answer.message}`)
  })
  bot.message('count', ctx => {
    const n = ((ctx.session.n as number | undefined) ?? 0) + 1
    ctx.session.n = n
    return ctx.reply(`count ${n}`)
  })
  bot.message('quiz', async ctx => {
    await ctx.reply('Quick: 2+2?')
    try {
      await ctx.waitForReply({ timeout: 100 })
    } catch (err) {
      await ctx.reply(`too slow: ${(err as { code: string }).code}`)
    }
  })
  bot.message('helpers', async ctx => {
    await ctx.react(':+1:')
    const [user, channel] = await Promise.all([ctx.user(), ctx.channel()])
    await ctx.upload(
      { name: 'note.txt', data: Buffer.from('hello file') },
      `for @${user.username} in ${channel.display_name}`,
    )
    await ctx.ephemeral('only you see this')
  })
  bot.message('boom', () => {
    throw new Error('kaboom')
  })
  bot.message('send-by-name', ctx => ctx.send('Town Square', 'sent by display name'))
  bot.message('send-by-at', ctx => ctx.send('@alice', 'sent to @alice'))
  bot.message('dm-me', ctx => ctx.dm('alice', 'a private word'))
  bot.catch(err => void errors.push(`${err.code} ${err.ctx.kind}: ${(err.error as Error).message}`))
  bot.command(
    'deploy',
    {
      description: 'Deploy a service',
      args: [{ name: 'service' }, { name: 'env', choices: ['staging', 'prod'], default: 'staging' }],
      flags: { force: { short: 'f' } },
    },
    async ctx => {
      deployRuns++
      if (!ctx.params.service) {
        await ctx.openDialog(
          {
            callback_id: 'deploy',
            title: 'Deploy',
            elements: [field.text('service', 'Service'), field.select('env', 'Env', ['staging', 'prod'])],
          },
          { from: 'slash' },
        )
        return undefined
      }
      await ctx.reply({
        message: `Deploy ${ctx.params.service} to ${ctx.params.env}${ctx.params.force ? ' (forced)' : ''}?`,
        props: {
          attachments: [
            attachment({
              text: 'Approve?',
              actions: [
                ctx.button('approve', 'Approve', {
                  context: { service: ctx.params.service },
                  style: 'primary',
                }),
                ctx.menu('pick', 'Pick', [
                  { text: 'One', value: '1' },
                  { text: 'Two', value: '2' },
                ]),
              ],
            }),
          ],
        },
      })
      return `Requested deploy of ${ctx.params.service}`
    },
  )
  bot.command('crash', () => {
    throw new Error('command crashed')
  })
  bot.command('late', async () => {
    await new Promise(r => setTimeout(r, 600))
    return { response_type: 'in_channel', text: 'finally done' }
  })
  bot.action('approve', ctx =>
    ctx.update({ message: `Approved ${String(ctx.values.service)} by @${ctx.action.user_name}` }),
  )
  bot.action('pick', ctx => ctx.ephemeral(`you picked ${ctx.selected}`))
  bot.dialog('deploy', ctx => {
    if (!ctx.values.service) return ctx.fieldErrors({ service: 'required' })
    return ctx.send(
      ctx.channelId,
      `Deploying ${String(ctx.values.service)} (${JSON.stringify(ctx.dialogState)})`,
    )
  })
  bot.webhook('status!', ctx => ({ text: `all green (${ctx.text})`, response_type: 'comment' as const }))
  bot.event('user_added', ctx => ctx.send(ctx.event.channelId, `Welcome <@${ctx.event.userId}>!`))
  await bot.start()
  alice = new Client({ url: emu.url, token: emu.seed.users.alice.token })
  bob = new Client({ url: emu.url, token: emu.seed.users.bob.token })
  aliceRt = alice.realtime()
  aliceRt.on('event', ev => void seen.push(ev))
  await aliceRt.connect()
})

afterAll(async () => {
  await aliceRt?.close()
  await bot?.stop({ timeout: 1000 })
  await alice?.close()
  await bob?.close()
  await emu?.stop()
})

describe('messages', () => {
  it('answers in a thread under a root message; RegExp groups in ctx.match; middleware ran', async () => {
    const ch = room()
    const q = await alice.posts.create({ channel_id: ch, message: 'PING' })
    const a = await sees(p => p.message === 'pong' && p.channel_id === ch)
    expect(a).toMatchObject({ root_id: q.id, user_id: botId() })
    await alice.posts.create({ channel_id: ch, message: 'add 2 40' })
    await sees(p => p.message === 'middleware: 42' && p.channel_id === ch)
  })

  it('mentions, DMs and threads route to their listeners', async () => {
    const ch = room()
    await alice.posts.create({ channel_id: ch, message: 'help' })
    await alice.posts.create({ channel_id: ch, message: '@matterbot help' })
    await sees(p => p.message === 'I can ping.' && p.channel_id === ch)
    const dm = await alice.channels.direct(emu.seed.users.alice.id, botId())
    await alice.posts.create({ channel_id: dm.id, message: 'hello there' })
    const d = await sees(p => p.message === 'dm: hello there')
    expect(d).toMatchObject({ channel_id: dm.id, root_id: '' })
    const root = await alice.posts.create({ channel_id: ch, message: 'root' })
    await alice.posts.create({ channel_id: ch, message: 'thread?', root_id: root.id })
    expect(await sees(p => p.message === 'yes, in the thread')).toMatchObject({ root_id: root.id })
    // 'help' without a mention got no answer: only one 'I can ping.' in this channel
    expect(posts().filter(p => p.message === 'I can ping.' && p.channel_id === ch)).toHaveLength(1)
  })

  it('shows a typing indicator while a handler runs longer than a second', async () => {
    const ch = room()
    await alice.posts.create({ channel_id: ch, message: 'slow' })
    await sees(p => p.message === 'done slowly' && p.channel_id === ch)
    expect(
      seen.some(e => isEvent(e, 'typing') && e.userId === botId() && e.broadcast.channel_id === ch),
    ).toBe(true)
  })

  it('sends typing over its socket (user_typing), not REST, while the socket is open', async () => {
    const ch = room()
    emu.faults.failNext(1000, 500, { path: /\/typing$/ }) // the REST route would fail
    try {
      await alice.posts.create({ channel_id: ch, message: 'slow' })
      await sees(p => p.message === 'done slowly' && p.channel_id === ch)
      expect(
        seen.some(e => isEvent(e, 'typing') && e.userId === botId() && e.broadcast.channel_id === ch),
      ).toBe(true)
    } finally {
      emu.faults.reset()
    }
  })

  it('waitForReply runs a two-step conversation; sessions persist per user', async () => {
    const ch = room()
    const q = await alice.posts.create({ channel_id: ch, message: 'ask' })
    await sees(p => p.message === 'What is your name?' && p.root_id === q.id)
    await alice.posts.create({ channel_id: ch, message: 'Alice', root_id: q.id })
    expect(await sees(p => p.message === 'Hello Alice')).toMatchObject({ root_id: q.id })
    await alice.posts.create({ channel_id: ch, message: 'count' })
    await sees(p => p.message === 'count 1' && p.channel_id === ch)
    await alice.posts.create({ channel_id: ch, message: 'count' })
    await sees(p => p.message === 'count 2' && p.channel_id === ch)
    await bob.posts.create({ channel_id: ch, message: 'count' })
    await sees(
      p =>
        p.message === 'count 1' &&
        p.channel_id === ch &&
        posts().filter(x => x.message === 'count 1' && x.channel_id === ch).length === 2,
    )
  })

  it('a conversation that gets no reply ends with MK_ERR_CONVERSATION_TIMEOUT', async () => {
    const ch = room()
    await alice.posts.create({ channel_id: ch, message: 'quiz' })
    await sees(p => p.message === 'too slow: MK_ERR_CONVERSATION_TIMEOUT' && p.channel_id === ch)
  })

  it('react, upload, user(), channel() and ephemeral do what the human expects', async () => {
    const ch = room()
    const q = await alice.posts.create({ channel_id: ch, message: 'helpers' })
    const up = await sees(p => p.channel_id === ch && p.message === `for @alice in Room ${rooms}`)
    expect(up.root_id).toBe(q.id)
    expect(up.file_ids).toHaveLength(1)
    const info = await alice.files.info(up.file_ids![0]!)
    expect(info.name).toBe('note.txt')
    await waitFor(
      () => seen.find(e => isEvent(e, 'ephemeral_message') && e.post.message === 'only you see this'),
      'ephemeral',
    )
    const reactions = await alice.reactions.list(q.id)
    expect(reactions.map(r => [r.emoji_name, r.user_id])).toEqual([['+1', botId()]])
  })

  it('errors go to bot.catch with the context kind', async () => {
    const ch = room()
    await alice.posts.create({ channel_id: ch, message: 'boom' })
    await alice.posts.create({ channel_id: ch, message: 'ping' })
    await sees(p => p.message === 'pong' && p.channel_id === ch)
    expect(errors).toContain('MK_ERR_HANDLER message: kaboom')
  })

  it('send() finds a channel by display name; dm() by username', async () => {
    await alice.posts.create({ channel_id: room(), message: 'send-by-name' })
    expect(await sees(p => p.message === 'sent by display name')).toMatchObject({
      channel_id: emu.seed.channels.townSquare.id,
    })
    await alice.posts.create({ channel_id: room(), message: 'dm-me' })
    const dm = await alice.channels.direct(emu.seed.users.alice.id, botId())
    expect(await sees(p => p.message === 'a private word')).toMatchObject({ channel_id: dm.id })
    // One resolver with the CLI: '@user' is the direct channel with that user.
    await alice.posts.create({ channel_id: room(), message: 'send-by-at' })
    expect(await sees(p => p.message === 'sent to @alice')).toMatchObject({ channel_id: dm.id })
  })

  it('welcomes users added to a channel (typed realtime events)', async () => {
    const ch = emu.createChannel({ name: 'newroom', members: [botId(), emu.seed.users.alice.id] })
    emu.addToChannel(ch.id, emu.seed.users.bob.id)
    await sees(p => p.message === `Welcome <@${emu.seed.users.bob.id}>!` && p.channel_id === ch.id)
  })
})

describe('slash commands, buttons, dialogs', () => {
  it('registers the command; alice runs it, sees the answer, clicks the button and picks from the menu', async () => {
    const ch = room()
    const res = await alice.commands.execute(ch, '/deploy api prod -f')
    expect(res.text).toBe('Requested deploy of api')
    const post = await sees(p => p.message === 'Deploy api to prod (forced)?')
    expect(post.user_id).toBe(botId())
    const [approve, pick] = post.props.attachments![0]!.actions!
    await alice.posts.doAction(post.id, approve!.id!)
    expect((await alice.posts.get(post.id)).message).toBe('Approved api by @alice')
    await alice.posts.doAction(post.id, pick!.id!, { selected_option: '2' })
    await waitFor(
      () => seen.find(e => isEvent(e, 'ephemeral_message') && e.post.message === 'you picked 2'),
      'ephemeral menu answer',
    )
  })

  it('answers bad arguments and help with generated usage, privately, without running the handler', async () => {
    const ch = room()
    const runs = deployRuns
    const bad = await alice.commands.execute(ch, '/deploy api qa')
    expect(bad.text).toMatch(/<env> must be one of staging, prod; got "qa"/)
    const help = await alice.commands.execute(ch, '/deploy help')
    expect(help.text).toContain('`/deploy [service] [staging|prod] [--force]` — Deploy a service')
    expect(deployRuns).toBe(runs)
  })

  it('opens a dialog; a submission with errors keeps it open; a valid one runs with verified state', async () => {
    const ch = room()
    await alice.commands.execute(ch, '/deploy')
    const open = await waitFor(
      () => seen.find((e): e is OpenDialogEvent => isEvent(e, 'open_dialog')),
      'open_dialog',
    )
    const d = open.dialog
    expect(d.dialog.elements?.map(e => e.name)).toEqual(['service', 'env'])
    const submit = (service: string) =>
      alice.system.submitDialog({
        url: d.url,
        callback_id: 'deploy',
        state: d.dialog.state!,
        channel_id: ch,
        team_id: emu.seed.team.id,
        submission: { service, env: 'prod' },
      })
    expect(await submit('')).toEqual({ errors: { service: 'required' } })
    await submit('web')
    await sees(p => p.message === 'Deploying web ({"from":"slash"})' && p.channel_id === ch)
  })

  it('a command that throws answers the user privately and reaches bot.catch', async () => {
    const res = await alice.commands.execute(room(), '/crash')
    expect(res.text).toBe('Sorry, that failed on the bot side; the error was logged.')
    expect(errors).toContain('MK_ERR_HANDLER command: command crashed')
  })

  it('a slow command is acknowledged in time and its answer arrives later through response_url', async () => {
    const ch = room()
    const res = await alice.commands.execute(ch, '/late')
    expect(res.text ?? '').toBe('')
    const p = await sees(x => x.message === 'finally done' && x.channel_id === ch)
    expect(p.user_id).toBe(emu.seed.users.alice.id)
  })

  it('a forged slash-command token gets 401 and the handler never runs', async () => {
    const admin = new Client({ url: emu.url, token: emu.seed.users.admin.token })
    const cmd = (await admin.commands.list(emu.seed.team.id)).find(c => c.trigger === 'deploy')!
    await admin.close()
    const runs = deployRuns
    const res = await fetch(cmd.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: 'forged-token',
        command: '/deploy',
        text: 'x',
        user_id: 'u',
        channel_id: 'c',
      }),
    })
    expect(res.status).toBe(401)
    expect(deployRuns).toBe(runs)
    const ok = await fetch(cmd.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: cmd.token,
        command: '/deploy',
        text: 'x',
        user_id: 'u',
        channel_id: room(),
        response_url: '',
        trigger_id: '',
      }),
    })
    expect(ok.status).toBe(200)
    expect(deployRuns).toBe(runs + 1)
  })
})

describe('outgoing webhooks', () => {
  it('a trigger word reaches bot.webhook and the answer is posted as a thread comment', async () => {
    const ch = room()
    const admin = new Client({ url: emu.url, token: emu.seed.users.admin.token })
    const hook = await admin.webhooks.outgoing.create({
      team_id: emu.seed.team.id,
      channel_id: ch,
      trigger_words: ['status!'],
      callback_urls: [bot.urls.webhook],
    })
    await admin.close()
    bot.addToken('webhook', hook.token)
    const q = await alice.posts.create({ channel_id: ch, message: 'status! please' })
    const a = await sees(p => p.message === 'all green (status! please)')
    expect(a).toMatchObject({ channel_id: ch, root_id: q.id })
    expect(a.props.from_webhook).toBe('true')
  })
})

describe('filtering and lifecycle', () => {
  it('two bots in one channel do not loop; with bots allowed, the loop guard stops them', async () => {
    const ch = room()
    const b2user = emu.createUser({ username: 'echobot', is_bot: true })
    emu.addToChannel(ch, b2user.id)
    const b2 = new Bot({ url: emu.url, token: b2user.token, logger })
    b2.message(ctx => ctx.reply(`echo: ${ctx.text}`))
    bot.message(/^echo:/, ctx => ctx.reply(`re: ${ctx.text}`))
    await b2.start()
    await alice.posts.create({ channel_id: ch, message: 'loop?' })
    await sees(p => p.message === 'echo: loop?')
    // The main bot ignores echobot (a bot): alice's next message is answered and nothing else came.
    await alice.posts.create({ channel_id: ch, message: 'ping' })
    await sees(p => p.message === 'pong' && p.channel_id === ch)
    expect(posts().filter(p => p.channel_id === ch && p.message.startsWith('re: '))).toHaveLength(0)
    await b2.stop()

    const ch2 = room()
    const users = [
      emu.createUser({ username: 'loopy1', is_bot: true }),
      emu.createUser({ username: 'loopy2', is_bot: true }),
    ]
    const bots = users.map(u => {
      emu.addToChannel(ch2, u.id)
      const b = new Bot({
        url: emu.url,
        token: u.token,
        ignoreBots: false,
        loopLimit: 5,
        logger,
        typingIndicator: false,
      })
      b.message(/^(go|\d+)$/, ctx => ctx.reply(String(ctx.text === 'go' ? 1 : Number(ctx.text) + 1)))
      return b
    })
    for (const b of bots) await b.start()
    await alice.posts.create({ channel_id: ch2, message: 'go' })
    await waitFor(() => logs.filter(l => l.startsWith('loop guard')).length >= 1, 'loop guard warning')
    const count = () => posts().filter(p => p.channel_id === ch2 && /^\d+$/.test(p.message)).length
    for (const b of bots) await b.stop()
    expect(count()).toBeGreaterThanOrEqual(5)
    expect(count()).toBeLessThanOrEqual(12)
  })

  it('allowedUsers (by username) ignores others with a log line; channels allow-list; mentionOnly', async () => {
    const ch = room()
    const b = new Bot({
      url: emu.url,
      token: emu.seed.users.bot.token,
      allowedUsers: ['bob'],
      mentionOnly: true,
      logger,
    })
    // A second connection of the same bot user: give it its own trigger words.
    b.mention('who', ctx => ctx.reply(`only for @${ctx.event.senderName.slice(1)}`))
    await b.start()
    await alice.posts.create({ channel_id: ch, message: '@matterbot who' })
    await bob.posts.create({ channel_id: ch, message: 'who' })
    await bob.posts.create({ channel_id: ch, message: '@matterbot who' })
    await sees(p => p.message === 'only for @bob' && p.channel_id === ch)
    expect(posts().filter(p => p.channel_id === ch && p.message.startsWith('only for'))).toHaveLength(1)
    expect(logs).toContain(
      'denied: @alice is not in allowedUsers; ignoring their message in ~' + `room-${rooms}`,
    )
    await b.stop()
  })

  it('threadReplies: false answers at the channel root; stop() drains in-flight handlers', async () => {
    const ch = room()
    const b = new Bot({
      url: emu.url,
      token: emu.seed.users.bot.token,
      threadReplies: false,
      channels: [`room-${rooms}`],
      logger,
    })
    b.message('flat', ctx => ctx.reply('flat answer'))
    let drainStarted = false
    b.message('drain', async ctx => {
      drainStarted = true
      await new Promise(r => setTimeout(r, 300))
      await ctx.reply('drained answer')
      slowDone = true
    })
    await b.start()
    await alice.posts.create({ channel_id: ch, message: 'flat' })
    expect(await sees(p => p.message === 'flat answer' && p.channel_id === ch)).toMatchObject({ root_id: '' })
    await alice.posts.create({ channel_id: ch, message: 'drain' })
    await waitFor(() => drainStarted, 'the drain handler to start')
    const r = await b.stop({ timeout: 5000 })
    expect(r).toEqual({ drained: true, pending: 0 })
    expect(slowDone).toBe(true)
  })

  it('sessions per channel in a file, shared by users of the channel', async () => {
    const ch = room()
    const dir = await mkdtemp(join(tmpdir(), 'mk-session-'))
    const b = new Bot({
      url: emu.url,
      token: emu.seed.users.bot.token,
      channels: [ch],
      logger,
      session: {
        scope: 'channel',
        storage: new FileStorage(join(dir, 's.json')),
        ttl: '1h',
        initial: () => ({ n: 0 }),
      },
    })
    b.message('tally', ctx => {
      ctx.session.n = (ctx.session.n as number) + 1
      return ctx.reply(`tally ${ctx.session.n}`)
    })
    await b.start()
    await alice.posts.create({ channel_id: ch, message: 'tally' })
    await sees(p => p.message === 'tally 1' && p.channel_id === ch)
    await bob.posts.create({ channel_id: ch, message: 'tally' })
    await sees(p => p.message === 'tally 2' && p.channel_id === ch)
    await b.stop()
    const saved = JSON.parse(await readFile(join(dir, 's.json'), 'utf8'))
    expect(saved[`channel:${ch}`].value).toEqual({ n: 2 })
    expect(saved[`channel:${ch}`].expires).toBeGreaterThan(Date.now())
    await rm(dir, { recursive: true, force: true })
  })

  it('groups: a Composer with its own error boundary, used by the bot', async () => {
    const ch = room()
    const b = new Bot({ url: emu.url, token: emu.seed.users.bot.token, channels: [`room-${rooms}`], logger })
    const group = new Composer()
    const fragile = new Composer()
    fragile.message('fragile', () => {
      throw new Error('fragile broke')
    })
    group.errorBoundary(err => void logs.push(`boundary: ${(err.error as Error).message}`), fragile)
    group.message('sturdy', ctx => ctx.reply('sturdy ok'))
    b.use(group)
    await b.start()
    await alice.posts.create({ channel_id: ch, message: 'fragile' })
    await alice.posts.create({ channel_id: ch, message: 'sturdy' })
    await sees(p => p.message === 'sturdy ok' && p.channel_id === ch)
    expect(logs).toContain('boundary: fragile broke')
    await b.stop()
  })
})
