/**
 * The emulator's HTTP layer: routing, authentication, rate limiting, fault injection and the
 * shared helpers REST handlers use.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Hub } from './hub.js'
import type { Session, Store, StoredUser } from './store.js'
import { AppError, newId, readBody, sendError, sendJson } from './util.js'

/** Feature switches and limits, named as in Mattermost's config. */
export interface EmulatorConfig {
  EnableCommands: boolean
  EnableIncomingWebhooks: boolean
  EnableOutgoingWebhooks: boolean
  EnableUserAccessTokens: boolean
  EnableBotAccountCreation: boolean
  EnablePostUsernameOverride: boolean
  EnablePostIconOverride: boolean
  MaximumPayloadSizeBytes: number
  MaxFileSize: number
  SiteURL: string
}

/** One request as a handler sees it. */
export interface Ctx {
  req: IncomingMessage
  res: ServerResponse
  params: Record<string, string>
  query: URLSearchParams
  requestId: string
  session: Session | undefined
  /** The raw body (read lazily by `body()`/`json()`). */
  raw(limit?: number): Promise<Buffer>
  json<T = Record<string, unknown>>(): Promise<T>
  /** The authenticated user; throws 401 otherwise. */
  user(): StoredUser
}

/** What a handler returns: a JSON reply, or `undefined` when it wrote the response itself. */
export type Reply = { status?: number; body: unknown; headers?: Record<string, string> } | undefined
export type Handler = (ctx: Ctx) => Promise<Reply> | Reply

interface Route {
  method: string
  re: RegExp
  keys: string[]
  handler: Handler
}

export class App {
  private routes: Route[] = []
  /** Remaining forced failures: [count, status, pathRe, retryAfter]. */
  fail: { n: number; status: number; path?: RegExp; retryAfterSec: number } | undefined
  slowMs = 0
  rate: { perSecond: number; burst: number; tat: Map<string, number> } | undefined
  /** Called after every post created through the normal path (outgoing webhooks subscribe). */
  postCreated: Array<(post: import('../types/index.js').Post, user: StoredUser) => void> = []

  constructor(
    readonly store: Store,
    readonly hub: Hub,
    readonly config: EmulatorConfig,
  ) {}

  route(method: string, pattern: string, handler: Handler): void {
    const keys: string[] = []
    const re = new RegExp(
      `^${pattern.replace(/:([a-z_]+)/g, (_, k: string) => {
        keys.push(k)
        return '([^/]+)'
      })}/?$`,
    )
    this.routes.push({ method, re, keys, handler })
  }

  sessionFor(req: IncomingMessage): Session | undefined {
    const auth = req.headers.authorization
    let token: string | undefined
    const cookie = req.headers.cookie?.match(/(?:^|;\s*)MMAUTHTOKEN=([^;]+)/)?.[1]
    if (cookie) token = cookie
    else if (auth && auth.slice(0, 6).toLowerCase() === 'bearer') token = auth.slice(7)
    else if (auth && auth.slice(0, 5).toLowerCase() === 'token') token = auth.slice(6)
    return token ? this.store.sessions.get(token.trim()) : undefined
  }

  /** GCRA limiter as in throttled v2; returns headers and whether the request may pass. */
  private limit(key: string): { ok: boolean; headers: Record<string, string> } {
    const r = this.rate!
    const interval = 1000 / r.perSecond
    const tolerance = interval * r.burst
    const now = Date.now()
    const tat = Math.max(r.tat.get(key) ?? now, now)
    const newTat = tat + interval
    const allowAt = newTat - tolerance - interval
    const headers: Record<string, string> = { 'X-RateLimit-Limit': String(r.burst + 1) }
    if (now < allowAt) {
      headers['X-RateLimit-Remaining'] = '0'
      headers['X-RateLimit-Reset'] = String(Math.ceil((tat - now) / 1000))
      headers['Retry-After'] = String(Math.max(1, Math.ceil((allowAt - now) / 1000)))
      return { ok: false, headers }
    }
    r.tat.set(key, newTat)
    const remaining = Math.floor((now - (newTat - tolerance - interval)) / interval)
    headers['X-RateLimit-Remaining'] = String(Math.max(0, remaining))
    headers['X-RateLimit-Reset'] = String(Math.ceil((newTat - now) / 1000))
    return { ok: true, headers }
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newId()
    const url = new URL(req.url ?? '/', 'http://x')
    let extraHeaders: Record<string, string> = {}
    if (this.rate) {
      const session = this.sessionFor(req)
      const key = session?.token ?? req.socket.remoteAddress ?? ''
      const r = this.limit(key)
      extraHeaders = r.headers
      if (!r.ok) {
        req.resume()
        res.writeHead(429, { 'Content-Type': 'text/plain; charset=utf-8', ...r.headers })
        res.end('limit exceeded\n')
        return
      }
    }
    for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v)
    if (this.slowMs) await new Promise(r => setTimeout(r, this.slowMs))
    const f = this.fail
    if (f && f.n > 0 && (!f.path || f.path.test(url.pathname))) {
      f.n--
      req.resume()
      if (f.status === 429) {
        res.writeHead(429, {
          'Content-Type': 'text/plain; charset=utf-8',
          'Retry-After': String(f.retryAfterSec),
          'X-RateLimit-Limit': '101',
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': String(f.retryAfterSec),
        })
        res.end('limit exceeded\n')
      } else {
        sendError(res, new AppError(f.status, 'api.emulator.injected_fault', 'Injected fault.'), requestId)
      }
      return
    }
    const path = url.pathname.replace(/\/+$/, '') || '/'
    let matched: Route | undefined
    let m: RegExpExecArray | null = null
    let methodMismatch = false
    for (const r of this.routes) {
      const mm = r.re.exec(path)
      if (!mm) continue
      if (r.method !== req.method) {
        methodMismatch = true
        continue
      }
      matched = r
      m = mm
      break
    }
    try {
      if (!matched || !m) {
        req.resume()
        if (methodMismatch) throw new AppError(405, 'api.context.405.app_error', 'Method not allowed.')
        throw new AppError(404, 'api.context.404.app_error', 'Sorry, we could not find the page.')
      }
      const params: Record<string, string> = {}
      matched.keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m![i + 1]!)
      })
      const session = this.sessionFor(req)
      let rawBody: Buffer | undefined
      const store = this.store
      const config = this.config
      const ctx: Ctx = {
        req,
        res,
        params,
        query: url.searchParams,
        requestId,
        session,
        async raw(limit = config.MaximumPayloadSizeBytes) {
          rawBody ??= await readBody(req, limit)
          return rawBody
        },
        async json<T>() {
          const buf = await this.raw()
          try {
            return JSON.parse(buf.toString('utf8') || 'null') as T
          } catch {
            throw new AppError(
              400,
              'api.context.invalid_body_param.app_error',
              'Invalid or missing body in request body.',
            )
          }
        },
        user() {
          const u = session && store.users.get(session.userId)
          if (!u || u.delete_at) {
            throw new AppError(
              401,
              'api.context.session_expired.app_error',
              'Invalid or expired session, please login again.',
            )
          }
          return u
        },
      }
      const out = await matched.handler(ctx)
      if (out === undefined) return
      for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v)
      sendJson(res, out.status ?? 200, out.body, requestId)
    } catch (err) {
      req.resume()
      if (res.headersSent) return void res.end()
      if (err instanceof AppError) sendError(res, err, requestId)
      else
        sendError(
          res,
          new AppError(500, 'api.emulator.internal', `Internal error: ${(err as Error).message}`),
          requestId,
        )
    }
  }
}
