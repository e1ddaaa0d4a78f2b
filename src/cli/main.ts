/**
 * The `matterkit` command.
 *
 * Exit codes: 0 success · 1 failure · 2 usage error · 3 authentication error · 4 not found or
 * unreachable.
 * @module
 */
import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { Client } from '../client/client.js'
import { AuthError, NetworkError, NotFoundError, NotMattermostError } from '../client/errors.js'
import { ConfigError } from '../core/errors.js'
import { startEmulator } from '../emulator/index.js'
import '../realtime/index.js'
import type { Channel } from '../types/index.js'
import { configPath, loadDotEnv, readConfig, resolveConnection, writeConfig } from './config.js'
import { runDev } from './dev.js'
import { runDoctor } from './doctor.js'
import { runStart } from './start.js'

/** Where the CLI writes. */
export interface Io {
  out(s: string): void
  err(s: string): void
  stdin?: () => Promise<string>
}

const defaultIo: Io = {
  out: s => process.stdout.write(`${s}\n`),
  err: s => process.stderr.write(`${s}\n`),
  stdin: async () => {
    const chunks: Buffer[] = []
    for await (const c of process.stdin) chunks.push(c as Buffer)
    return Buffer.concat(chunks).toString()
  },
}

class ExitError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message)
  }
}

function codeFor(e: unknown): number {
  if (e instanceof ExitError) return e.exitCode
  if (e instanceof AuthError) return 3
  if (e instanceof NotFoundError || e instanceof NetworkError || e instanceof NotMattermostError) return 4
  if (e instanceof ConfigError) return 2
  return 1
}

/**
 * Run the CLI with `argv` (without `node` and the script). Resolves with the exit code.
 *
 * @example
 * ```ts
 * const code = await main(['whoami', '--json'])
 * ```
 */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  loadDotEnv()
  const program = new Command('matterkit')
  program
    .description(
      'Mattermost from the command line: emulator, doctor, send, listen, commands, webhooks, export.',
    )
    .option('--url <url>', 'server URL (env MATTERMOST_URL)')
    .option('--token <token>', 'access token (env MATTERMOST_TOKEN)')
    .option('--team <name>', 'team name (env MATTERMOST_TEAM)')
    .option('--profile <name>', 'saved profile')
    .option('--json', 'machine-readable output')
    .exitOverride()
    .configureOutput({ writeOut: s => io.out(s.trimEnd()), writeErr: s => io.err(s.trimEnd()) })
    .showHelpAfterError()
    .addHelpText('after', '\nExit codes: 0 ok, 1 failure, 2 usage, 3 auth error, 4 not found/unreachable.')

  const g = () =>
    program.opts<{ url?: string; token?: string; team?: string; profile?: string; json?: boolean }>()
  const conn = () => resolveConnection(g())
  const client = () => {
    const c = conn()
    if (!c.url || !c.token)
      throw new ExitError(
        2,
        'No server configured: pass --url/--token, set MATTERMOST_URL/MATTERMOST_TOKEN, or run `matterkit auth login`.',
      )
    return new Client({ url: c.url, token: c.token })
  }
  const print = (human: string, data: unknown) => io.out(g().json ? JSON.stringify(data) : human)
  async function channelId(c: Client, ref: string): Promise<string> {
    if (/^[a-z0-9]{26}$/.test(ref)) return ref
    if (ref.startsWith('@')) {
      const [me, other] = await Promise.all([c.users.me(), c.users.getByUsername(ref.slice(1))])
      return (await c.channels.direct(me.id, other.id)).id
    }
    const name = ref.replace(/^[~#]/, '')
    const teams = await c.teams.forUser('me')
    const team = conn().team
    for (const t of teams.filter(t => !team || t.name === team)) {
      const chans: Channel[] = await c.channels.forUser('me', t.id)
      const hit = chans.find(x => x.display_name === name) ?? chans.find(x => x.name === name)
      if (hit) return hit.id
    }
    throw new ExitError(4, `Channel "${ref}" not found among your channels.`)
  }
  async function teamId(c: Client): Promise<string> {
    const teams = await c.teams.forUser('me')
    const want = conn().team
    const t = want ? teams.find(x => x.name === want) : teams[0]
    if (!t) throw new ExitError(4, want ? `Team "${want}" not found.` : 'You are in no team.')
    return t.id
  }

  program
    .command('start')
    .description('run the demo: emulator + example bot + scripted conversation (+ chat in a terminal)')
    .action(async () => {
      const code = await runStart({ interactive: !!process.stdin.isTTY && !process.env.CI, out: io.out })
      if (code) throw new ExitError(code, 'demo failed')
    })

  program
    .command('dev [bot]')
    .description('emulator + your bot (restarted on file change) + a terminal chat as alice')
    .option('--port <port>', 'emulator port', '8065')
    .option('--persist <dir>', 'emulator state directory', '.matterkit/state')
    .option('--no-persist', 'keep the emulator state in memory')
    .action(async (botFile: string | undefined, o: { port: string; persist: string | false }) => {
      const interactive = !!process.stdin.isTTY && !process.env.CI
      const dev = await runDev({
        ...(botFile ? { bot: botFile } : {}),
        port: Number(o.port),
        persist: o.persist,
        chat: interactive,
        out: io.out,
      })
      if (!interactive) {
        io.out('No terminal: Ctrl-C to stop.')
        await new Promise<void>(resolve => process.once('SIGINT', () => resolve()))
        await dev.stop()
      }
    })

  program
    .command('emulator')
    .description('run the local Mattermost emulator and print its seed')
    .option('--port <port>', 'port', '8065')
    .option('--host <host>', 'interface', '127.0.0.1')
    .option('--persist <dir>', 'keep state in this directory across restarts')
    .action(async (o: { port: string; host: string; persist?: string }) => {
      const emu = await startEmulator({
        port: Number(o.port),
        host: o.host,
        ...(o.persist ? { persist: o.persist } : {}),
      })
      print(
        `Mattermost emulator on ${emu.url}\n` +
          Object.entries(emu.seed.users)
            .map(
              ([k, u]) =>
                `  ${k.padEnd(6)} @${u.username.padEnd(10)} token ${u.token}${u.password ? `  password ${u.password}` : ''}`,
            )
            .join('\n') +
          `\n  team ${emu.seed.team.name}; channels ${Object.values(emu.seed.channels)
            .map(c => c.name)
            .join(', ')}\nCtrl-C to stop.`,
        { url: emu.url, seed: emu.seed },
      )
      await new Promise<void>(resolve => process.once('SIGINT', () => resolve()))
      await emu.stop()
    })

  program
    .command('whoami')
    .description('show the authenticated user')
    .action(async () => {
      const c = client()
      const me = await c.users.me()
      print(`@${me.username} (${me.id})${me.is_bot ? ' [bot]' : ''} on ${c.url.base}`, {
        id: me.id,
        username: me.username,
        is_bot: me.is_bot,
        url: c.url.base,
      })
      await c.close()
    })

  program
    .command('send <channel> [text...]')
    .description('post a message (channel by name, display name, id, or @user; text from stdin if omitted)')
    .option('--thread <postId>', 'reply in this thread')
    .option('--file <path...>', 'attach files')
    .option('--props <json>', 'post props as JSON')
    .action(async (ref: string, words: string[], o: { thread?: string; file?: string[]; props?: string }) => {
      const c = client()
      const channel_id = await channelId(c, ref)
      const message = words.length ? words.join(' ') : ((await io.stdin?.()) ?? '').trimEnd()
      let props: Record<string, unknown> | undefined
      if (o.props) {
        try {
          props = JSON.parse(o.props)
        } catch {
          throw new ExitError(2, '--props must be valid JSON')
        }
      }
      const file_ids = o.file
        ? (
            await c.files.upload(
              channel_id,
              o.file.map(f => ({ data: f })),
            )
          ).map(f => f.id)
        : undefined
      const post = await c.posts.create({
        channel_id,
        message,
        ...(o.thread ? { root_id: o.thread } : {}),
        ...(file_ids ? { file_ids } : {}),
        ...(props ? { props } : {}),
      })
      print(`posted ${post.id}`, post)
      await c.close()
    })

  program
    .command('hook <hook> [text...]')
    .description('post through an incoming webhook (id or URL)')
    .option('--attachment <json>', 'a message attachment as JSON')
    .option('--username <name>')
    .action(async (hook: string, words: string[], o: { attachment?: string; username?: string }) => {
      const c = /^https?:/.test(hook)
        ? new Client({ url: new URL(hook).origin, token: 'unused-for-hooks', verifyServer: false })
        : client()
      await c.webhooks.post(hook, {
        text: words.join(' '),
        ...(o.username ? { username: o.username } : {}),
        ...(o.attachment ? { attachments: [JSON.parse(o.attachment)] } : {}),
      })
      print('ok', { ok: true })
      await c.close()
    })

  program
    .command('listen')
    .description('print events as they happen (Ctrl-C stops)')
    .option('--event <name...>', 'only these events')
    .option('--channel <ref>', 'only this channel')
    .option('--count <n>', 'stop after n events')
    .action(async (o: { event?: string[]; channel?: string; count?: string }) => {
      const c = client()
      const only = o.channel ? await channelId(c, o.channel) : undefined
      const rt = c.realtime()
      let n = 0
      const max = o.count ? Number(o.count) : Number.POSITIVE_INFINITY
      const done = new Promise<void>(resolve => {
        rt.on('event', ev => {
          if (o.event && !o.event.includes(ev.event)) return
          if (only && ev.broadcast.channel_id !== only) return
          if (ev.event === 'hello') return
          const summary =
            'post' in ev
              ? `${ev.event} ${(ev as { post: { message: string } }).post.message}`
              : `${ev.event} ${JSON.stringify(ev.data)}`
          io.out(
            g().json
              ? JSON.stringify({ event: ev.event, seq: ev.seq, data: ev.data, broadcast: ev.broadcast })
              : summary,
          )
          if (++n >= max) resolve()
        })
        process.once('SIGINT', () => resolve())
      })
      await rt.connect()
      await done
      await rt.close()
      await c.close()
    })

  const commands = program.command('commands').description('manage slash commands')
  commands.command('list').action(async () => {
    const c = client()
    const list = await c.commands.list(await teamId(c))
    print(
      list.map(x => `/${x.trigger}  ${x.method === 'G' ? 'GET' : 'POST'} ${x.url}  (${x.id})`).join('\n') ||
        '(none)',
      list.map(({ token: _t, ...x }) => x),
    )
    await c.close()
  })
  commands
    .command('create <trigger> <url>')
    .option('--description <text>')
    .option('--get', 'use GET instead of POST')
    .action(async (trigger: string, url: string, o: { description?: string; get?: boolean }) => {
      const c = client()
      const cmd = await c.commands.create({
        team_id: await teamId(c),
        trigger,
        url,
        method: o.get ? 'G' : 'P',
        description: o.description ?? '',
        auto_complete: true,
      })
      print(
        `created /${cmd.trigger} (${cmd.id}); its token is shown once in the System Console or via --json`,
        cmd,
      )
      await c.close()
    })
  commands
    .command('update <id>')
    .option('--url <url>')
    .option('--description <text>')
    .action(async (id: string, o: { url?: string; description?: string }) => {
      const c = client()
      const cur = await c.commands.get(id)
      const cmd = await c.commands.update(id, {
        ...cur,
        ...(o.url ? { url: o.url } : {}),
        ...(o.description ? { description: o.description } : {}),
      })
      print(`updated /${cmd.trigger}`, { id: cmd.id, trigger: cmd.trigger, url: cmd.url })
      await c.close()
    })
  commands.command('delete <id>').action(async (id: string) => {
    const c = client()
    await c.commands.delete(id)
    print('deleted', { ok: true })
    await c.close()
  })

  const webhooks = program.command('webhooks').description('manage incoming webhooks')
  webhooks.command('list').action(async () => {
    const c = client()
    const list = await c.webhooks.incoming.list({ team_id: await teamId(c) })
    print(list.map(h => `${h.id}  ${h.display_name}  → ${h.channel_id}`).join('\n') || '(none)', list)
    await c.close()
  })
  webhooks
    .command('create <channel>')
    .option('--name <name>')
    .action(async (ref: string, o: { name?: string }) => {
      const c = client()
      const h = await c.webhooks.incoming.create({
        channel_id: await channelId(c, ref),
        display_name: o.name ?? 'matterkit',
      })
      print(`created ${h.id}: POST ${c.url.base}/hooks/${h.id}`, h)
      await c.close()
    })
  webhooks.command('delete <id>').action(async (id: string) => {
    const c = client()
    await c.webhooks.incoming.delete(id)
    print('deleted', { ok: true })
    await c.close()
  })

  program
    .command('export <channel>')
    .description('export a channel to JSONL (resumable) or Markdown')
    .option('--format <fmt>', 'jsonl or md', 'jsonl')
    .option('--out <file>', 'output file (default stdout)')
    .action(async (ref: string, o: { format: string; out?: string }) => {
      if (o.format !== 'jsonl' && o.format !== 'md') throw new ExitError(2, '--format must be jsonl or md')
      const c = client()
      const id = await channelId(c, ref)
      let after: string | undefined
      if (o.out && o.format === 'jsonl' && existsSync(o.out)) {
        const lines = readFileSync(o.out, 'utf8').trimEnd().split('\n').filter(Boolean)
        if (lines.length) after = (JSON.parse(lines[lines.length - 1]!) as { id: string }).id
      }
      const stream = o.out ? createWriteStream(o.out, { flags: after ? 'a' : 'w' }) : undefined
      const write = (s: string) => (stream ? stream.write(`${s}\n`) : io.out(s))
      const names = new Map<string, string>()
      let n = 0
      for await (const p of c.posts.iterateChannel(id, after ? { after } : {})) {
        if (o.format === 'jsonl') write(JSON.stringify(p))
        else {
          if (!names.has(p.user_id)) names.set(p.user_id, (await c.users.get(p.user_id)).username)
          write(`**@${names.get(p.user_id)}** (${new Date(p.create_at).toISOString()}): ${p.message}\n`)
        }
        if (++n % 200 === 0 && process.stderr.isTTY) process.stderr.write(`\r${n} posts…`)
      }
      if (process.stderr.isTTY) process.stderr.write(`\r${n} posts exported\n`)
      await new Promise<void>(r => (stream ? stream.end(r) : r()))
      if (o.out) io.err(`${n} posts ${after ? 'appended to' : 'written to'} ${o.out}`)
      await c.close()
    })

  program
    .command('doctor')
    .description('check URL, server, token, memberships, WebSocket and command URLs')
    .action(async () => {
      const checks = await runDoctor(conn())
      if (g().json) io.out(JSON.stringify(checks))
      else
        for (const c of checks)
          io.out(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ''}`)
      if (checks.some(c => !c.ok)) throw new ExitError(1, '')
    })

  const auth = program
    .command('auth')
    .description('saved server profiles (token stored with 0600 permissions, never printed)')
  auth
    .command('login <name>')
    .description('save a profile from --url/--token (global options) and make it current')
    .action(async (name: string) => {
      const o = g()
      if (!o.url || !o.token) throw new ExitError(2, 'auth login needs --url and --token.')
      const c = new Client({ url: o.url, token: o.token })
      const me = await c.users.me()
      await c.close()
      const cfg = readConfig()
      cfg.profiles[name] = { url: o.url, token: o.token, ...(o.team ? { team: o.team } : {}) }
      cfg.current = name
      writeConfig(cfg)
      print(`saved profile "${name}" (@${me.username}) in ${configPath()}`, {
        profile: name,
        username: me.username,
      })
    })
  auth.command('list').action(() => {
    const cfg = readConfig()
    const list = Object.entries(cfg.profiles).map(([n, p]) => ({
      name: n,
      url: p.url,
      current: n === cfg.current,
    }))
    print(list.map(p => `${p.current ? '*' : ' '} ${p.name}  ${p.url}`).join('\n') || '(no profiles)', list)
  })
  auth.command('use <name>').action((name: string) => {
    const cfg = readConfig()
    if (!cfg.profiles[name]) throw new ExitError(4, `No profile "${name}".`)
    cfg.current = name
    writeConfig(cfg)
    print(`using ${name}`, { current: name })
  })
  auth.command('remove <name>').action((name: string) => {
    const cfg = readConfig()
    delete cfg.profiles[name]
    if (cfg.current === name) delete cfg.current
    writeConfig(cfg)
    print(`removed ${name}`, { removed: name })
  })

  try {
    await program.parseAsync(argv, { from: 'user' })
    return 0
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2
    const code = codeFor(e)
    if ((e as Error).message) io.err(`matterkit: ${(e as Error).message}`)
    return code
  }
}
