/**
 * The `matterkit` command.
 *
 * Exit codes: 0 success · 1 failure · 2 usage error · 3 authentication error · 4 not found or
 * unreachable.
 * @module
 */
import { Command, CommanderError } from 'commander'
import { Client } from '../client/client.js'
import { AuthError, NetworkError, NotFoundError, NotMattermostError } from '../client/errors.js'
import { ConfigError } from '../core/errors.js'
import { startEmulator } from '../emulator/index.js'
import '../realtime/index.js'
import { registerAuth } from './auth.js'
import { loadDotEnv } from './config.js'
import { runDev } from './dev.js'
import { runDoctor } from './doctor.js'
import { registerManage } from './manage.js'
import { cliHelpers, ExitError, type Io } from './shared.js'
import { runStart } from './start.js'

export type { Io } from './shared.js'

const defaultIo: Io = {
  out: s => process.stdout.write(`${s}\n`),
  err: s => process.stderr.write(`${s}\n`),
  stdin: async () => {
    const chunks: Buffer[] = []
    for await (const c of process.stdin) chunks.push(c as Buffer)
    return Buffer.concat(chunks).toString()
  },
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

  const cli = cliHelpers(program, io)
  const { g, conn, client, print, channelId } = cli

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
      // before anything is printed, as for `emulator`
      const stopSignal = interactive ? undefined : untilStopSignal()
      const dev = await runDev({
        ...(botFile ? { bot: botFile } : {}),
        port: Number(o.port),
        persist: o.persist,
        chat: interactive,
        out: io.out,
      })
      if (stopSignal) {
        io.out('No terminal: Ctrl-C to stop.')
        await stopSignal
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
      // listen for the stop signals before saying we are up: a supervisor (or a test) may send
      // SIGTERM as soon as it reads the seed
      const stopSignal = untilStopSignal()
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
      await stopSignal
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
      const stopListening = new AbortController()
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
        void untilStopSignal(stopListening.signal).then(resolve)
      })
      await rt.connect()
      await done
      stopListening.abort() // the signal listeners go as soon as we are done
      await rt.close()
      await c.close()
    })

  registerManage(program, cli)

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

  registerAuth(program, cli)

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

/**
 * Resolves on Ctrl-C (SIGINT) or SIGTERM (docker stop, systemd), so the caller can shut down
 * cleanly; aborting `signal` removes the listeners (and resolves) when the caller ends first.
 */
function untilStopSignal(signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const done = (): void => {
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
    signal?.addEventListener('abort', done, { once: true })
  })
}
