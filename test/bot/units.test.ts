// Unit tests of the bot layer's pure parts: compose, Composer, matchers, args, filters, queue,
// cron, sessions, builders, trigger-id expiry. No network.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest'
import { CommandUsageError, commandHelp, commandHint, parseCommand, tokenize } from '../../src/bot/args.js'
import { compose } from '../../src/bot/compose.js'
import type { BotRuntime } from '../../src/bot/contexts/base.js'
import { CommandContext } from '../../src/bot/contexts/command.js'
import { MessageContext } from '../../src/bot/contexts/message.js'
import { PostFilter } from '../../src/bot/filters.js'
import { matchTrigger, mentions, stripMention } from '../../src/bot/matchers.js'
import { KeyedQueue } from '../../src/bot/queue.js'
import { parseCron, runAt } from '../../src/bot/schedule.js'
import {
  type AnyContext,
  attachment,
  Bot,
  Composer,
  FileStorage,
  field,
  MatterkitError,
  MemoryStorage,
  type PostedEvent,
} from '../../src/index.js'

const ME = { id: 'b'.repeat(26), username: 'matterbot' }
const ALICE = 'a'.repeat(26)
const CH = 'c'.repeat(26)

const rt = {
  client: {},
  me: () => ME,
  threadReplies: true,
  sign: (v: unknown) => JSON.stringify(v),
  urls: () => ({ action: 'http://x/action', dialog: 'http://x/dialog' }),
} as unknown as BotRuntime

function posted(
  message: string,
  over: Partial<PostedEvent> & { user_id?: string; root_id?: string; props?: Record<string, unknown> } = {},
): PostedEvent {
  const { user_id = ALICE, root_id = '', props = {}, ...ev } = over
  return {
    event: 'posted',
    data: {},
    broadcast: { channel_id: CH } as PostedEvent['broadcast'],
    seq: 1,
    post: {
      id: 'p'.repeat(26),
      user_id,
      channel_id: CH,
      root_id,
      message,
      type: '',
      props,
    } as PostedEvent['post'],
    channelType: 'O',
    channelName: 'town-square',
    channelDisplayName: 'Town Square',
    senderName: '@alice',
    teamId: 't',
    mentions: [],
    ...ev,
  }
}
const msg = (text: string, over?: Parameters<typeof posted>[1]) => new MessageContext(rt, posted(text, over))

describe('compose', () => {
  it('runs in onion order and passes the final next', async () => {
    const log: string[] = []
    const run = compose<unknown>([
      async (_c, next) => {
        log.push('a1')
        await next()
        log.push('a2')
      },
      async (_c, next) => {
        log.push('b')
        await next()
      },
    ])
    await run({}, async () => void log.push('end'))
    expect(log).toEqual(['a1', 'b', 'end', 'a2'])
  })
  it('rejects a second next() with a coded error', async () => {
    const run = compose<unknown>([
      async (_c, next) => {
        await next()
        await next()
      },
    ])
    await expect(run({})).rejects.toMatchObject({ code: 'MK_ERR_NEXT_CALLED_TWICE' })
    const run2 = compose<unknown>([
      async (_c, next) => void (await next()),
      async (_c, next) => void (await next()),
    ])
    await expect(run2({})).resolves.toBeUndefined()
  })
})

describe('Composer', () => {
  const run = async (c: Composer, ctx: AnyContext) => {
    let fell = false
    await c.middleware()(ctx, async () => {
      fell = true
    })
    return fell
  }

  it('routes messages by string, RegExp (ctx.match) and predicate; first match wins', async () => {
    const c = new Composer()
    const seen: string[] = []
    c.message('Ping', ctx => void seen.push(`str:${ctx.text}`))
    c.message(
      /^add (\d+) (\d+)$/,
      ctx => void seen.push(`sum:${Number(ctx.match[1]) + Number(ctx.match[2])}`),
    )
    c.message(
      t => t.length > 10,
      ctx => void seen.push(`long:${ctx.text.length}`),
    )
    await run(c, msg(' ping '))
    await run(c, msg('@matterbot add 2 3'))
    await run(c, msg('something long here'))
    expect(await run(c, msg('nope'))).toBe(true)
    expect(seen).toEqual(['str: ping ', 'sum:5', 'long:19'])
  })

  it('mention() matches only when mentioned (or DM) and strips the mention', async () => {
    const c = new Composer()
    const got: string[] = []
    c.mention('help', ctx => void got.push(ctx.textWithoutMention))
    await run(c, msg('help'))
    await run(c, msg('@matterbot help'))
    await run(c, msg('help', { channelType: 'D' }))
    await run(c, msg('@matterbotx help'))
    expect(got).toEqual(['help', 'help'])
  })

  it('dm() and thread() narrow by channel type and root', async () => {
    const c = new Composer()
    const got: string[] = []
    c.dm(ctx => void got.push(`dm:${ctx.text}`))
    c.thread(undefined, ctx => void got.push(`thread:${ctx.text}`))
    await run(c, msg('a'))
    await run(c, msg('b', { channelType: 'D' }))
    await run(c, msg('c', { root_id: 'r'.repeat(26) }))
    expect(got).toEqual(['dm:b', 'thread:c'])
  })

  it('use() children chain as AND; filter/drop/branch/lazy route', async () => {
    const c = new Composer()
    const got: string[] = []
    c.filter(ctx => ctx.kind === 'message' && ctx.text.startsWith('x'))
      .filter(ctx => ctx.kind === 'message' && ctx.text.endsWith('y'))
      .use(() => void got.push('xy'))
    c.drop(
      ctx => ctx.kind === 'message' && ctx.text === 'skip',
      (_ctx, next) => {
        got.push('not-skip')
        return next()
      },
    )
    c.branch(
      ctx => ctx.kind === 'message' && ctx.text === 'left',
      () => void got.push('L'),
      (_ctx, next) => next(),
    )
    c.lazy(async ctx =>
      ctx.kind === 'message' && ctx.text === 'lazy' ? () => void got.push('lazy') : (_c, n) => n(),
    )
    await run(c, msg('xzy'))
    expect(got).toEqual(['xy'])
    got.length = 0
    expect(await run(c, msg('skip'))).toBe(true)
    expect(got).toEqual([])
    await run(c, msg('left'))
    await run(c, msg('lazy'))
    expect(got).toEqual(['not-skip', 'L', 'not-skip', 'lazy'])
  })

  it('on(kind) narrows to one kind of update', async () => {
    const c = new Composer()
    const got: string[] = []
    c.on('command', ctx => void got.push(`cmd ${ctx.command.text}`))
    c.on('message', ctx => void got.push(`msg ${ctx.post.message}`))
    await run(c, new CommandContext(rt, { command: '/x', text: 'a b' } as never))
    await run(c, msg('hello'))
    expect(got).toEqual(['cmd a b', 'msg hello'])
  })

  it('types: listeners narrow the context (compile-time checks)', () => {
    const c = new Composer()
    c.command('x', ctx => {
      expectTypeOf(ctx.command).toEqualTypeOf<import('../../src/index.js').SlashCommandRequest>()
      expectTypeOf(ctx.kind).toEqualTypeOf<'command'>()
    })
    c.event('user_added', ctx => {
      expectTypeOf(ctx.event.userId).toEqualTypeOf<string>()
      expectTypeOf(ctx.event.event).toEqualTypeOf<'user_added'>()
    })
    c.action('a', ctx => expectTypeOf(ctx.values).toEqualTypeOf<Record<string, unknown>>())
    c.dialog('d', ctx => expectTypeOf(ctx.dialogState).toBeUnknown())
    c.message(/x/, ctx => expectTypeOf(ctx.match).toEqualTypeOf<RegExpMatchArray>())
    c.use((ctx, next) => {
      if (ctx.kind === 'webhook') expectTypeOf(ctx.webhook.trigger_word).toBeString()
      return next()
    })
    expect(c.commands.has('x')).toBe(true)
  })

  it('errorBoundary catches errors inside only; next() from the handler continues', async () => {
    const c = new Composer()
    const caught: string[] = []
    c.errorBoundary(
      (err, next) => {
        caught.push(`${err.code}:${(err.error as Error).message}`)
        return next()
      },
      () => {
        throw new Error('inner')
      },
    )
    c.use(() => {
      throw new Error('outer')
    })
    await expect(run(c, msg('hi'))).rejects.toThrow('outer')
    expect(caught).toEqual(['MK_ERR_HANDLER:inner'])
  })

  it('commands parse args, answer usage on bad input, and generate help; specs are collected from groups', async () => {
    const group = new Composer()
    const ran: unknown[] = []
    group.command(
      'deploy',
      {
        description: 'Deploy a service',
        args: [
          { name: 'service', required: true },
          { name: 'env', choices: ['staging', 'prod'], default: 'staging' },
        ],
        flags: { force: { short: 'f', description: 'skip checks' }, replicas: { type: 'number' } },
      },
      ctx => {
        ran.push(ctx.params)
        return `deploying ${ctx.params.service}`
      },
    )
    const root = new Composer()
    root.use(group)
    expect([...root.commands.keys()]).toEqual(['deploy'])
    const cmd = (text: string) =>
      new CommandContext(rt, { command: '/deploy', text, user_id: ALICE, channel_id: CH } as never)
    const ok = cmd('api prod -f --replicas=3')
    await run(root, ok)
    expect(ran).toEqual([{ service: 'api', env: 'prod', force: true, replicas: 3 }])
    expect(ok.response).toBe('deploying api')
    const bad = cmd('api qa')
    await run(root, bad)
    expect(bad.response).toMatchObject({ response_type: 'ephemeral' })
    expect((bad.response as { text: string }).text).toMatch(
      /must be one of staging, prod; got "qa"[\s\S]*`\/deploy <service>/,
    )
    const help = cmd('help')
    await run(root, help)
    expect((help.response as { text: string }).text).toContain('-f, --force`: skip checks')
    expect(ran).toHaveLength(1)
  })
})

describe('matchers', () => {
  it('match triggers', () => {
    expect(matchTrigger('ping', 'PING')).not.toBeNull()
    expect(matchTrigger('ping', 'ping pong')).toBeNull()
    expect(matchTrigger(/^a(\d)$/g, 'a1')?.[1]).toBe('1')
    expect(matchTrigger(/^a(\d)$/g, 'a1')?.[1]).toBe('1')
    expect(matchTrigger(['x', /y/], 'zyz')).not.toBeNull()
  })
  it('detect mentions like Mattermost', () => {
    expect(mentions('hi @matterbot', 'matterbot')).toBe(true)
    expect(mentions('@MatterBot: hi', 'matterbot')).toBe(true)
    expect(mentions('thanks @matterbot.', 'matterbot')).toBe(true)
    expect(mentions('hi @matterbot.io', 'matterbot')).toBe(false)
    expect(mentions('hi @matterbots', 'matterbot')).toBe(false)
    expect(mentions('me@matterbot', 'matterbot')).toBe(false)
    expect(stripMention('@matterbot: deploy api', 'matterbot')).toBe('deploy api')
    expect(stripMention('please @matterbot deploy', 'matterbot')).toBe('please deploy')
  })
})

describe('args', () => {
  it('tokenizes with quotes', () => {
    expect(tokenize(`say "hello world" 'a b' c`)).toEqual(['say', 'hello world', 'a b', 'c'])
  })
  it('parses positionals, rest, numbers, --no-x, -- and reports errors with usage', () => {
    const spec = {
      args: [
        { name: 'n', type: 'number' as const, required: true },
        { name: 'msg', rest: true },
      ],
      flags: { loud: {}, level: { type: 'string' as const, short: 'l' } },
    }
    expect(parseCommand(spec, '3 hello there --no-loud -l high')).toEqual({
      args: ['3', 'hello', 'there'],
      params: { n: 3, msg: 'hello there', loud: false, level: 'high' },
    })
    expect(parseCommand(spec, '-5 -- --loud').params).toMatchObject({ n: -5, msg: '--loud', loud: false })
    expect(() => parseCommand(spec, 'x')).toThrow(CommandUsageError)
    expect(() => parseCommand(spec, '1 --nope')).toThrow(/Unknown option --nope/)
    expect(() => parseCommand(spec, '1 --level')).toThrow(/needs a value/)
    expect(() => parseCommand(spec, '')).toThrow(/Missing <n>/)
    expect(() => parseCommand({ args: [] }, 'extra')).toThrow(/Unexpected argument "extra"/)
    expect(parseCommand({}, 'a --b "c d"')).toEqual({ args: ['a', '--b', 'c d'], params: {} })
  })
  it('generates hints and help', () => {
    const spec = {
      description: 'Say',
      args: [{ name: 'who', required: true }],
      flags: { n: { type: 'number' as const } },
    }
    expect(commandHint(spec)).toBe('<who> [--n <number>]')
    expect(commandHelp('say', { ...spec, examples: ['bob --n 2'] })).toBe(
      '`/say <who> [--n <number>]` — Say\n- `--n <number>`\n- e.g. `/say bob --n 2`',
    )
  })
})

describe('filters', () => {
  const logs: string[] = []
  const logger = {
    debug: (_o: unknown, m?: string) => void logs.push(`debug ${m}`),
    info: (_o: unknown, m?: string) => void logs.push(`info ${m}`),
    warn: (_o: unknown, m?: string) => void logs.push(`warn ${m}`),
    error: (_o: unknown, m?: string) => void logs.push(`error ${m}`),
  }
  it('drops own, system and bot posts; bots allowed when configured', () => {
    const f = new PostFilter({}, logger)
    expect(f.acceptPost(posted('x', { user_id: ME.id }), ME)).toBe('own')
    expect(
      f.acceptPost({ ...posted('x'), post: { ...posted('x').post, type: 'system_join_channel' } }, ME),
    ).toBe('system')
    expect(f.acceptPost(posted('x', { props: { from_bot: 'true' } }), ME)).toBe('bot')
    expect(
      new PostFilter({ ignoreBots: false }, logger).acceptPost(
        posted('x', { props: { from_bot: 'true' } }),
        ME,
      ),
    ).toBe(undefined)
    expect(f.acceptPost(posted('x'), ME)).toBeUndefined()
  })
  it('allowedUsers: ids or names; [] = nobody; * = everybody; denials are logged', () => {
    logs.length = 0
    expect(new PostFilter({ allowedUsers: [] }, logger).acceptPost(posted('x'), ME)).toBe('user')
    expect(logs).toEqual([
      'info denied: @alice is not in allowedUsers; ignoring their message in ~town-square',
    ])
    expect(new PostFilter({ allowedUsers: '*' }, logger).acceptPost(posted('x'), ME)).toBeUndefined()
    expect(new PostFilter({ allowedUsers: [ALICE] }, logger).acceptPost(posted('x'), ME)).toBeUndefined()
    expect(new PostFilter({ allowedUsers: ['@Alice'] }, logger).acceptPost(posted('x'), ME)).toBeUndefined()
    // A webhook post overriding its username to "alice" is not alice.
    const spoof = posted('x', { user_id: 'h'.repeat(26), props: { override_username: 'alice' } })
    expect(new PostFilter({ allowedUsers: ['alice'], ignoreBots: false }, logger).acceptPost(spoof, ME)).toBe(
      'user',
    )
    const resolved = new PostFilter({ allowedUsers: ['bob'] }, logger)
    resolved.setAllowedUsers(['bob'], new Map([['bob', ALICE]]))
    expect(resolved.acceptPost(posted('x', { senderName: '@someone' }), ME)).toBeUndefined()
  })
  it('channels allow-list (id, name, display name), mentionOnly, DMs pass both', () => {
    logs.length = 0
    const f = new PostFilter({ channels: ['~ops'], mentionOnly: true }, logger)
    expect(f.acceptPost(posted('@matterbot hi'), ME)).toBe('channel')
    expect(logs[0]).toMatch(/~town-square is not in the channels allow-list/)
    const g = new PostFilter({ channels: ['Town Square'], mentionOnly: true }, logger)
    expect(g.acceptPost(posted('hi'), ME)).toBe('mention')
    expect(g.acceptPost(posted('hi @matterbot'), ME)).toBeUndefined()
    expect(g.acceptPost(posted('hi', { mentions: [ME.id] }), ME)).toBeUndefined()
    expect(g.acceptPost(posted('hi', { channelType: 'D', channelName: 'dm' }), ME)).toBeUndefined()
  })
  it('loop guard stops answering in a channel after loopLimit own posts per minute, once warned', () => {
    logs.length = 0
    const f = new PostFilter({ loopLimit: 3 }, logger)
    for (let i = 0; i < 3; i++) f.noteOwnPost(CH, 1000)
    expect(f.looping(CH, 'town-square', 2000)).toBe(true)
    expect(f.looping(CH, 'town-square', 3000)).toBe(true)
    expect(logs.filter(l => l.startsWith('warn loop guard'))).toHaveLength(1)
    expect(f.looping(CH, 'town-square', 61_001)).toBe(false)
  })
})

describe('KeyedQueue', () => {
  const tick = () => new Promise(r => setImmediate(r))
  it('runs the same key in order, other keys concurrently up to the limit', async () => {
    const q = new KeyedQueue(2)
    const log: string[] = []
    const gates = new Map<string, () => void>()
    const task = (name: string) => () =>
      new Promise<void>(res => {
        log.push(`start ${name}`)
        gates.set(name, () => {
          log.push(`end ${name}`)
          res()
        })
      })
    q.push('a', task('a1'))
    q.push('a', task('a2'))
    q.push('b', task('b1'))
    q.push('c', task('c1'))
    await tick()
    expect(log).toEqual(['start a1', 'start b1'])
    expect(q.running).toBe(2)
    gates.get('a1')!()
    await tick()
    expect(log.slice(2)).toEqual(['end a1', 'start c1'])
    gates.get('b1')!()
    await tick()
    expect(log.slice(4)).toEqual(['end b1', 'start a2'])
    const pending = q.drain(10_000)
    gates.get('c1')!()
    gates.get('a2')!()
    expect(await pending).toEqual({ drained: true, pending: 0 })
  })
  it('drain gives up at the deadline and reports what is left; errors go to onError', async () => {
    const errors: unknown[] = []
    const q = new KeyedQueue(1, e => errors.push(e))
    q.push('x', async () => {
      throw new Error('boom')
    })
    let release!: () => void
    q.push('y', () => new Promise<void>(r => (release = r)))
    q.push('y', async () => {})
    const r = await q.drain(30)
    expect(r).toEqual({ drained: false, pending: 2 })
    expect(errors).toHaveLength(1)
    release()
    expect(await q.drain(1000)).toEqual({ drained: true, pending: 0 })
    expect(() => new KeyedQueue(0)).toThrow(MatterkitError)
  })
})

describe('cron', () => {
  it('finds the next matching minute', () => {
    const c = parseCron('0 9 * * 1-5')
    const fri = new Date(2026, 0, 2, 9, 0) // Friday 09:00
    expect(c.next(fri)).toEqual(new Date(2026, 0, 5, 9, 0)) // Monday
    expect(c.matches(fri)).toBe(true)
    expect(parseCron('*/15 * * * *').next(new Date(2026, 0, 1, 10, 7, 30))).toEqual(
      new Date(2026, 0, 1, 10, 15),
    )
    expect(parseCron('30 8 1 jan,jul *').next(new Date(2026, 1, 1))).toEqual(new Date(2026, 6, 1, 8, 30))
    expect(parseCron('0 0 * * SUN').next(new Date(2026, 0, 1))).toEqual(new Date(2026, 0, 4, 0, 0))
    expect(parseCron('0 0 29 2 *').next(new Date(2026, 0, 1))).toEqual(new Date(2028, 1, 29, 0, 0))
  })
  it('day of month OR day of week when both are restricted; 7 = Sunday', () => {
    const c = parseCron('0 12 13 * 5')
    expect(c.matches(new Date(2026, 1, 13, 12, 0))).toBe(true) // the 13th
    expect(c.matches(new Date(2026, 1, 6, 12, 0))).toBe(true) // a Friday
    expect(c.matches(new Date(2026, 1, 7, 12, 0))).toBe(false)
    expect(parseCron('0 0 * * 7').matches(new Date(2026, 0, 4, 0, 0))).toBe(true)
  })
  it('runAt fires at the time, and not after cancel', async () => {
    const fired: string[] = []
    runAt(new Date(Date.now() + 20), () => fired.push('a'))()
    await new Promise<void>(r => runAt(new Date(Date.now() + 10), () => r(void fired.push('b'))))
    await new Promise(r => setTimeout(r, 30))
    expect(fired).toEqual(['b'])
  })
  it('rejects bad expressions with the field named', () => {
    expect(() => parseCron('* * * *')).toThrow(/expected 5 fields/)
    expect(() => parseCron('60 * * * *')).toThrow(/minute "60" is out of range 0-59/)
    expect(() => parseCron('* * * foo *')).toThrow(/Invalid cron value "foo"/)
    expect(() => parseCron('0 0 31 2 *')).toThrow(/never matches/)
  })
})

describe('sessions', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })
  it('memory storage expires entries after their TTL', async () => {
    let now = 1000
    const s = new MemoryStorage(() => now)
    await s.set('k', { a: 1 }, 500)
    await s.set('forever', 1)
    now = 1499
    expect(await s.get('k')).toEqual({ a: 1 })
    now = 1500
    expect(await s.get('k')).toBeUndefined()
    expect(await s.get('forever')).toBe(1)
  })
  it('file storage persists across instances and drops expired entries', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mk-bot-'))
    dirs.push(dir)
    const path = join(dir, 'sub', 'sessions.json')
    let now = 0
    const a = new FileStorage(path, () => now)
    await Promise.all([a.set('user:1', { n: 1 }), a.set('user:2', { n: 2 }, 100)])
    await a.delete('nope')
    const b = new FileStorage(path, () => now)
    expect(await b.get('user:1')).toEqual({ n: 1 })
    expect(await b.get('user:2')).toEqual({ n: 2 })
    now = 200
    expect(await new FileStorage(path, () => now).get('user:2')).toBeUndefined()
    expect(JSON.parse(await readFile(path, 'utf8'))['user:1'].value).toEqual({ n: 1 })
  })
})

describe('session keys', () => {
  it('per user, channel, thread, or a function', async () => {
    const { Sessions } = await import('../../src/bot/session.js')
    const m = msg('hi', { root_id: 'r'.repeat(26) })
    expect(new Sessions({}).key(m)).toBe(`user:${ALICE}`)
    expect(new Sessions({ scope: 'channel' }).key(m)).toBe(`channel:${CH}`)
    expect(new Sessions({ scope: 'thread' }).key(m)).toBe(`thread:${'r'.repeat(26)}`)
    expect(new Sessions({ scope: 'thread' }).key(msg('root'))).toBe(`thread:${'p'.repeat(26)}`)
    expect(new Sessions({ scope: (c: { kind: string }) => `k:${c.kind}` }).key(m)).toBe('k:message')
    const loaded = await new Sessions({ initial: () => ({ n: 1 }) }).load(m)
    expect(loaded).toEqual({ key: `user:${ALICE}`, before: '' })
    expect(m.session).toEqual({ n: 1 })
  })
})

describe('builders and contexts', () => {
  it('attachment() stringifies fields; field.* builds dialog elements', () => {
    expect(attachment({ title: 'S', fields: { open: 3 } })).toEqual({
      title: 'S',
      fields: [{ title: 'open', value: '3', short: true }],
    })
    expect(field.select('env', 'Env', ['a', { text: 'B', value: 'b' }])).toEqual({
      name: 'env',
      display_name: 'Env',
      type: 'select',
      options: [
        { text: 'a', value: 'a' },
        { text: 'B', value: 'b' },
      ],
    })
  })
  it('openDialog refuses an expired trigger id with MK_ERR_TRIGGER_EXPIRED before any request', async () => {
    const ctx = new CommandContext(rt, { command: '/x', trigger_id: 't', user_id: ALICE } as never, 1_000)
    await expect(ctx.openDialog({ callback_id: 'x', title: 'X' }, undefined, 31_000)).rejects.toMatchObject({
      code: 'MK_ERR_TRIGGER_EXPIRED',
    })
  })
  it('MessageContext reply target follows threadReplies; job/event contexts without channel refuse reply', async () => {
    const c = msg('hi')
    expect(c.threadId).toBe(c.post.id)
    expect(c.isMention).toBe(false)
    expect(() => (c as unknown as { session: unknown }).session).toThrow(/ctx.session is off/)
  })
})

describe('Bot construction', () => {
  it('fromEnv reads the environment and says what is missing', () => {
    expect(() => Bot.fromEnv({}, {})).toThrow(/Set MATTERMOST_URL .* and MATTERMOST_TOKEN/)
    const b = Bot.fromEnv(
      {},
      {
        MATTERMOST_URL: 'https://chat.example.com',
        MATTERMOST_TOKEN: 'tok-secret-123456',
        MATTERKIT_LOG: 'silent',
      },
    )
    expect(b).toBeInstanceOf(Bot)
    expect(() => b.me).toThrow(expect.objectContaining({ code: 'MK_ERR_BOT_NOT_STARTED' }))
  })
  it('never shows the token or the signing secret', () => {
    const token = 'tok-very-secret-abcdef'
    const signingSecret = 'sign-very-secret-0123456789'
    const b = new Bot({ url: 'https://chat.example.com', token, signingSecret })
    b.command('x', () => 'y')
    for (const text of [inspect(b, { depth: 5 }), JSON.stringify(b), String(b)]) {
      expect(text).not.toContain(token)
      expect(text).not.toContain(signingSecret)
    }
    expect(JSON.stringify(b)).toBe('{"bot":null,"started":false,"commands":["x"]}')
    expect(() => new Bot({ url: 'https://x', token, signingSecret: 'short' })).toThrow(
      /at least 16 characters/,
    )
  })
})
