/**
 * What every `matterkit` subcommand shares: where output goes, the exit-code error, and the
 * connection helpers (client from flags/env/profile, channel and team lookup).
 * @module
 */
import type { Command } from 'commander'
import { Client } from '../client/client.js'
import type { Channel } from '../types/index.js'
import { type Connection, resolveConnection } from './config.js'

/** Where the CLI writes. */
export interface Io {
  out(s: string): void
  err(s: string): void
  stdin?: () => Promise<string>
}

/** An error that ends the CLI with a given exit code. */
export class ExitError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message)
  }
}

/** The global options. */
export interface GlobalOptions {
  url?: string
  token?: string
  team?: string
  profile?: string
  json?: boolean
}

/** Helpers handed to each group of subcommands. */
export interface Cli {
  io: Io
  g(): GlobalOptions
  conn(): Connection
  client(): Client
  print(human: string, data: unknown): void
  channelId(c: Client, ref: string): Promise<string>
  teamId(c: Client): Promise<string>
}

/** Build the helpers for a program. */
export function cliHelpers(program: Command, io: Io): Cli {
  const g = (): GlobalOptions => program.opts<GlobalOptions>()
  const conn = (): Connection => resolveConnection(g())
  const client = (): Client => {
    const c = conn()
    if (!c.url || !c.token)
      throw new ExitError(
        2,
        'No server configured: pass --url/--token, set MATTERMOST_URL/MATTERMOST_TOKEN, or run `matterkit auth login`.',
      )
    return new Client({ url: c.url, token: c.token })
  }
  const print = (human: string, data: unknown): void => io.out(g().json ? JSON.stringify(data) : human)
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

  return { io, g, conn, client, print, channelId, teamId }
}
