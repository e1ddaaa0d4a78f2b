/**
 * Adapters over real sockets. Express, Fastify and Hono are not installed (and must not be
 * dependencies), so:
 * - Express: the middleware runs on a real `node:http` server with the real IncomingMessage /
 *   ServerResponse (what Express hands to middleware), with and without a body parser's effects;
 * - Fastify: a small shim that follows Fastify's plugin contract (content-type parsers with
 *   `parseAs: 'buffer'`, `route()`, `reply.code().headers().send()`);
 * - Hono: a real Fetch `Request` built from each real HTTP request (as @hono/node-server does).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createReceiver,
  expressAdapter,
  type FastifyLikeInstance,
  type FastifyLikeReply,
  type FastifyLikeRequest,
  fastifyAdapter,
  honoAdapter,
  type ReceiverEvent,
  signActionContext,
} from '../../src/index.js'
import { chunkedStatus, commandFields, form, postCommand, postJson, SECRET, TOKEN } from './helpers.js'

const events: ReceiverEvent[] = []
const receiver = createReceiver({
  commandTokens: [TOKEN],
  signingSecret: SECRET,
  bodyLimit: 10_000,
  async dispatch(ev) {
    events.push(ev)
    if (ev.kind === 'command') return { text: `ran ${ev.payload.command} ${ev.payload.text}` }
    if (ev.kind === 'action') return { ephemeral_text: `ctx ${JSON.stringify(ev.context)}` }
    return undefined
  },
})

const servers: Server[] = []
async function serve(fn: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer(fn)
  servers.push(s)
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
}
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections()
    await new Promise(r => s.close(r))
  }
})

const readAll = async (req: IncomingMessage): Promise<string> => {
  let b = ''
  for await (const c of req) b += c
  return b
}
const notNext = (res: ServerResponse) => () => res.writeHead(599).end('next called')
const signedAction = {
  user_id: 'u1',
  post_id: 'p1',
  context: { _mk: signActionContext('seven', { id: 7 }, SECRET) },
}

describe('expressAdapter', () => {
  const mw = expressAdapter(receiver)

  it('reads the raw stream when no body parser ran, and passes other paths to next()', async () => {
    const base = await serve((req, res) => mw(req, res, notNext(res)))
    const res = await postCommand(base)
    expect(await res.json()).toEqual({ text: 'ran /deploy prod' })
    expect((await fetch(`${base}/other`)).status).toBe(599)
  })

  it('uses the body a parser already consumed (urlencoded → object with arrays, json → object)', async () => {
    const base = await serve(async (req, res) => {
      const raw = await readAll(req)
      const type = req.headers['content-type'] ?? ''
      const r = req as IncomingMessage & { body?: unknown; _body?: boolean }
      r.body = type.startsWith('application/json')
        ? JSON.parse(raw)
        : Object.fromEntries(
            [...new URLSearchParams(raw).keys()].map(k => {
              const all = new URLSearchParams(raw).getAll(k)
              return [k, all.length > 1 ? all : all[0]]
            }),
          )
      r._body = true
      mw(r, res, notNext(res))
    })
    const res = await postCommand(base, { user_mentions: ['a', 'b'] })
    expect(await res.json()).toEqual({ text: 'ran /deploy prod' })
    const ev = events.at(-1)
    expect(ev?.kind === 'command' && ev.payload.user_mentions).toEqual(['a', 'b'])
    const act = await postJson(base, 'action', signedAction)
    expect(await act.json()).toEqual({ ephemeral_text: 'ctx {"id":7}' })
  })

  it('reads the stream when a JSON parser skipped a form body (Express 4 leaves req.body = {})', async () => {
    const base = await serve((req, res) => {
      ;(req as IncomingMessage & { body?: unknown }).body = {}
      mw(req, res, notNext(res))
    })
    expect(await (await postCommand(base)).json()).toEqual({ text: 'ran /deploy prod' })
  })

  it('works when mounted under a prefix (app.use("/mattermost", mw): req.url is stripped)', async () => {
    const base = await serve((req, res) => {
      const r = req as IncomingMessage & { originalUrl?: string }
      r.originalUrl = req.url
      r.url = req.url?.replace(/^\/mattermost/, '') ?? '/'
      mw(r, res, notNext(res))
    })
    expect(await (await postCommand(base)).json()).toEqual({ text: 'ran /deploy prod' })
  })

  it('keeps the size limit on the raw stream', async () => {
    const base = await serve((req, res) => mw(req, res, notNext(res)))
    expect(await chunkedStatus(base, '/mattermost/action', 'x'.repeat(11_000))).toBe(413)
  })
})

/** Just enough of Fastify's plugin contract to run the plugin form over a real socket. */
function fastifyShim() {
  type Parser = (req: unknown, body: Buffer, done: (err: Error | null, body?: unknown) => void) => void
  const parsers = new Map<string, Parser>()
  const routes: Array<{
    prefix: string
    handler: (req: FastifyLikeRequest, reply: FastifyLikeReply) => Promise<void>
  }> = []
  const instance: FastifyLikeInstance = {
    addContentTypeParser: (type, _opts, parser) => parsers.set(type, parser),
    removeAllContentTypeParsers: () => parsers.clear(),
    route: opts => routes.push({ prefix: opts.url.replace(/\*$/, ''), handler: opts.handler }),
  }
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const route = routes.find(r => req.url?.startsWith(r.prefix))
    if (!route) return void res.writeHead(404).end()
    const raw = Buffer.from(await readAll(req))
    const type = (req.headers['content-type'] ?? '').split(';')[0]!
    const parser = parsers.get(type) ?? parsers.get('*')
    let body: unknown
    if (raw.length) {
      if (!parser) return void res.writeHead(415).end('shim: no parser')
      body = await new Promise((resolve, reject) => parser(req, raw, (e, b) => (e ? reject(e) : resolve(b))))
    }
    let status = 200
    let headers: Record<string, string> = {}
    const reply: FastifyLikeReply = {
      code(s) {
        status = s
        return reply
      },
      headers(h) {
        headers = { ...headers, ...h }
        return reply
      },
      send: b => res.writeHead(status, headers).end(b),
    }
    await route.handler(
      { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body },
      reply,
    )
  }
  return { instance, handle }
}

describe('fastifyAdapter', () => {
  it('plugin form: registers {path}/* with raw parsers; forms, JSON and 4xx answers pass through', async () => {
    const shim = fastifyShim()
    await fastifyAdapter(receiver)(shim.instance)
    const base = await serve((req, res) => void shim.handle(req, res))
    expect(await (await postCommand(base)).json()).toEqual({ text: 'ran /deploy prod' })
    expect(await (await postJson(base, 'action', signedAction)).json()).toEqual({
      ephemeral_text: 'ctx {"id":7}',
    })
    const forged = await postCommand(base, { token: 'forged-forged-forged' }, 'forged-forged-forged')
    expect(forged.status).toBe(401)
    expect((await postJson(base, 'action', '{bad')).status).toBe(400)
  })

  it('route-handler form: uses the body Fastify parsed', async () => {
    const handler = fastifyAdapter(receiver)
    const base = await serve(async (req, res) => {
      const raw = await readAll(req)
      const body = (req.headers['content-type'] ?? '').startsWith('application/json') ? JSON.parse(raw) : raw
      let status = 0
      const reply: FastifyLikeReply = {
        code(s) {
          status = s
          return reply
        },
        headers: () => reply,
        send: b => res.writeHead(status).end(b),
      }
      await handler({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body }, reply)
    })
    expect(await (await postJson(base, 'action', signedAction)).json()).toEqual({
      ephemeral_text: 'ctx {"id":7}',
    })
    expect(await (await postCommand(base)).json()).toEqual({ text: 'ran /deploy prod' }) // raw string body
  })
})

describe('honoAdapter', () => {
  const handler = honoAdapter(receiver)
  /** Node request → Fetch Request → adapter → Fetch Response → node response. */
  const viaFetch = (req: IncomingMessage, res: ServerResponse) => {
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
    const headers = new Headers()
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v)
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
    } as RequestInit)
    void handler({ req: { raw: request } }).then(async response => {
      res.writeHead(response.status, Object.fromEntries(response.headers))
      res.end(Buffer.from(await response.arrayBuffer()))
    })
  }

  it('handles a form command, a GET command and a JSON action from real requests', async () => {
    const base = await serve(viaFetch)
    expect(await (await postCommand(base)).json()).toEqual({ text: 'ran /deploy prod' })
    const get = await fetch(`${base}/mattermost/command?${form(commandFields({ text: 'via-get' }))}`)
    expect(await get.json()).toEqual({ text: 'ran /deploy via-get' })
    expect(await (await postJson(base, 'action', signedAction)).json()).toEqual({
      ephemeral_text: 'ctx {"id":7}',
    })
    expect((await postCommand(base, {}, 'forged-forged-forged')).status).toBe(401)
  })

  it('enforces the body limit on a streamed (chunked) body', async () => {
    const base = await serve(viaFetch)
    expect(await chunkedStatus(base, '/mattermost/action', 'x'.repeat(11_000))).toBe(413)
  })
})

/** The part of Hono's app this test drives (hono is an optional dev tool here, not a dependency). */
interface HonoApp {
  basePath(path: string): HonoApp
  use(path: string, mw: (c: HonoMwContext, next: () => Promise<void>) => Promise<void>): HonoApp
  all(path: string, handler: ReturnType<typeof honoAdapter>): HonoApp
  fetch(request: Request): Response | Promise<Response>
}
interface HonoMwContext {
  req: { header(name: string): string | undefined; json(): Promise<unknown>; parseBody(): Promise<unknown> }
}
const honoModule = 'hono'
const hono = await import(/* @vite-ignore */ honoModule).then(
  m => m as { Hono: new () => HonoApp },
  () => undefined,
)

// Real Hono when it is installed (it is not a declared dependency; the lead may add it as a dev one).
describe.skipIf(!hono)('honoAdapter inside a real Hono app', () => {
  const Hono = hono?.Hono as new () => HonoApp
  const app = new Hono().basePath('/bots')
  // A logging/auth middleware that reads the body first, as apps do.
  app.use('*', async (c, next) => {
    const type = c.req.header('content-type') ?? ''
    if (type.includes('json')) await c.req.json()
    else if (type.includes('urlencoded')) await c.req.parseBody()
    await next()
  })
  app.all('/mattermost/*', honoAdapter(receiver))
  const bridge = (req: IncomingMessage, res: ServerResponse) => {
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
    const headers = new Headers()
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v)
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
    } as RequestInit)
    void Promise.resolve(app.fetch(request)).then(async response => {
      res.writeHead(response.status, Object.fromEntries(response.headers))
      res.end(Buffer.from(await response.arrayBuffer()))
    })
  }

  it('works under basePath after a middleware read the body (form command, JSON action)', async () => {
    const base = `${await serve(bridge)}/bots`
    const cmd = await postCommand(base)
    expect(cmd.status).toBe(200)
    expect(await cmd.json()).toEqual({ text: 'ran /deploy prod' })
    expect(await (await postJson(base, 'action', signedAction)).json()).toEqual({
      ephemeral_text: 'ctx {"id":7}',
    })
    expect((await postCommand(base, {}, 'forged-forged-forged')).status).toBe(401)
  })
})
