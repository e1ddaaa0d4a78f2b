/**
 * Framework adapters. The request/response shapes are declared structurally here, so no web
 * framework is a dependency of matterkit.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Receiver, ReceiverResponse } from './receiver.js'

/** The parts of an Express request we use. */
export interface ExpressLikeRequest extends IncomingMessage {
  body?: unknown
  originalUrl?: string
}
/** The parts of an Express response we use. */
export type ExpressLikeResponse = ServerResponse

/** A plain `node:http` handler. */
export function nodeHandler(receiver: Receiver): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    receiver.handle(req, res).catch(() => res.destroy())
  }
}

function write(res: ServerResponse, out: ReceiverResponse): void {
  res.writeHead(out.status, { ...out.headers, 'content-length': Buffer.byteLength(out.body) })
  res.end(out.body)
}

/**
 * Express middleware (works with or without a body parser in front).
 *
 * @example
 * ```ts
 * app.use(expressAdapter(receiver))   // serves /mattermost/*
 * ```
 */
export function expressAdapter(
  receiver: Receiver,
): (req: ExpressLikeRequest, res: ExpressLikeResponse, next: (err?: unknown) => void) => void {
  return (req, res, next) => {
    const url = req.originalUrl ?? req.url ?? '/'
    if (!url.startsWith(`${receiver.path}/`)) return next()
    const parsed = req.body
    if (parsed !== undefined && (typeof parsed === 'object' || typeof parsed === 'string')) {
      receiver
        .process({
          method: req.method ?? 'GET',
          url,
          headers: req.headers,
          body: parsed as Record<string, unknown>,
        })
        .then(out => write(res, out), next)
      return
    }
    receiver.handle(Object.assign(req, { url }), res).catch(next)
  }
}

/** The parts of a Fastify request/reply we use. */
export interface FastifyLikeRequest {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  body?: unknown
}
/** The part of a Fastify reply the adapter uses. */
export interface FastifyLikeReply {
  code(status: number): FastifyLikeReply
  headers(h: Record<string, string>): FastifyLikeReply
  send(body: string): unknown
}

/**
 * A Fastify route handler: `fastify.all('/mattermost/*', fastifyAdapter(receiver))`.
 * Fastify parses JSON itself; add `@fastify/formbody` (or a raw parser) for slash-command forms.
 */
export function fastifyAdapter(
  receiver: Receiver,
): (req: FastifyLikeRequest, reply: FastifyLikeReply) => Promise<void> {
  return async (req, reply) => {
    const body = req.body as Record<string, unknown> | string | Buffer | undefined
    const out = await receiver.process({ method: req.method, url: req.url, headers: req.headers, body })
    reply.code(out.status).headers(out.headers).send(out.body)
  }
}

/** The part of a Hono context we use. */
export interface HonoLikeContext {
  req: { raw: Request }
}

/**
 * A Hono handler: `app.all('/mattermost/*', honoAdapter(receiver))`. Also usable with any
 * Fetch-API server (`fetchHandler(receiver)(request)`).
 */
export function honoAdapter(receiver: Receiver): (c: HonoLikeContext) => Promise<Response> {
  const f = fetchHandler(receiver)
  return c => f(c.req.raw)
}

/** A Fetch-API handler: `(Request) => Promise<Response>`. */
export function fetchHandler(receiver: Receiver): (request: Request) => Promise<Response> {
  return async request => {
    const u = new URL(request.url)
    const len = Number(request.headers.get('content-length') ?? 0)
    if (len > receiver.bodyLimit)
      return new Response(JSON.stringify({ error: 'Body too large.' }), { status: 413 })
    const body = request.method === 'GET' ? undefined : Buffer.from(await request.arrayBuffer())
    const headers: Record<string, string> = {}
    request.headers.forEach((v, k) => {
      headers[k] = v
    })
    const out = await receiver.process({ method: request.method, url: u.pathname + u.search, headers, body })
    return new Response(out.body, { status: out.status, headers: out.headers })
  }
}
