/**
 * What every `matterkit` subcommand shares: where output goes, the exit-code error, and the
 * connection helpers (client from flags/env/profile, channel and team lookup).
 * @module
 */
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { Directory } from '../bot/directory.js'
import type { ClientOptions } from '../client/client.js'
import { AuthError, NetworkError, NotFoundError, NotMattermostError, TimeoutError } from '../client/errors.js'
import { ArgumentError, ConfigError, type ErrorCode, MatterkitError } from '../core/errors.js'
import { Client } from '../realtime/client.js'
import { type Connection, readConfig, resolveConnection } from './config.js'

/** Where the CLI writes. */
export interface Io {
  out(s: string): void
  err(s: string): void
  stdin?: () => Promise<string>
  /** Ask for a secret without echoing it (a terminal), else read it from stdin. */
  secret?: (prompt: string) => Promise<string>
}

/** The code `--json` reports for each exit code when the error has none of its own. */
const CODE_FOR_EXIT: Record<number, ErrorCode> = {
  2: 'MK_ERR_INVALID_ARGUMENT',
  3: 'MK_ERR_UNAUTHORIZED',
  4: 'MK_ERR_NOT_FOUND',
}

/** An error that ends the CLI with a given exit code (see the table in main.ts). */
export class ExitError extends MatterkitError {
  constructor(
    readonly exitCode: number,
    message: string,
    code: ErrorCode = CODE_FOR_EXIT[exitCode] ?? 'MK_ERR_API',
  ) {
    super(code, message)
  }
}

/**
 * The exit code for an error: 0 success · 1 failure · 2 usage error · 3 authentication error ·
 * 4 not found or unreachable (the table in README and `matterkit --help`).
 */
export function exitCodeFor(e: unknown): number {
  if (e instanceof ExitError) return e.exitCode
  if (e instanceof AuthError) return 3
  if (e instanceof NotFoundError || e instanceof NetworkError || e instanceof TimeoutError) return 4
  if (e instanceof MatterkitError && e.code === 'MK_ERR_NOT_FOUND') return 4
  if (e instanceof NotMattermostError) return 4
  if (e instanceof ConfigError || e instanceof ArgumentError) return 2
  return 1
}

/** A usage error (exit code 2): a missing or malformed argument, caught before any request. */
export function usage(message: string): ExitError {
  return new ExitError(2, message)
}

/** The global options. */
export interface GlobalOptions {
  url?: string
  token?: string
  team?: string
  profile?: string
  json?: boolean
  ca?: string
  insecure?: boolean
}

/** Helpers handed to each group of subcommands. */
export interface Cli {
  io: Io
  /** The arguments as given (for checks commander cannot express). */
  argv: readonly string[]
  g(): GlobalOptions
  conn(): Connection
  /** The TLS options from `--ca`/`--insecure`, for every Client the CLI builds. */
  tls(): Pick<ClientOptions, 'ca' | 'insecure'>
  client(): Client
  print(human: string, data: unknown): void
  channelId(c: Client, ref: string): Promise<string>
  teamId(c: Client): Promise<string>
}

/** Build the helpers for a program. */
export function cliHelpers(program: Command, io: Io, argv: readonly string[] = []): Cli {
  const g = (): GlobalOptions => program.opts<GlobalOptions>()
  const conn = (): Connection => {
    const o = g()
    // a named profile that does not exist is the problem, not the missing URL it would have given
    if (o.profile && !readConfig().profiles[o.profile])
      throw new ExitError(4, `No profile "${o.profile}" (see \`matterkit auth list\`).`)
    return resolveConnection(o)
  }
  let ca: Buffer | undefined
  const tls = (): Pick<ClientOptions, 'ca' | 'insecure'> => {
    const o = g()
    if (o.ca && !ca) {
      try {
        ca = readFileSync(o.ca)
      } catch (e) {
        throw usage(
          `--ca ${o.ca}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`,
        )
      }
    }
    return { ...(ca ? { ca } : {}), ...(o.insecure ? { insecure: true } : {}) }
  }
  const client = (): Client => {
    const c = conn()
    if (!c.url || !c.token)
      throw usage(
        'No server configured: pass --url/--token, set MATTERMOST_URL/MATTERMOST_TOKEN, or run `matterkit auth login`.',
      )
    return new Client({ url: c.url, token: c.token, ...tls() })
  }
  const print = (human: string, data: unknown): void => io.out(g().json ? JSON.stringify(data) : human)
  // The bot's resolver, so `send town-square` and `ctx.send('town-square')` follow one rule.
  const channelId = (c: Client, ref: string): Promise<string> => new Directory(c, conn().team).channel(ref)
  async function teamId(c: Client): Promise<string> {
    const [t] = await new Directory(c, conn().team).teams()
    if (!t) throw new ExitError(4, 'You are in no team.')
    return t.id
  }

  return { io, argv, g, conn, tls, client, print, channelId, teamId }
}
