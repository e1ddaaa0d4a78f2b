/**
 * The REST client against a hostile or broken server: a loopback `node:http` server answers each
 * "site" (the first path segment of the client's URL) in one bad way, on every wire.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NotMattermostError, ResponseTooLargeError } from '../../src/client/errors.js'
import type { Logger } from '../../src/core/logger.js'
import {
  AuthError,
  Client,
  type ClientOptions,
  ProtocolError,
  RateLimitedError,
  ServerError,
  TimeoutError,
} from '../../src/index.js'

const TOKEN = 'hostile-secret-token-0123456789abcd'
const MB = 1024 * 1024

/** What the server saw of one streamed body: bytes written, and whether the client hung up first. */
interface Sent {
  bytes: number
  closedEarly: boolean
}

let server: Server
let base: string
/** A second server, the target of the redirects: it must never see the token. */
let other: Server
let otherUrl: string
const otherSaw: Array<string | undefined> = []
const hits = new Map<string, number>()
const sent = new Map<string, Promise<Sent>>()

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/** Write `total` bytes of JSON-looking text, honouring back-pressure, until done or the client leaves. */
function pour(site: string, res: ServerResponse, total: number, headers: Record<string, string>): void {
  let bytes = 0
  sent.set(
    site,
    new Promise<Sent>(done => res.once('close', () => done({ bytes, closedEarly: bytes < total }))),
  )
  res.writeHead(200, { 'content-type': 'application/json', ...headers })
  const chunk = Buffer.alloc(64 * 1024, 0x20)
  const pump = (): void => {
    while (bytes < total && !res.destroyed) {
      bytes += chunk.length
      if (!res.write(chunk)) {
        res.once('drain', pump)
        return
      }
    }
    res.end()
  }
  pump()
}

/** One byte every 100 ms, 50 of them (5 s): a body that never ends within a 500 ms deadline. */
function drip(site: string, res: ServerResponse): void {
  let bytes = 0
  res.writeHead(200, { 'content-type': 'application/json' })
  const t = setInterval(() => {
    bytes++
    if (bytes >= 50) {
      clearInterval(t)
      res.end(' ')
    } else res.write(' ')
  }, 100)
  sent.set(
    site,
    new Promise<Sent>(done =>
      res.once('close', () => {
        clearInterval(t)
        done({ bytes, closedEarly: bytes < 50 })
      }),
    ),
  )
}

/** Go's mime.ParseMediaType for the value of a Content-Disposition: `\` escapes a tspecial only. */
function dispositionParams(value: string): Record<string, string> {
  const out: Record<string, string> = {}
  const re = /;\s*([^=\s;]+)=/g
  let m: RegExpExecArray | null
  while ((m = re.exec(value))) {
    let i = re.lastIndex
    let v = ''
    if (value[i] === '"') {
      i++
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\' && i + 1 < value.length && '()<>@,;:\\"/[]?='.includes(value[i + 1]!)) i++
        v += value[i]
        i++
      }
      i++
    } else {
      while (i < value.length && value[i] !== ';') v += value[i++]
    }
    out[(m[1] as string).toLowerCase()] = v
    re.lastIndex = i
  }
  return out
}

/** Parse a multipart body as the server does: parts, their header names, their filename. */
function multipart(body: Buffer, type: string): Array<{ headers: string[]; filename?: string }> {
  const boundary = /boundary=(.+)$/.exec(type)?.[1] ?? ''
  return body
    .toString('latin1')
    .split(`--${boundary}`)
    .slice(1, -1)
    .map(part => {
      const head = part.slice(2, part.indexOf('\r\n\r\n'))
      const lines = head.split('\r\n')
      const disp = lines.find(l => l.toLowerCase().startsWith('content-disposition:')) ?? ''
      const filename = dispositionParams(disp).filename
      return {
        headers: lines.map(l => l.slice(0, l.indexOf(':')).toLowerCase()),
        ...(filename !== undefined ? { filename: Buffer.from(filename, 'latin1').toString() } : {}),
      }
    })
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const [, site = '', ...rest] = (req.url ?? '').split('/')
  const path = `/${rest
    .join('/')
    .replace(/^api\/v4/, '')
    .replace(/^\//, '')}`.split('?')[0]
  if (path === '/system/ping') {
    if (site === 'pinghtml') {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<html><body>Login to SSO</body></html>')
    } else if (site === 'pingarr') json(res, 200, [1, 2, 3])
    else if (site === 'pingnostatus') json(res, 200, { version: '10' })
    else json(res, 200, { status: 'OK' })
    return
  }
  const n = (hits.get(site) ?? 0) + 1
  hits.set(site, n)
  switch (site) {
    case 'big':
      return pour(site, res, 200 * MB, {})
    case 'bigcl':
      // Announces 200 MB; the client must give up on the header alone.
      return pour(site, res, 200 * MB, { 'content-length': String(200 * MB) })
    case 'drip':
      return drip(site, res)
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end('<!doctype html><html><body>Login</body></html>')
      return
    case 'badjson':
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"id": "abc", ')
      return
    case 'empty':
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end()
      return
    case 'jsonarr':
      return json(res, 200, [1, 2, 3])
    case 'r301':
    case 'r302':
    case 'r307':
      res.writeHead(Number(site.slice(1)), {
        location: `${otherUrl}/x/api/v4${path}`,
        'content-type': 'application/json',
      })
      res.end('{"id":"redirect-body"}')
      return
    case 'echo401':
    case 'echo500': {
      const auth = req.headers.authorization ?? ''
      const tok = auth.replace(/^Bearer /, '')
      json(
        res,
        site === 'echo401' ? 401 : 500,
        {
          id: 'api.context.invalid_token.error',
          message: `Invalid session token=${tok}, err=${auth}`,
          status_code: 401,
        },
        { 'x-request-id': `req-${tok}` },
      )
      return
    }
    case 'files': {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const parts = multipart(Buffer.concat(chunks), req.headers['content-type'] ?? '')
        json(res, 201, {
          file_infos: parts
            .filter(p => p.filename !== undefined)
            .map(p => ({ id: 'f', name: p.filename, part_headers: p.headers })),
        })
      })
      return
    }
    default:
      if (site.startsWith('ra') || site.startsWith('reset')) {
        // A 429 with the value in the site name ("ra-5", "reset1e10"); "once" sites then answer 200.
        const once = site.endsWith('-once')
        const value = site.replace(/-once$/, '').replace(/^(ra|reset)/, '')
        if (once && n > 1) return json(res, 200, { id: 'me' })
        const header = site.startsWith('ra') ? 'retry-after' : 'x-ratelimit-reset'
        return json(res, 429, { id: 'api.context.rate_limit', message: 'slow down' }, { [header]: value })
      }
      json(res, 404, { id: 'api.context.404.app_error', message: 'nope' })
  }
}

beforeAll(async () => {
  server = createServer(handle)
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  other = createServer((req, res) => {
    otherSaw.push(req.headers.authorization)
    json(res, 200, { id: 'other-origin' })
  })
  await new Promise<void>(r => other.listen(0, '127.0.0.1', r))
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  other.closeAllConnections()
  await new Promise(r => server.close(r))
  await new Promise(r => other.close(r))
})

/** A logger that keeps its warn lines. */
function recorder(): Logger & { warns: unknown[] } {
  const warns: unknown[] = []
  const noop = (): void => {}
  const l = {
    warns,
    trace: noop,
    debug: noop,
    info: noop,
    warn: (obj: unknown) => void warns.push(obj),
    error: noop,
    fatal: noop,
    child: () => l,
  }
  return l as unknown as Logger & { warns: unknown[] }
}

describe.each(['node', 'undici', 'auto'] as const)('hostile server, http: %s', http => {
  const client = (site: string, extra: Partial<ClientOptions> = {}): Client =>
    new Client({ url: `${base}/${site}`, token: TOKEN, http, retry: false, ...extra })

  async function rejection(p: Promise<unknown>): Promise<Error> {
    try {
      await p
    } catch (err) {
      return err as Error
    }
    throw new Error('expected a rejection')
  }

  it('a 200 MB chunked body past maxResponseBytes: ResponseTooLargeError, and the connection is closed early', async () => {
    const c = client('big', { maxResponseBytes: MB })
    try {
      const err = await rejection(c.users.me())
      expect(err).toBeInstanceOf(ResponseTooLargeError)
      expect(err).toMatchObject({ code: 'MK_ERR_RESPONSE_TOO_LARGE', method: 'GET', path: '/users/me' })
      expect(err.message).toContain(String(MB))
      expect(err.message).toContain('maxResponseBytes')
      const seen = await sent.get('big')
      expect(seen?.closedEarly).toBe(true)
      expect(seen?.bytes).toBeLessThan(50 * MB)
    } finally {
      await c.close()
    }
  })

  it('a Content-Length above maxResponseBytes fails on the header, before the body', async () => {
    const c = client('bigcl', { maxResponseBytes: MB })
    try {
      expect(await rejection(c.request('GET', '/users/me'))).toBeInstanceOf(ResponseTooLargeError)
      const seen = await sent.get('bigcl')
      expect(seen?.closedEarly).toBe(true)
      expect(seen?.bytes).toBeLessThan(50 * MB)
    } finally {
      await c.close()
    }
  })

  it('timeoutMs is a deadline: a body dripping 1 byte / 100 ms times out', async () => {
    const c = client('drip', { timeoutMs: 500 })
    try {
      const err = await rejection(c.request('GET', '/users/me'))
      expect(err).toBeInstanceOf(TimeoutError)
      expect((await sent.get('drip'))?.closedEarly).toBe(true)
    } finally {
      await c.close()
    }
  })

  it.each([
    ['html', NotMattermostError, 'HTML page'],
    ['badjson', ProtocolError, 'not valid JSON'],
    ['empty', ProtocolError, 'empty body'],
  ] as const)('a 200 answering %s where JSON is expected is a typed error', async (site, type, text) => {
    const c = client(site)
    try {
      const err = await rejection(c.users.me())
      expect(err).toBeInstanceOf(type)
      expect(err.message).toContain('200')
      expect(err.message).toContain(text)
      // the raw escape hatch too, unless the caller asks for text
      expect(await rejection(c.request('GET', '/users/me'))).toBeInstanceOf(type)
      if (site !== 'empty')
        expect(await c.request('GET', '/users/me', { responseType: 'text' })).toMatch(/^[<{]/)
    } finally {
      await c.close()
    }
  })

  it.each(['r301', 'r302', 'r307'])(
    'a redirect (%s) is a NotMattermostError, never followed with the token',
    async site => {
      const c = client(site)
      try {
        const err = await rejection(c.users.me())
        expect(err).toBeInstanceOf(NotMattermostError)
        expect(err.message).toContain(site.slice(1))
        expect(err.message).toContain('redirect')
        expect(await rejection(c.files.download('f1'))).toBeInstanceOf(NotMattermostError)
        expect(otherSaw).toEqual([])
      } finally {
        await c.close()
      }
    },
  )

  it('system.ping() checks it got Mattermost’s ping object', async () => {
    for (const site of ['pinghtml', 'pingarr', 'pingnostatus']) {
      const c = client(site)
      try {
        expect(await rejection(c.system.ping())).toBeInstanceOf(NotMattermostError)
      } finally {
        await c.close()
      }
    }
    const ok = client('jsonarr')
    try {
      expect(await ok.system.ping()).toEqual({ status: 'OK' })
      // The JSON's shape is not checked per endpoint (documented): a list stays a list.
      expect(await ok.request('GET', '/users/me')).toEqual([1, 2, 3])
    } finally {
      await ok.close()
    }
  })

  it.each(['echo401', 'echo500'])(
    'a server message echoing the token (%s) is redacted in message, stack, inspect and JSON',
    async site => {
      const c = client(site)
      try {
        const err = await rejection(c.users.me())
        expect(err).toBeInstanceOf(site === 'echo401' ? AuthError : ServerError)
        expect(err.message).toContain('Invalid session token=')
        for (const text of [err.message, err.stack ?? '', inspect(err), JSON.stringify(err)])
          expect(text).not.toContain(TOKEN)
      } finally {
        await c.close()
      }
    },
  )

  it.each([
    ['ra999999-once', 'a huge Retry-After is capped'],
    ['reset999999-once', 'a huge X-RateLimit-Reset is capped'],
  ])('429 %s: %s, logged at warn, and the call goes on', async site => {
    hits.delete(site)
    const logger = recorder()
    const c = client(site, {
      logger,
      retry: { retries: 3, minDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 50 },
    })
    const waits: number[] = []
    c.on('rateLimited', info => void waits.push(info.retryAfterMs))
    try {
      await expect(c.request('GET', '/users/me')).resolves.toEqual({ id: 'me' })
      expect(hits.get(site)).toBe(2)
      expect(waits).toEqual([50])
      expect(logger.warns.some(w => (w as { waitMs?: number }).waitMs === 50)).toBe(true)
    } finally {
      await c.close()
    }
  })

  it.each(['ra1e10', 'reset1e10', 'ra999999'])(
    '429 %s with onRateLimit throw: the wait reported is the cap',
    async site => {
      const c = client(site, {
        onRateLimit: 'throw',
        retry: { retries: 3, minDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 50 },
      })
      try {
        const err = await rejection(c.request('GET', `/users/${http}`))
        expect(err).toBeInstanceOf(RateLimitedError)
        expect((err as RateLimitedError).retryAfterMs).toBe(50)
      } finally {
        await c.close()
      }
    },
  )

  it.each(['ra-5', 'ra0', 'ragarbage', 'resetgarbage', 'reset-3'])(
    '429 %s: the normal backoff, a bounded number of requests, never a burst of zero waits',
    async site => {
      const key = site
      hits.delete(key)
      const c = client(site, { retry: { retries: 3, minDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 50 } })
      const waits: number[] = []
      c.on('rateLimited', info => void waits.push(info.retryAfterMs))
      try {
        expect(await rejection(c.request('GET', '/users/me'))).toBeInstanceOf(RateLimitedError)
        // 'wait' retries a 429 up to 30 times: 31 requests, each after a backoff wait
        expect(hits.get(key)).toBe(31)
        expect(waits).toHaveLength(31)
        for (const w of waits) {
          expect(w).toBeGreaterThan(0)
          expect(w).toBeLessThanOrEqual(4)
        }
      } finally {
        hits.delete(key)
        await c.close()
      }
    },
  )

  it('multipart file names are escaped: quotes and backslashes survive, CR/LF cannot inject a header', async () => {
    const c = client('files')
    try {
      const infos = (await c.files.upload('chan', [
        { name: 'evil"name\r\nX-Injected: 1.txt', data: Buffer.from('a') },
        { name: 'trailing\\', data: Buffer.from('b') },
        { name: 'résumé "final".pdf', data: Buffer.from('c') },
      ])) as unknown as Array<{ name: string; part_headers: string[] }>
      expect(infos.map(i => i.name)).toEqual([
        'evil"name%0D%0AX-Injected: 1.txt',
        'trailing\\',
        'résumé "final".pdf',
      ])
      for (const i of infos) expect(i.part_headers).toEqual(['content-disposition', 'content-type'])
    } finally {
      await c.close()
    }
  })
})
