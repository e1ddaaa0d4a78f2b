/**
 * Framework adapters. The request/response shapes are declared structurally here, so no web
 * framework is a dependency of matterkit. Each adapter only moves bytes between the framework
 * and {@link Receiver.process}.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readWebBody, TOO_LARGE } from './parse.js'
import type { Receiver, ReceiverResponse } from './receiver-types.js'

/**
 * A plain `node:http` handler.
 *
 * @example
 * ```ts
 * http.createServer(nodeHandler(receiver)).listen(3000)
 * ```
 */
export function nodeHandler(receiver: Receiver): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => void receiver.handle(req, res)
}

function write(res: ServerResponse, out: ReceiverResponse): void {
  if (res.headersSent) return
  res.writeHead(out.status, { ...out.headers, 'content-length': String(Buffer.byteLength(out.body)) })
  res.end(out.body)
}

/**
 * The parts of an Express request the adapter uses (an Express request is an `IncomingMessage`).
 *
 * @example
 * ```ts
 * const req: ExpressLikeRequest = expressReq
 * ```
 */
export interface ExpressLikeRequest extends IncomingMessage {
  /** Set by a body parser (`express.json()`, `express.urlencoded()`, `express.raw()`, `express.text()`). */
  body?: unknown
  /** The full URL when the middleware is mounted under a prefix. */
  originalUrl?: string
  /** Set by `body-parser` when it consumed the stream. */
  _body?: boolean
}

/**
 * The parts of an Express response the adapter uses (an Express response is a `ServerResponse`).
 *
 * @example
 * ```ts
 * const res: ExpressLikeResponse = expressRes
 * ```
 */
export type ExpressLikeResponse = ServerResponse

/**
 * Express (or Connect) middleware serving `{receiver.path}/*`; other paths go to `next()`. Works
 * with or without a body parser in front: if one consumed the body, its result is used, otherwise
 * the raw stream is read (with the receiver's size limit).
 *
 * @example
 * ```ts
 * app.use(expressAdapter(receiver))             // before or after express.json() — both work
 * ```
 */
export function expressAdapter(
  receiver: Receiver,
): (req: ExpressLikeRequest, res: ExpressLikeResponse, next: (err?: unknown) => void) => void {
  return (req, res, next) => {
    const full = req.originalUrl ?? req.url ?? '/'
    const url = full.startsWith(`${receiver.path}/`) ? full : (req.url ?? '/')
    if (!url.startsWith(`${receiver.path}/`)) return next()
    const consumed = req._body === true || req.readableEnded
    if (!consumed) {
      req.url = url
      void receiver.handle(req, res)
      return
    }
    const b = req.body
    const body =
      typeof b === 'string' || Buffer.isBuffer(b)
        ? b
        : b !== null && typeof b === 'object'
          ? (b as Record<string, unknown>)
          : undefined
    receiver
      .process({ method: req.method ?? 'GET', url, headers: req.headers, body })
      .then(out => write(res, out), next)
  }
}

/**
 * The parts of a Fastify request the adapter uses.
 *
 * @example
 * ```ts
 * const req: FastifyLikeRequest = fastifyRequest
 * ```
 */
export interface FastifyLikeRequest {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  body?: unknown
}

/**
 * The parts of a Fastify reply the adapter uses.
 *
 * @example
 * ```ts
 * const reply: FastifyLikeReply = fastifyReply
 * ```
 */
export interface FastifyLikeReply {
  code(status: number): FastifyLikeReply
  headers(h: Record<string, string>): FastifyLikeReply
  send(body: string): unknown
}

/**
 * The parts of a Fastify instance the plugin form uses.
 *
 * @example
 * ```ts
 * const app: FastifyLikeInstance = Fastify()
 * ```
 */
export interface FastifyLikeInstance {
  addContentTypeParser(
    type: string,
    opts: { parseAs: 'buffer'; bodyLimit?: number },
    parser: (req: unknown, body: Buffer, done: (err: Error | null, body?: unknown) => void) => void,
  ): unknown
  removeAllContentTypeParsers?(): unknown
  route(opts: {
    method: string[]
    url: string
    bodyLimit?: number
    handler: (req: FastifyLikeRequest, reply: FastifyLikeReply) => Promise<void>
  }): unknown
}

/**
 * A Fastify plugin that is also a route handler (see {@link fastifyAdapter}).
 *
 * @example
 * ```ts
 * const plugin: FastifyAdapter = fastifyAdapter(receiver)
 * ```
 */
export interface FastifyAdapter {
  /** Plugin form: `fastify.register(fastifyAdapter(receiver))`. */
  (instance: FastifyLikeInstance, opts?: unknown): Promise<void>
  /** Route-handler form: `fastify.all('/mattermost/*', fastifyAdapter(receiver))`. */
  (req: FastifyLikeRequest, reply: FastifyLikeReply): Promise<void>
}

const isInstance = (v: unknown): v is FastifyLikeInstance =>
  typeof (v as FastifyLikeInstance | undefined)?.addContentTypeParser === 'function' &&
  typeof (v as FastifyLikeInstance | undefined)?.route === 'function'

/**
 * Fastify integration, usable two ways:
 * - as a plugin, `fastify.register(fastifyAdapter(receiver))`: registers `{path}/*` in its own
 *   encapsulated scope, with raw-body parsers so forms and JSON reach the receiver untouched
 *   (your app's parsers are not changed);
 * - as a route handler, `fastify.all('/mattermost/*', fastifyAdapter(receiver))`: uses the body
 *   Fastify parsed — add `@fastify/formbody` (or a raw parser) for slash-command forms.
 *
 * @example
 * ```ts
 * await fastify.register(fastifyAdapter(receiver))
 * ```
 */
export function fastifyAdapter(receiver: Receiver): FastifyAdapter {
  const handler = async (req: FastifyLikeRequest, reply: FastifyLikeReply): Promise<void> => {
    const b = req.body
    const body =
      typeof b === 'string' || Buffer.isBuffer(b)
        ? b
        : b !== null && typeof b === 'object'
          ? (b as Record<string, unknown>)
          : undefined
    const out = await receiver.process({ method: req.method, url: req.url, headers: req.headers, body })
    reply.code(out.status).headers(out.headers).send(out.body)
  }
  const adapter = async (a: FastifyLikeInstance | FastifyLikeRequest, b?: unknown): Promise<void> => {
    if (!isInstance(a)) return handler(a, b as FastifyLikeReply)
    const raw = (_req: unknown, body: Buffer, done: (err: Error | null, body?: unknown) => void) =>
      done(null, body)
    if (typeof a.removeAllContentTypeParsers === 'function') {
      a.removeAllContentTypeParsers()
      a.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: receiver.bodyLimit }, raw)
    } else {
      a.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'buffer', bodyLimit: receiver.bodyLimit },
        raw,
      )
    }
    a.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url: `${receiver.path}/*`,
      bodyLimit: receiver.bodyLimit,
      handler,
    })
  }
  return adapter as FastifyAdapter
}

/**
 * The part of a Hono context the adapter uses: the raw `Request`, and Hono's cached body readers
 * (a middleware that ran `c.req.json()` / `parseBody()` has consumed the raw stream).
 *
 * @example
 * ```ts
 * const c: HonoLikeContext = honoContext
 * ```
 */
export interface HonoLikeContext {
  req: {
    raw: Request
    /** Hono's cache of bodies already read, by reader (`text`, `json`, `arrayBuffer`, `formData`…). */
    bodyCache?: Partial<Record<string, unknown>>
    arrayBuffer?(): Promise<ArrayBuffer>
    formData?(): Promise<FormData>
  }
}

/** The body a Hono middleware already read, from Hono's cache; `undefined` when nobody read it. */
async function honoCachedBody(req: HonoLikeContext['req']): Promise<Buffer | string | undefined> {
  const cache = req.bodyCache ?? {}
  const read = Object.keys(cache).filter(k => cache[k] !== undefined)
  if (!read.length && !req.raw.bodyUsed) return undefined
  // Re-serialising cached FormData would make multipart; Mattermost sends urlencoded forms.
  if (read.length === 1 && read[0] === 'formData' && req.formData) {
    const fields = new URLSearchParams()
    for (const [k, v] of await req.formData()) fields.append(k, typeof v === 'string' ? v : '')
    return fields.toString()
  }
  if (!req.arrayBuffer) return undefined
  return Buffer.from(await req.arrayBuffer())
}

/**
 * A Hono handler: `app.all('/mattermost/*', honoAdapter(receiver))`. It works under `basePath` or
 * `app.route(prefix, …)` (the receiver's path is found inside the URL), and after a middleware
 * has read the body (Hono's cached body is used).
 *
 * @example
 * ```ts
 * const app = new Hono().basePath('/bots')
 * app.all('/mattermost/*', honoAdapter(receiver))
 * ```
 */
export function honoAdapter(receiver: Receiver): (c: HonoLikeContext) => Promise<Response> {
  return async c => {
    const body = await honoCachedBody(c.req)
    return fetchResponse(receiver, c.req.raw, body, true)
  }
}

/**
 * A Fetch-API handler, `(Request) => Promise<Response>`, for Hono, Bun, Deno, workers and the
 * like. The body is read with the receiver's size limit.
 *
 * @example
 * ```ts
 * Bun.serve({ fetch: fetchHandler(receiver) })
 * ```
 */
export function fetchHandler(receiver: Receiver): (request: Request) => Promise<Response> {
  return request => fetchResponse(receiver, request, undefined, false)
}

/** Run a Fetch request through the receiver; `mounted`: the receiver's path may sit under a prefix. */
async function fetchResponse(
  receiver: Receiver,
  request: Request,
  read: Buffer | string | undefined,
  mounted: boolean,
): Promise<Response> {
  const u = new URL(request.url)
  const body =
    read ??
    (request.method === 'GET' || request.method === 'HEAD'
      ? Buffer.alloc(0)
      : await readWebBody(request.body, request.headers.get('content-length'), receiver.bodyLimit))
  if (body === TOO_LARGE)
    return new Response(
      JSON.stringify({ error: `The body is larger than the limit of ${receiver.bodyLimit} bytes.` }),
      { status: 413, headers: { 'content-type': 'application/json' } },
    )
  const headers: Record<string, string> = {}
  request.headers.forEach((v, k) => {
    headers[k] = v
  })
  let path = u.pathname
  const at = mounted ? path.lastIndexOf(`${receiver.path}/`) : -1
  if (at > 0) path = path.slice(at)
  const out = await receiver.process({ method: request.method, url: path + u.search, headers, body })
  return new Response(out.body === '' ? null : out.body, { status: out.status, headers: out.headers })
}
