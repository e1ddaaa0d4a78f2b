/**
 * The request pipeline: keep-alive HTTP over a pluggable wire (`node:http` or undici, see
 * `wire.ts`), timeouts, a concurrency cap,
 * a client-wide pause on 429, a proactive limiter, bounded retries, error mapping, redacted
 * debug logging.
 * @module
 */
import type { Readable } from 'node:stream'
import { AbortError } from '../core/errors.js'
import { type Logger, silentLogger } from '../core/logger.js'
import { redactString } from '../core/redact.js'
import { backoffDelay, sleep } from '../core/time.js'
import type { ServerUrl } from '../core/url.js'
import {
  apiErrorFor,
  NetworkError,
  NotMattermostError,
  RateLimitedError,
  ResponseTooLargeError,
  TimeoutError,
} from './errors.js'
import { decodeSuccess, errorBody, excerpt, type ResponseType } from './response-body.js'
import { header, retryAfter } from './response-headers.js'
import {
  type HttpStack,
  isStream,
  TIMEOUT_CODES,
  type Wire,
  WireBodyError,
  type WireRequest,
  type WireResponse,
  type WireText,
} from './wire.js'
import { createWire } from './wire-auto.js'

/** Query values: `undefined` entries are skipped, arrays repeat the key. */
export type Query = Record<string, string | number | boolean | undefined | Array<string | number>>

/** Options of one request. */
export interface RequestOptions {
  query?: Query
  /** JSON-serialisable value, or raw bytes/stream (then set `contentType`). */
  body?: unknown
  contentType?: string
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Deadline for the whole request, body included (default: the client's `timeoutMs`). */
  timeoutMs?: number
  /**
   * How to read a success body (default `'json'`): it must be JSON, else the call throws
   * `NotMattermostError` (a redirect or an HTML page) or `ProtocolError` (empty or invalid JSON).
   * `'text'` hands back the body as a string, whatever its content type.
   */
  responseType?: ResponseType
  /** Safe to retry after a 5xx or a network error (default: GET/HEAD/PUT/DELETE). */
  idempotent?: boolean
  /** Skip the Authorization header. */
  anonymous?: boolean
}

/** A full response. */
export interface RawResponse<T = unknown> {
  status: number
  headers: Record<string, string | string[] | undefined>
  data: T
}

/** Retry policy. */
export interface RetryOptions {
  /** Attempts after the first (default 5). */
  retries?: number
  minDelayMs?: number
  maxDelayMs?: number
  /**
   * Longest wait a 429's `Retry-After`/`X-RateLimit-Reset` can impose (default 300 000 ms): a
   * larger value is cut to this and logged at warn. A zero, negative or unreadable value uses the
   * backoff (`minDelayMs`…`maxDelayMs`) instead.
   */
  maxRetryAfterMs?: number
}

/** Emitted when the server rate-limits the client. */
export interface RateLimitInfo {
  method: string
  path: string
  retryAfterMs: number
  attempt: number
}

export interface TransportOptions {
  url: ServerUrl
  getToken(): string | undefined
  timeoutMs: number
  /** Largest body read whole, in bytes (0: no limit). */
  maxResponseBytes: number
  maxConcurrency: number
  retry: Required<RetryOptions> | false
  onRateLimit: 'wait' | 'throw'
  tls: { ca?: string | Buffer; rejectUnauthorized: boolean }
  userAgent: string
  logger: Logger
  verifyServer: boolean
  onRateLimited(info: RateLimitInfo): void
  http: HttpStack
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])

/** The backoff and the cap a 429 uses when retries are turned off. */
export const RATE_LIMIT_DEFAULTS = { minDelayMs: 250, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 }
/** setTimeout's largest delay (a larger one fires at once, with a warning). */
const MAX_TIMER_MS = 2_147_483_647

/** Build `path?query` with values encoded. */
export function buildPath(path: string, query?: Query): string {
  if (!query) return path
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue
    if (Array.isArray(v)) for (const x of v) qs.append(k, String(x))
    else qs.append(k, String(v))
  }
  const s = qs.toString()
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path
}

/** An absolute URL (incoming webhooks, `response_url`) instead of a path under `/api/v4`. */
const ABSOLUTE = /^https?:\/\//i

export class Transport {
  #wire: Wire | undefined
  /** Wires to other origins (a webhook or `response_url` on another host), same TLS options. */
  #foreign = new Map<string, Wire>()
  #active = 0
  #waiters: Array<() => void> = []
  #pausedUntil = 0
  #verified: Promise<void> | undefined
  #verifiedOk = false
  readonly opts: TransportOptions

  readonly #apiPath: string
  readonly #debug: boolean

  constructor(opts: TransportOptions) {
    this.opts = opts
    this.#apiPath = new URL(opts.url.api).pathname
    this.#debug = opts.logger !== silentLogger
  }

  private wire(path = ''): Wire {
    const base = new URL(this.opts.url.base)
    const origin = ABSOLUTE.test(path) ? new URL(path) : base
    if (origin.origin === base.origin) {
      this.#wire ??= createWire(this.opts.http, {
        origin: base,
        connections: this.opts.maxConcurrency,
        tls: this.opts.tls,
      })
      return this.#wire
    }
    let wire = this.#foreign.get(origin.origin)
    if (!wire) {
      wire = createWire(this.opts.http, {
        origin: new URL(origin.origin),
        connections: this.opts.maxConcurrency,
        tls: this.opts.tls,
      })
      this.#foreign.set(origin.origin, wire)
    }
    return wire
  }

  /** A path as errors and logs show it: webhook and `response_url` ids are credentials, so masked. */
  private shown(path: string, query: RequestOptions['query']): string {
    const full = buildPath(path, query)
    return ABSOLUTE.test(path) ? redactString(full).replace(/[a-z0-9]{26}/g, '…') : redactString(full)
  }

  private async acquire(signal?: AbortSignal): Promise<void> {
    while (this.#active >= this.opts.maxConcurrency) {
      await new Promise<void>(r => this.#waiters.push(r))
      if (signal?.aborted) throw new AbortError()
    }
    this.#active++
  }

  private release(): void {
    this.#active--
    this.#waiters.shift()?.()
  }

  /** Check once that the server is Mattermost. */
  verify(): Promise<void> {
    this.#verified ??= (async () => {
      const res = await this.send('GET', '/system/ping', { anonymous: true }, 0, true)
      const data = errorBody(res.text) as { status?: unknown } | undefined
      if (res.status >= 300 || typeof data?.status !== 'string') {
        throw new NotMattermostError(
          `${this.opts.url.base} answered /api/v4/system/ping with ${res.status} ${
            /<html|<!doctype/i.test(res.text.slice(0, 200))
              ? 'an HTML page'
              : 'something that is not Mattermost'
          } (${excerpt(res.text)}). Check the URL (and any subpath), or a proxy/SSO login page in front of the server.`,
          this.opts.url.base,
        )
      }
    })().catch(err => {
      this.#verified = undefined
      throw err
    })
    return this.#verified
  }

  /** Send a request through the whole pipeline and return the decoded body. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return (await this.requestFull<T>(method, path, opts)).data
  }

  /** Like {@link request}, with status and headers. */
  async requestFull<T>(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse<T>> {
    if (this.opts.verifyServer && !this.#verifiedOk && path !== '/system/ping' && !ABSOLUTE.test(path)) {
      await this.verify()
      this.#verifiedOk = true
    }
    const retry = this.opts.retry
    const retries = retry ? retry.retries : 0
    const streamBody = isStream(opts.body)
    const idempotent = (opts.idempotent ?? IDEMPOTENT.has(method)) && !streamBody
    for (let attempt = 0; ; attempt++) {
      const wait = this.#pausedUntil - Date.now()
      // After a client-wide pause, spread the waiting requests out so they do not all hit the
      // limit again at the same instant (by no more than the longest backoff delay).
      if (wait > 0) {
        const spread = Math.min(2000, 100 * attempt, (retry || RATE_LIMIT_DEFAULTS).maxDelayMs)
        await sleep(wait + (attempt > 0 ? Math.random() * spread : 0), opts.signal)
      }
      let res: WireText
      try {
        res = await this.send(method, path, opts, attempt, idempotent)
      } catch (err) {
        if (err instanceof NetworkError && idempotent && attempt < retries && retry) {
          await sleep(
            backoffDelay(attempt, { initialMs: retry.minDelayMs, maxMs: retry.maxDelayMs }),
            opts.signal,
          )
          continue
        }
        throw err
      }
      if (res.status < 400) {
        const data = decodeSuccess(res.status, res.headers, res.text, {
          method,
          shownPath: () => this.shown(path, opts.query),
          base: this.opts.url.base,
          responseType: opts.responseType ?? 'json',
        })
        return { status: res.status, headers: res.headers, data: data as T }
      }
      const requestId = header(res.headers, 'x-request-id')
      const shownPath = this.shown(path, opts.query)
      if (res.status === 429) {
        const limits = retry || RATE_LIMIT_DEFAULTS
        const maxMs = Math.min(limits.maxRetryAfterMs, MAX_TIMER_MS)
        const backoff = backoffDelay(attempt, {
          initialMs: limits.minDelayMs,
          maxMs: limits.maxDelayMs,
          // Never near 0: a server that says "retry now" for ever must not get a burst.
          jitter: 'equal',
        })
        const ra = retryAfter(res.headers, backoff, maxMs)
        const retryAfterMs = Math.round(ra.ms)
        if (ra.capped)
          this.opts.logger.warn(
            { method, path: shownPath, askedMs: ra.askedMs, waitMs: retryAfterMs },
            'the server asked to wait longer than retry.maxRetryAfterMs; waiting that long instead',
          )
        this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + retryAfterMs)
        this.opts.onRateLimited({ method, path: shownPath, retryAfterMs, attempt })
        if (this.opts.onRateLimit === 'throw' || attempt >= Math.max(retries, 30) || streamBody) {
          throw new RateLimitedError(
            `${method} ${shownPath} was rate limited by the server (429); retry after ${retryAfterMs} ms.`,
            { method, path: shownPath, status: 429, requestId, retryAfterMs },
          )
        }
        continue
      }
      const body = errorBody(res.text)
      const pendingDedupe = res.status === 500 && body?.id === 'api.post.deduplicate_create_post.pending'
      const transient = res.status === 502 || res.status === 503 || res.status === 504
      if (retry && attempt < retries && (pendingDedupe || (transient && idempotent))) {
        await sleep(
          backoffDelay(attempt, { initialMs: retry.minDelayMs, maxMs: retry.maxDelayMs }),
          opts.signal,
        )
        continue
      }
      throw apiErrorFor(res.status, body, { method, path: shownPath, requestId })
    }
  }

  /** Open a streaming response (file downloads). Errors are mapped like {@link request}. */
  async stream(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<{ status: number; headers: RawResponse['headers']; body: Readable }> {
    if (this.opts.verifyServer) await this.verify()
    if (opts.signal?.aborted) throw this.wireError(opts.signal.reason, method, path, opts, 0)
    const req = this.prepare(method, path, opts, false)
    const slot = this.take(opts.signal)
    if (slot) await slot
    let res: WireResponse
    try {
      res = await this.wire().request(req)
    } catch (err) {
      this.release()
      throw this.wireError(err, method, path, opts, req.timeoutMs)
    }
    let released = false
    const release = (): void => {
      if (!released) {
        released = true
        this.release()
      }
    }
    const shownPath = this.shown(path, opts.query)
    if (res.status >= 300) {
      let text: string
      try {
        text = await res.text().finally(release)
      } catch (err) {
        throw this.wireError(err, method, path, opts, req.timeoutMs)
      }
      if (res.status < 400)
        decodeSuccess(res.status, res.headers, text, {
          method,
          shownPath: () => shownPath,
          base: this.opts.url.base,
          responseType: 'json',
        })
      throw apiErrorFor(res.status, errorBody(text), {
        method,
        path: shownPath,
        requestId: header(res.headers, 'x-request-id'),
      })
    }
    const body = res.stream()
    body.once('close', release)
    return { status: res.status, headers: res.headers, body }
  }

  /** Take a concurrency slot (wait for one when all are taken). */
  private take(signal: AbortSignal | undefined): Promise<void> | undefined {
    if (this.#active >= this.opts.maxConcurrency) return this.acquire(signal)
    this.#active++
    return undefined
  }

  /** The wire request: headers (auth, user agent, content type) and the encoded body. */
  private prepare(method: string, path: string, opts: RequestOptions, idempotent: boolean): WireRequest {
    const headers: Record<string, string> = opts.headers
      ? { 'user-agent': this.opts.userAgent, accept: 'application/json', ...opts.headers }
      : { 'user-agent': this.opts.userAgent, accept: 'application/json' }
    const absolute = ABSOLUTE.test(path)
    // The token never goes to an absolute URL: webhooks and response_url need none.
    const token = opts.anonymous || absolute ? undefined : this.opts.getToken()
    if (token) headers.authorization = `Bearer ${token}`
    const given = opts.body
    let body: string | Buffer | Readable | undefined
    if (given !== undefined) {
      if (typeof given === 'string' || Buffer.isBuffer(given) || isStream(given)) {
        body = given
        headers['content-type'] = opts.contentType ?? 'application/octet-stream'
      } else {
        body = JSON.stringify(given)
        headers['content-type'] = 'application/json'
      }
    }
    return {
      method,
      path: absolute
        ? buildPath(new URL(path).pathname + new URL(path).search, opts.query)
        : this.#apiPath + buildPath(path, opts.query),
      headers,
      body,
      timeoutMs: opts.timeoutMs ?? this.opts.timeoutMs,
      maxBytes: this.opts.maxResponseBytes,
      // The wire's timers: no per-request AbortSignal unless the caller gave one.
      signal: opts.signal,
      idempotent,
    }
  }

  /** Map a wire failure to a typed error. */
  private wireError(
    err: unknown,
    method: string,
    path: string,
    opts: RequestOptions,
    timeoutMs: number,
  ): Error {
    const shownPath = this.shown(path, opts.query)
    if (opts.signal?.aborted)
      return new AbortError(`${method} ${shownPath} was aborted`, { cause: opts.signal.reason })
    const code = (err as { code?: string }).code ?? ''
    if (TIMEOUT_CODES.has(code)) return new TimeoutError({ method, path: shownPath, timeoutMs })
    if (code === 'MK_ERR_RESPONSE_TOO_LARGE')
      return new ResponseTooLargeError({ method, path: shownPath, limitBytes: this.opts.maxResponseBytes })
    if (err instanceof WireBodyError)
      return new NetworkError(
        `${method} ${shownPath} failed while reading the response`,
        { method, path: shownPath },
        redactString(err.message),
      )
    return new NetworkError(
      `${method} ${shownPath} failed: cannot reach ${ABSOLUTE.test(path) ? new URL(path).origin : this.opts.url.base} (${code || (err as Error).name}). Check the URL, DNS, TLS settings and that the server is up.`,
      { method, path: shownPath },
      redactString(String((err as Error).message ?? err)),
    )
  }

  private async send(
    method: string,
    path: string,
    opts: RequestOptions,
    attempt: number,
    idempotent: boolean,
  ): Promise<WireText> {
    const started = this.#debug ? Date.now() : 0
    if (opts.signal?.aborted) throw this.wireError(opts.signal.reason, method, path, opts, 0)
    const req = this.prepare(method, path, opts, idempotent)
    const slot = this.take(opts.signal)
    if (slot) await slot
    let res: WireText
    try {
      res = await this.wire(path).requestText(req)
    } catch (err) {
      throw this.wireError(err, method, path, opts, req.timeoutMs)
    } finally {
      this.release()
    }
    this.observeLimits(res.headers)
    if (this.#debug) {
      this.opts.logger.debug(
        {
          method,
          path: this.shown(path, opts.query),
          status: res.status,
          ms: Date.now() - started,
          attempt,
        },
        'matterkit request',
      )
    }
    return res
  }

  /** Hold every request until `at` (epoch ms), as a 429 does. */
  pauseUntil(at: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, at)
  }

  /** Proactive limiter: when the server says no request is left, wait before the next one. */
  private observeLimits(headers: RawResponse['headers']): void {
    const remaining = header(headers, 'x-ratelimit-remaining')
    if (remaining === '0') {
      // At most 1 s: the next request's 429 (clamped) says more. Unreadable: 1 s; 0 or less: none.
      const reset = Number(header(headers, 'x-ratelimit-reset') || 1)
      const ms = Number.isNaN(reset) ? 1000 : Math.max(0, Math.min(reset, 1)) * 1000
      this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + ms)
    }
  }

  /**
   * POST to an absolute URL (an incoming webhook, a slash command's `response_url`) through the
   * whole pipeline: TLS options, timeouts, 429 handling and typed errors, and never the token.
   * A string goes as `text/plain`, anything else as JSON; the answer's body is returned as text.
   */
  postTo(url: string, body: unknown, signal?: AbortSignal): Promise<string> {
    const isText = typeof body === 'string'
    return this.request<string>('POST', url, {
      body: isText ? body : JSON.stringify(body),
      contentType: isText ? 'text/plain' : 'application/json',
      responseType: 'text',
      idempotent: false,
      ...(signal ? { signal } : {}),
    })
  }

  async close(): Promise<void> {
    const wires = [this.#wire, ...this.#foreign.values()]
    this.#wire = undefined
    this.#foreign.clear()
    await Promise.all(wires.map(w => w?.close()))
  }
}
