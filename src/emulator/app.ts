/**
 * The emulator's HTTP layer: routing, authentication, rate limiting, fault injection and the
 * shared helpers REST handlers use. See docs/emulator-internals.md.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Post } from '../types/index.js'
import { sessionForToken } from './auth.js'
import { decodeJson, fitsShape, type Shape } from './decode.js'
import { AppError, badParam, forbidden } from './errors.js'
import { readBody, sendError, sendJson } from './http.js'
import type { Hub } from './hub.js'
import { newId } from './ids.js'
import { isSystemAdmin } from './permissions.js'
import type { Store } from './store.js'
import type { Session, StoredUser } from './store-types.js'

/** A `%` not followed by two hex digits (in the path: Go checks the query only when it is parsed). */
const BAD_ESCAPE = /%(?![0-9a-fA-F]{2})/

/**
 * Feature switches and limits, named and defaulted as in Mattermost's config (except where noted).
 *
 * @example
 * ```ts
 * const emu = await startEmulator({ config: { EnableUserAccessTokens: true } })
 * emu.config.EnableCommands = false // later calls to /commands answer 501
 * ```
 */
export interface EmulatorConfig {
  /** Slash commands (default true). */
  EnableCommands: boolean
  /**
   * Only team and system admins manage slash commands and webhooks (default true, as a fresh
   * server's roles; false gives team members their own, as `EnableOnlyAdminIntegrations: false`).
   */
  EnableOnlyAdminIntegrations: boolean
  /** Incoming webhooks (default true). */
  EnableIncomingWebhooks: boolean
  /** Outgoing webhooks (default true). */
  EnableOutgoingWebhooks: boolean
  /** Personal access tokens for humans (default false; bots are exempt). */
  EnableUserAccessTokens: boolean
  /** `POST /bots` (default false → 403). */
  EnableBotAccountCreation: boolean
  /**
   * Seconds after its creation a post's message may still be edited (`ServiceSettings.PostEditTimeLimit`;
   * default -1, no limit, as the server). Props-only edits are not limited.
   */
  PostEditTimeLimit: number
  /** Honour `override_username` from integrations (real default false; the emulator defaults to true). */
  EnablePostUsernameOverride: boolean
  /** Honour `override_icon_url` from integrations (real default false; the emulator defaults to true). */
  EnablePostIconOverride: boolean
  /** File uploads (default true; false → 403). */
  EnableFileAttachments: boolean
  /** Custom emoji endpoints (default true). */
  EnableCustomEmoji: boolean
  /** Fill `detailed_error` in AppErrors (default false: always `""`). */
  EnableDeveloper: boolean
  /** Body limit for API requests (default 300000). */
  MaximumPayloadSizeBytes: number
  /** Upload limit per file (default 104857600). */
  MaxFileSize: number
  /** Public URL (default the emulator's own URL). */
  SiteURL: string
  /** `DELETE /posts/{id}?permanent=true` for system admins (default false → 501). */
  EnableAPIPostDeletion?: boolean
  /** `GET /files/{id}/link` and the public file URL (default false → 501). */
  EnablePublicLink?: boolean
}

/** One request as a handler sees it. */
export interface Ctx {
  req: IncomingMessage
  res: ServerResponse
  params: Record<string, string>
  query: URLSearchParams
  requestId: string
  /** The session of the token in the request, if it is valid. */
  session: Session | undefined
  /** The raw body (read once, up to `limit`, default `MaximumPayloadSizeBytes`, else 413). */
  raw(limit?: number): Promise<Buffer>
  /** The body parsed as JSON; 400 `api.context.invalid_body_param.app_error` when it is not JSON. */
  /**
   * The body decoded as the server's Go decoder would (decode.ts); with a `shape`, a field of
   * the wrong type is the 400 `invalid_body_param` for `param`, as decoding into a model fails.
   */
  json<T = Record<string, unknown>>(shape?: Shape, param?: string): Promise<T>
  /** The authenticated user; throws 401 `api.context.session_expired.app_error` otherwise. */
  user(): StoredUser
}

/** What a handler returns: a JSON reply, or `undefined` when it wrote the response itself. */
export type Reply = { status?: number; body: unknown; headers?: Record<string, string> } | undefined
/** A route handler. Throw `AppError` for error replies. */
export type Handler = (ctx: Ctx) => Promise<Reply> | Reply

interface Route {
  method: string
  re: RegExp
  keys: string[]
  handler: Handler
}

/**
 * Rate limiting options (Mattermost's `RateLimitSettings`: `PerSec`, `MaxBurst`, `VaryByUser`).
 *
 * @example
 * ```ts
 * const emu = await startEmulator({ rateLimit: { perSecond: 10, burst: 100 } })
 * ```
 */
export interface RateLimitOptions {
  perSecond: number
  burst: number
  /** Key by token instead of by client address (default false, as on the real server). */
  varyByUser?: boolean
}

/** The headers of a 429 as Go's `http.Error` writes them (the rate limiter's `limit exceeded`). */
export const TOO_MANY = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }

/** `{"status":"OK"}`, the reply of successful action endpoints. */
export const OK: Reply = { body: { status: 'OK' } }

/** The authenticated user or 401 (alias of `ctx.user()`). */
export function requireSession(ctx: Ctx): StoredUser {
  return ctx.user()
}

/** 403 unless the caller is a system admin. */
export function requireSystemAdmin(ctx: Ctx): StoredUser {
  const u = ctx.user()
  if (!isSystemAdmin(u)) throw forbidden()
  return u
}

/** 403 unless the caller is a member of the channel (or a system admin). */
export function requireChannelMember(app: App, ctx: Ctx, channelId: string): StoredUser {
  const u = ctx.user()
  if (!app.store.isChannelMember(channelId, u.id) && !isSystemAdmin(u)) throw forbidden()
  return u
}

/** 403 unless the caller is a member of the team (or a system admin). */
export function requireTeamMember(app: App, ctx: Ctx, teamId: string): StoredUser {
  const u = ctx.user()
  if (!app.store.isTeamMember(teamId, u.id) && !isSystemAdmin(u)) throw forbidden()
  return u
}

interface Pending {
  state: 'pending' | 'done'
  postId?: string
  at: number
}

export class App {
  private routes: Route[] = []
  /** Paths of routes without `:params` (e.g. `/api/v4/posts`), whose lookups are memoised. */
  private staticPaths = new Set<string>()
  /** `METHOD path` → the route the ordered scan finds for it (static paths only: no params to capture). */
  private staticHits = new Map<string, { route: Route | undefined; methodMismatch: boolean }>()
  /** Remaining forced failures. */
  fail: { n: number; status: number; path?: RegExp; retryAfterSec: number } | undefined
  slowMs = 0
  rate: (RateLimitOptions & { tat: Map<string, number> }) | undefined
  /** Called after every post created through the normal path (outgoing webhooks subscribe). */
  postCreated: Array<(post: Post, user: StoredUser) => void> = []
  /** Steps run on every ephemeral post before delivery (the integrations add action cookies). */
  ephemeralPreparers: Array<(app: App, post: Post) => Post> = []
  /** The server-wide `pending_post_id` cache (§3.1). */
  pendingPosts = new Map<string, Pending>()
  log: (line: string) => void = () => {}

  constructor(
    readonly store: Store,
    readonly hub: Hub,
    readonly config: EmulatorConfig,
  ) {}

  /** Register a route. `:name` segments become `ctx.params.name`. First match wins. */
  route(method: string, pattern: string, handler: Handler): void {
    const keys: string[] = []
    const re = new RegExp(
      `^${pattern.replace(/:([a-z_]+)/g, (_, k: string) => {
        keys.push(k)
        return '([^/]+)'
      })}/?$`,
    )
    this.routes.push({ method, re, keys, handler })
    if (!keys.length) this.staticPaths.add(pattern.replace(/\/+$/, '') || '/')
    this.staticHits.clear()
  }

  /** Resolve the request's token (cookie, then `Bearer`, then `Token`) to a session. */
  sessionFor(req: IncomingMessage): Session | undefined {
    return sessionForToken(this.store, tokenOf(req))
  }

  /** GCRA limiter as in throttled v2; returns headers and whether the request may pass. */
  limit(key: string): { ok: boolean; headers: Record<string, string> } {
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

  /** Rate-limit check for any request (API, hooks, WebSocket upgrade); false when limited. */
  checkRate(
    req: IncomingMessage,
    res: ServerResponse | undefined,
  ): { ok: boolean; headers: Record<string, string> } {
    if (!this.rate) return { ok: true, headers: {} }
    const token = this.rate.varyByUser ? tokenOf(req) : undefined
    const r = this.limit(token ? `t:${token}` : `a:${req.socket.remoteAddress ?? ''}`)
    if (!r.ok && res) {
      req.resume()
      res.writeHead(429, { ...TOO_MANY, ...r.headers })
      res.end('limit exceeded\n')
    }
    return r
  }

  private reply(res: ServerResponse, err: AppError, requestId: string): void {
    sendError(res, err, requestId, this.config.EnableDeveloper)
  }

  /** Whether `log` receives one line per request (set when a `log` option is given). */
  logRequests = false
  /**
   * With `persist`: undefined when every change is on disk, else a promise settled once it is.
   * A success reply waits for it, so a 2xx is never lost to a crash (persist.ts).
   */
  durable: () => Promise<void> | undefined = () => undefined

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newId()
    // Go's net/http refuses a request-target with a broken %-escape before any handler runs
    // (url.ParseRequestURI in server.go readRequest): a plain-text 400, and the connection closes.
    if (BAD_ESCAPE.test((req.url ?? '').split('?')[0]!)) {
      req.resume()
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' })
      res.end('400 Bad Request')
      return
    }
    const url = new URL(req.url ?? '/', 'http://x')
    if (this.logRequests) {
      const t0 = Date.now()
      // The path only: query strings may carry secrets (access_token).
      res.once('finish', () =>
        this.log(`${req.method} ${url.pathname} ${res.statusCode} ${Date.now() - t0}ms`),
      )
    }
    const rl = this.checkRate(req, res)
    if (!rl.ok) return
    for (const [k, v] of Object.entries(rl.headers)) res.setHeader(k, v)
    if (this.slowMs) await new Promise(r => setTimeout(r, this.slowMs))
    const f = this.fail
    if (f && f.n > 0 && (!f.path || f.path.test(url.pathname))) {
      f.n--
      req.resume()
      if (f.status === 429) {
        res.writeHead(429, {
          ...TOO_MANY,
          'Retry-After': String(f.retryAfterSec),
          'X-RateLimit-Limit': '101',
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': String(f.retryAfterSec),
        })
        res.end('limit exceeded\n')
      } else {
        const id = f.status === 503 ? 'api.context.server_busy.app_error' : 'api.emulator.injected_fault'
        this.reply(res, new AppError(f.status, id, 'Injected fault.', 'emulator fault injection'), requestId)
      }
      return
    }
    const path = url.pathname.replace(/\/+$/, '') || '/'
    let matched: Route | undefined
    let m: RegExpExecArray | null = null
    let methodMismatch = false
    const hitKey = this.staticPaths.has(path) ? `${req.method} ${path}` : ''
    const hit = hitKey ? this.staticHits.get(hitKey) : undefined
    if (hit) {
      matched = hit.route
      methodMismatch = hit.methodMismatch
    } else {
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
      // Memoise only an answer with nothing to capture (a param route that matched first is scanned again).
      if (hitKey && !matched?.keys.length) this.staticHits.set(hitKey, { route: matched, methodMismatch })
    }
    try {
      if (!matched) {
        req.resume()
        if (methodMismatch) throw new AppError(405, 'api.context.405.app_error', 'Method not allowed.')
        throw new AppError(404, 'api.context.404.app_error', 'Sorry, we could not find the page.')
      }
      const params: Record<string, string> = {}
      matched.keys.forEach((k, i) => {
        // Well-formed escapes of bytes that are not UTF-8 match none of the server's
        // `[A-Za-z0-9]+` route patterns (api4/api.go), so they are a 404 there too.
        try {
          params[k] = decodeURIComponent(m?.[i + 1] ?? '')
        } catch {
          throw new AppError(404, 'api.context.404.app_error', 'Sorry, we could not find the page.')
        }
      })
      const session = this.sessionFor(req)
      const hadToken = !!tokenOf(req)
      // VaryByUser: a second limit keyed by the authenticated user (all of a user's tokens share it).
      if (this.rate?.varyByUser && session) {
        const u = this.limit(`u:${session.userId}`)
        if (!u.ok) {
          req.resume()
          res.writeHead(429, { ...TOO_MANY, ...u.headers })
          res.end('limit exceeded\n')
          return
        }
        for (const [k, v] of Object.entries(u.headers)) res.setHeader(k, v)
      }
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
        async json<T>(shape?: Shape, param = 'body') {
          const buf = await this.raw()
          const decoded = decodeJson(buf.toString('utf8') || 'null')
          if (!decoded)
            throw new AppError(
              400,
              'api.context.invalid_body_param.app_error',
              'Invalid or missing body in request body.',
            )
          // Decoding into the model struct fails on a field of the wrong type (api4 handlers).
          if (shape && !fitsShape(decoded.value, shape)) throw badParam(param)
          return decoded.value as T
        },
        user() {
          const u = session && store.users.get(session.userId)
          if (u && session && csrfFailed(req, session)) {
            throw new AppError(
              401,
              'api.context.session_expired.app_error',
              'Invalid or expired session, please login again.',
              'Appears to be a CSRF attempt',
            )
          }
          if (!u || u.delete_at) {
            throw new AppError(
              401,
              'api.context.session_expired.app_error',
              'Invalid or expired session, please login again.',
              hadToken ? 'token invalid, expired or revoked' : 'no token in request',
            )
          }
          return u
        },
      }
      const out = await matched.handler(ctx)
      if (out === undefined) return
      // a failed write throws: the catch below answers 500, never the success
      const written = this.durable()
      if (written) await written
      for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v)
      sendJson(res, out.status ?? 200, out.body, requestId)
    } catch (err) {
      req.resume()
      if (res.headersSent) return void res.end()
      if (err instanceof AppError) this.reply(res, err, requestId)
      else {
        this.log(`emulator: internal error on ${req.method} ${path}: ${(err as Error).stack}`)
        this.reply(
          res,
          new AppError(500, 'api.emulator.internal', 'Internal error.', (err as Error).message),
          requestId,
        )
      }
    }
  }
}

/** The token of a request, if any (cookie first, then `Authorization: Bearer|Token`). */
export function tokenOf(req: IncomingMessage): string | undefined {
  const cookie = req.headers.cookie?.match(/(?:^|;\s*)MMAUTHTOKEN=([^;]+)/)?.[1]
  if (cookie) return cookie
  const auth = req.headers.authorization
  if (auth && auth.slice(0, 6).toLowerCase() === 'bearer') return auth.slice(7).trim() || undefined
  if (auth && auth.slice(0, 5).toLowerCase() === 'token') return auth.slice(6).trim() || undefined
  return undefined
}

/**
 * The CSRF rule for cookie-authenticated, non-GET requests: `X-CSRF-Token` must equal the
 * session's `MMCSRF`, or `X-Requested-With: XMLHttpRequest` must be present.
 */
export function csrfFailed(req: IncomingMessage, session: Session): boolean {
  if (req.method === 'GET' || !/(?:^|;\s*)MMAUTHTOKEN=/.test(req.headers.cookie ?? '')) return false
  if (session.csrf && req.headers['x-csrf-token'] === session.csrf) return false
  return req.headers['x-requested-with'] !== 'XMLHttpRequest'
}

function page(ctx: Ctx): { page: number; perPage: number } {
  const p = Number(ctx.query.get('page') ?? 0)
  let perPage = Number(ctx.query.get('per_page') ?? 60)
  if (!Number.isFinite(perPage) || perPage <= 0) perPage = 60
  return {
    page: Number.isFinite(p) && p > 0 ? Math.floor(p) : 0,
    perPage: Math.min(200, Math.floor(perPage)),
  }
}

/** Slice a list by page/per_page. */
export function paginate<T>(ctx: Ctx, items: T[]): T[] {
  const { page: p, perPage } = page(ctx)
  return items.slice(p * perPage, p * perPage + perPage)
}
