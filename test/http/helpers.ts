/** Shared helpers for the receiver tests: Mattermost-shaped requests and a capturing logger. */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../../src/index.js'

export const SECRET = 'test-signing-secret-0123456789'
export const TOKEN = 'cmdtoken1234567890abcdefgh'
export const HOOK_TOKEN = 'hooktoken1234567890abcdef'

/** Form-encode, repeating keys for array values (as Mattermost does for user_mentions). */
export function form(o: Record<string, string | string[]>): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(o)) for (const x of [v].flat()) p.append(k, x)
  return p.toString()
}

/** The fields of a slash command as Mattermost sends them. */
export function commandFields(
  extra: Record<string, string | string[]> = {},
): Record<string, string | string[]> {
  return {
    token: TOKEN,
    team_id: 'team1',
    team_domain: 'acme',
    channel_id: 'chan1',
    channel_name: 'town-square',
    user_id: 'user1',
    user_name: 'alice',
    command: '/deploy',
    text: 'prod',
    trigger_id: 'trig',
    root_id: '',
    response_url: 'http://127.0.0.1:9/hooks/commands/x',
    ...extra,
  }
}

/** POST a form-encoded slash command with `Authorization: Token` (unless `auth` is false). */
export function postCommand(
  base: string,
  extra: Record<string, string | string[]> = {},
  auth: string | false = TOKEN,
): Promise<Response> {
  return fetch(`${base}/mattermost/command`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      ...(auth ? { authorization: `Token ${auth}` } : {}),
    },
    body: form(commandFields(extra)),
  })
}

/** POST JSON as Mattermost does for actions and dialogs. */
export function postJson(base: string, route: string, body: unknown): Promise<Response> {
  return fetch(`${base}/mattermost/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** A logger that keeps every record as one JSON line. */
export function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const rec =
    (level: string) =>
    (obj: unknown, msg?: string): void => {
      lines.push(JSON.stringify({ level, obj, msg }))
    }
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') }
}

/** A stand-in for Mattermost's response_url endpoint: records bodies, answers `ok`. */
export async function responseUrlServer(opts: { tooManyFirst?: number } = {}): Promise<{
  url: string
  bodies: Array<{ type: string; body: string }>
  next(): Promise<{ type: string; body: string }>
  close(): Promise<void>
}> {
  const bodies: Array<{ type: string; body: string }> = []
  let refuse = opts.tooManyFirst ?? 0
  const waiters: Array<(b: { type: string; body: string }) => void> = []
  const server: Server = createServer((req: IncomingMessage, res) => {
    let b = ''
    req.setEncoding('utf8')
    req.on('data', c => (b += c))
    req.on('end', () => {
      if (refuse-- > 0) return void res.writeHead(429, { 'retry-after': '0' }).end('slow down')
      const rec = { type: String(req.headers['content-type'] ?? ''), body: b }
      bodies.push(rec)
      waiters.shift()?.(rec)
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    })
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/hooks/commands/abcdefghijklmnopqrstuvwxyz`,
    bodies,
    next: () => new Promise(r => waiters.push(r)),
    close: () =>
      new Promise<void>(r => {
        server.close(() => r())
        server.closeAllConnections()
      }),
  }
}

/**
 * Send a chunked body (no Content-Length) that never ends, and resolve with the status the server
 * answers while the request is still open.
 */
export function chunkedStatus(base: string, path: string, chunk: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    })
    req.on('response', res => {
      res.resume()
      resolve(res.statusCode ?? 0)
      req.destroy()
    })
    req.on('error', reject)
    req.write(chunk)
  })
}
