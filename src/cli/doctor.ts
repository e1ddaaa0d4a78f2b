/**
 * `matterkit doctor`: checks a bot's setup and prints the fix for every problem.
 * @module
 */
import WebSocket from 'ws'
import { type ApiError, AuthError, NetworkError, NotMattermostError, TimeoutError } from '../client/errors.js'
import { normaliseServerUrl } from '../core/url.js'
import { Client } from '../realtime/client.js'
import { exitCodeFor } from './shared.js'

/** A short description of what answered instead of Mattermost's JSON. */
function describe(body: unknown): string {
  if (typeof body === 'string') {
    const text = body.trim()
    return `${/^<(!doctype|html)/i.test(text) ? 'an HTML page' : 'text'} ("${text.slice(0, 60)}${text.length > 60 ? '…' : ''}")`
  }
  return body === null || body === undefined ? 'an empty body' : `${JSON.stringify(body).slice(0, 60)}`
}

/** One check's outcome. */
export interface Check {
  name: string
  /** False: a failure (✗). True with `warning`: advice (⚠) that does not fail the run. */
  ok: boolean
  warning?: boolean
  detail: string
  fix?: string
  /** The exit code this failure stands for when not the generic 1 (2 usage, 3 auth, 4 unreachable). */
  exitCode?: number
}

/** The exit code of a doctor run: the first failure's (0 when nothing failed; warnings do not count). */
export function doctorExitCode(checks: Check[]): number {
  const failed = checks.find(c => !c.ok)
  return failed ? (failed.exitCode ?? 1) : 0
}

/** Run every check; stops early when a prerequisite fails. */
export async function runDoctor(opts: {
  url?: string
  token?: string
  team?: string
  ca?: string | Buffer
  insecure?: boolean
}): Promise<Check[]> {
  const checks: Check[] = []
  const add = (c: Check): boolean => {
    checks.push(c)
    return c.ok
  }
  if (!opts.url) {
    add({
      name: 'URL',
      ok: false,
      detail: 'no server URL',
      fix: 'Pass --url or set MATTERMOST_URL (e.g. https://chat.example.com).',
      exitCode: 2,
    })
    return checks
  }
  let url: ReturnType<typeof normaliseServerUrl>
  try {
    url = normaliseServerUrl(opts.url)
  } catch (e) {
    add({
      name: 'URL',
      ok: false,
      detail: (e as Error).message,
      fix: 'Use a form like https://chat.example.com',
      exitCode: 2,
    })
    return checks
  }
  add({ name: 'URL', ok: true, detail: url.base })
  if (process.env.HTTPS_PROXY || process.env.HTTP_PROXY)
    add({
      name: 'Proxy',
      ok: true,
      detail: 'proxy variables are set; make sure they allow WebSocket upgrades',
    })
  const client = new Client({
    url: url.base,
    token: opts.token ?? 'no-token-given',
    retry: false,
    timeoutMs: 10_000,
    ...(opts.ca ? { ca: opts.ca } : {}),
    ...(opts.insecure ? { insecure: true } : {}),
  })
  try {
    const ping: unknown = await client.system.ping()
    // a login page or proxy answering 200 is not Mattermost, whatever ping() returned
    // (server/channels/api4/system.go: getSystemPing always answers a JSON object with "status")
    if (
      typeof ping !== 'object' ||
      ping === null ||
      typeof (ping as { status?: unknown }).status !== 'string'
    )
      throw new NotMattermostError(
        `${url.base} answered /api/v4/system/ping with ${describe(ping)}, not Mattermost's {"status": …}.`,
        url.base,
      )
    const { status, version } = ping as { status: string; version?: unknown }
    add({
      name: 'Server is Mattermost',
      ok: true,
      detail: `ping ${status}${version ? `, version ${String(version)}` : ''}`,
    })
  } catch (e) {
    const fix =
      e instanceof NotMattermostError
        ? 'The URL answers with something else (HTML page, SSO, proxy). Check the URL and subpath.'
        : e instanceof NetworkError || e instanceof TimeoutError
          ? 'The server is unreachable: check the host, port, DNS, firewall, TLS (self-signed? pass --ca <file>, or --insecure to try).'
          : 'Check the URL.'
    add({ name: 'Server is Mattermost', ok: false, detail: (e as Error).message, fix, exitCode: 4 })
    await client.close()
    return checks
  }
  if (!opts.token) {
    add({
      name: 'Token',
      ok: false,
      detail: 'no token',
      fix: 'Pass --token or set MATTERMOST_TOKEN (System Console → Integrations → Bot Accounts → Create token).',
      exitCode: 2,
    })
    await client.close()
    return checks
  }
  let meId = ''
  try {
    const me = await client.users.me()
    meId = me.id
    add({ name: 'Token', ok: true, detail: `authenticated as @${me.username}` })
    // a personal access token works; a bot account is advice, not a failure
    add({
      name: 'Bot account',
      ok: true,
      ...(me.is_bot ? {} : { warning: true }),
      detail: me.is_bot ? 'is a bot account' : 'is a regular user account',
      ...(me.is_bot
        ? {}
        : {
            fix: 'Prefer a bot account: its token does not expire with a session and its posts are marked as bot posts.',
          }),
    })
  } catch (e) {
    add({
      name: 'Token',
      ok: false,
      detail: (e as Error).message,
      fix:
        e instanceof AuthError
          ? 'The token is wrong or revoked. Use the token itself (not its id); create a new one if needed.'
          : 'Check the token.',
      exitCode: exitCodeFor(e),
    })
    await client.close()
    return checks
  }
  const teams = await client.teams.forUser('me').catch(() => [])
  add({
    name: 'Team membership',
    ok: teams.length > 0,
    detail: teams.length ? `member of ${teams.map(t => t.name).join(', ')}` : 'member of no team',
    ...(teams.length
      ? {}
      : { fix: 'Add the bot to a team (Team menu → Add members, or System Console → Bot Accounts).' }),
  })
  for (const t of teams) {
    const chans = (await client.channels.forUser('me', t.id).catch(() => [])).filter(
      c => c.type === 'O' || c.type === 'P',
    )
    add({
      name: `Channels in ${t.name}`,
      ok: chans.length > 0,
      detail: chans.length ? `${chans.length} channel(s)` : 'no channels',
      ...(chans.length ? {} : { fix: `Add the bot to channels in ${t.name} (/invite @bot).` }),
    })
    const cmds = await client.commands.list(t.id).catch(() => [])
    for (const c of cmds.filter(x => x.creator_id === meId && x.url)) {
      const reachable = await fetch(c.url, { method: 'HEAD', signal: AbortSignal.timeout(5000) }).then(
        () => true,
        () => false,
      )
      add({
        name: `/${c.trigger} URL`,
        ok: reachable,
        detail: c.url,
        ...(reachable
          ? {}
          : {
              fix: 'Mattermost cannot reach this URL from here either; check the bot is running and publicUrl. For private IPs set ServiceSettings.AllowedUntrustedInternalConnections.',
            }),
      })
    }
  }
  const posting = teams[0] && (await client.channels.forUser('me', teams[0].id).catch(() => []))[0]
  if (posting) {
    try {
      await client.channels.member(posting.id, 'me')
      add({ name: 'Posting rights', ok: true, detail: `member of ~${posting.name}` })
    } catch (e) {
      add({
        name: 'Posting rights',
        ok: false,
        detail: (e as ApiError).message,
        fix: 'Add the bot to the channel.',
      })
    }
  }
  const ws = await new Promise<Check>(resolve => {
    const sock = new WebSocket(url.websocket, {
      headers: { Authorization: `Bearer ${opts.token}` },
      handshakeTimeout: 10_000,
      rejectUnauthorized: !opts.insecure,
      ...(opts.ca ? { ca: opts.ca } : {}),
    })
    const timer = setTimeout(() => {
      sock.terminate()
      resolve({
        name: 'WebSocket',
        ok: false,
        detail: 'no hello within 10 s',
        fix: 'A proxy may not forward WebSocket upgrades (nginx: proxy_set_header Upgrade/Connection).',
      })
    }, 10_000)
    sock.on('message', (d: Buffer) => {
      if (String(d).includes('"hello"')) {
        clearTimeout(timer)
        sock.close()
        resolve({ name: 'WebSocket', ok: true, detail: 'upgrade OK, hello received' })
      }
    })
    sock.on('unexpected-response', (_q, r) => {
      clearTimeout(timer)
      resolve({
        name: 'WebSocket',
        ok: false,
        detail: `upgrade answered ${r.statusCode}`,
        fix: 'The proxy must pass Upgrade and Connection headers to /api/v4/websocket.',
      })
    })
    sock.on('error', e => {
      clearTimeout(timer)
      resolve({
        name: 'WebSocket',
        ok: false,
        detail: e.message,
        fix: 'Check that WebSockets are allowed through the proxy/firewall.',
      })
    })
  })
  add(ws)
  await client.close()
  return checks
}
