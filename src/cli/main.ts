/**
 * The `matterkit` command.
 *
 * Exit codes: 0 success · 1 failure · 2 usage error · 3 authentication error · 4 not found or
 * unreachable (`exitCodeFor` in shared.ts).
 * @module
 */
import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { MatterkitError } from '../core/errors.js'
import { startEmulator } from '../emulator/index.js'
import { registerAuth } from './auth.js'
import { registerChat } from './chat.js'
import { loadDotEnv } from './config.js'
import { runDev } from './dev.js'
import { doctorExitCode, runDoctor } from './doctor.js'
import { registerListen } from './listen.js'
import { registerManage } from './manage.js'
import { registerPosting } from './post.js'
import { readSecret } from './secret-input.js'
import { cliHelpers, ExitError, exitCodeFor, type Io, usage } from './shared.js'
import { untilStopSignal } from './signals.js'
import { runStart } from './start.js'

const defaultIo: Io = {
  out: s => process.stdout.write(`${s}\n`),
  err: s => process.stderr.write(`${s}\n`),
  stdin: async () => {
    const chunks: Buffer[] = []
    for await (const c of process.stdin) chunks.push(c as Buffer)
    return Buffer.concat(chunks).toString()
  },
  secret: readSecret,
}

/** The package version (dist/cli/main.js and src/cli/main.ts both sit two levels below package.json). */
function packageVersion(): string {
  try {
    return (
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version
  } catch {
    return 'unknown'
  }
}

/** `--port` as a TCP port (0 picks a free one). */
function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw usage(`--port must be a port number from 0 to 65535 (got "${value}").`)
  return Number(value)
}

/** Start the emulator; a port in use gets a hint instead of a bare `listen EADDRINUSE`. */
async function withPortHint<T>(p: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new ExitError(1, `port ${p} is in use; pick another with --port or use --port 0 (any free port).`)
    throw e
  }
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
  const program = createProgram(argv, io)
  // before the options are parsed (a usage error), `--json` anywhere in argv counts
  const jsonMode = (): boolean => !!program.opts().json || argv.includes('--json')
  try {
    await program.parseAsync(argv, { from: 'user' })
    return 0
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0
      if (jsonMode()) io.err(jsonError('MK_ERR_INVALID_ARGUMENT', e.message.replace(/^error: /, ''), 2))
      return 2
    }
    const code = exitCodeFor(e)
    const message = (e as Error).message
    if (message)
      io.err(
        jsonMode()
          ? jsonError(
              e instanceof MatterkitError ? e.code : String((e as NodeJS.ErrnoException).code ?? 'ERROR'),
              message,
              code,
            )
          : `matterkit: ${message}`,
      )
    return code
  }
}

/**
 * The command tree, not yet parsed (`main` parses `argv` with it; a test walks it to check every
 * command and option has a description).
 */
export function createProgram(argv: readonly string[], io: Io = defaultIo): Command {
  const program = new Command('matterkit')
  const jsonMode = (): boolean => !!program.opts().json || argv.includes('--json')
  program
    .description(
      'Mattermost from the command line: emulator, doctor, send, listen, commands, webhooks, export.',
    )
    .version(packageVersion(), '-V, --version', 'print the matterkit version')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command]', 'show help for a command')
    .option('--url <url>', 'server URL (env MATTERMOST_URL)')
    .option(
      '--token <token>',
      'access token (env MATTERMOST_TOKEN; prefer the env var or a profile: argv is visible in ps)',
    )
    .option('--team <name>', 'team name (env MATTERMOST_TEAM)')
    .option('--profile <name>', 'use this saved profile (see auth list)')
    .option('--ca <file>', 'trust this CA certificate (PEM) for a self-signed server')
    .option('--insecure', 'do not verify the server’s TLS certificate (never in production)')
    .option('--json', 'machine-readable output; errors as {"error":{…}} on stderr')
    .exitOverride()
    .configureOutput({
      writeOut: s => io.out(s.trimEnd()),
      // with --json the catch below reports usage errors as JSON instead of commander's text
      writeErr: s => {
        if (!jsonMode()) io.err(s.trimEnd())
      },
    })
    .showHelpAfterError()
    .addHelpText('after', '\nExit codes: 0 ok, 1 failure, 2 usage, 3 auth error, 4 not found/unreachable.')

  const cli = cliHelpers(program, io, argv)
  const { g, conn, client, print, tls } = cli

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
    .option('--port <port>', 'emulator port (0: any free port)', '8065')
    .option('--persist <dir>', 'emulator state directory', '.matterkit/state')
    .option('--no-persist', 'keep the emulator state in memory')
    .action(async (botFile: string | undefined, o: { port: string; persist: string | false }) => {
      const p = port(o.port)
      const interactive = !!process.stdin.isTTY && !process.env.CI
      // before anything is printed, as for `emulator`
      const stopSignal = interactive ? undefined : untilStopSignal()
      const dev = await withPortHint(p, () =>
        runDev({
          ...(botFile ? { bot: botFile } : {}),
          port: p,
          persist: o.persist,
          chat: interactive,
          out: io.out,
        }),
      )
      if (stopSignal) {
        io.out('No terminal: Ctrl-C to stop.')
        await stopSignal
        await dev.stop()
      }
    })

  program
    .command('emulator')
    .description('run the local Mattermost emulator and print its seed')
    .option('--port <port>', 'port (0: any free port)', '8065')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--persist <dir>', 'keep state in this directory across restarts')
    .action(async (o: { port: string; host: string; persist?: string }) => {
      const p = port(o.port)
      const emu = await withPortHint(p, () =>
        startEmulator({ port: p, host: o.host, ...(o.persist ? { persist: o.persist } : {}) }),
      )
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

  registerPosting(program, cli)
  registerListen(program, cli)
  registerManage(program, cli)
  registerChat(program, cli)

  program
    .command('doctor')
    .description('check URL, server, token, memberships, WebSocket and command URLs')
    .action(async () => {
      const checks = await runDoctor({ ...conn(), ...tls() })
      if (g().json) io.out(JSON.stringify(checks))
      else
        for (const c of checks)
          io.out(
            `${c.ok ? (c.warning ? '⚠' : '✓') : '✗'} ${c.name}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ''}`,
          )
      const code = doctorExitCode(checks)
      if (code) throw new ExitError(code, '')
    })

  registerAuth(program, cli)
  return program
}

/** The `--json` form of an error on stderr. */
function jsonError(code: string, message: string, exitCode: number): string {
  return JSON.stringify({ error: { code, message, exitCode } })
}
