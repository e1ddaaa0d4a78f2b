/**
 * Internal: the wire under the transport, one HTTP request on a keep-alive connection. Three
 * stacks: `node:http`/`node:https` with a keep-alive `Agent`, an undici `Pool` (loaded only when
 * chosen), and `auto` (node:http, switching to undici the first time many requests are in flight).
 * @module
 */
import type { Readable } from 'node:stream'

/** Which HTTP stack carries the requests (see `ClientOptions.http`). */
export type HttpStack = 'node' | 'undici' | 'auto'

/** @internal One request, as the transport hands it to a wire. */
export interface WireRequest {
  method: string
  /** Path with query, starting with `/`. */
  path: string
  headers: Record<string, string>
  body: string | Buffer | Readable | undefined
  timeoutMs: number
  signal: AbortSignal | undefined
  /** The request can be sent again if a reused keep-alive socket turns out to be closed. */
  idempotent: boolean
}

/** @internal A response with an unread body. */
export interface WireResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** The body as a stream (downloads); call either this or {@link text}, once. */
  stream(): Readable
  text(): Promise<string>
}

/** @internal */
export interface Wire {
  request(req: WireRequest): Promise<WireResponse>
  close(): Promise<void>
}

/** @internal Options every wire needs. */
export interface WireOptions {
  origin: URL
  connections: number
  tls: { ca?: string | Buffer; rejectUnauthorized: boolean }
}

/** @internal Thrown by a wire when a request or its body is too slow. */
export class WireTimeoutError extends Error {
  readonly code = 'MK_TIMEOUT'
}

/** @internal Error codes that mean "the request timed out". */
export const TIMEOUT_CODES = new Set(['MK_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

let undiciModule: Promise<typeof import('undici')> | undefined

/** @internal Load undici once per process. */
export function loadUndici(): Promise<typeof import('undici')> {
  undiciModule ??= import('undici')
  return undiciModule
}

/** @internal An undici `Pool`, created on the first request. Timeouts are undici's own timers. */
export class UndiciWire implements Wire {
  #pool: import('undici').Pool | undefined
  #loading: Promise<import('undici').Pool> | undefined
  constructor(private readonly opts: WireOptions) {}

  /** Load undici and open the pool (for `auto`, before switching to it). */
  ready(): Promise<import('undici').Pool> {
    if (this.#pool) return Promise.resolve(this.#pool)
    this.#loading ??= loadUndici().then(({ Pool }) => {
      this.#pool = new Pool(this.opts.origin.origin, {
        connections: this.opts.connections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connect: {
          rejectUnauthorized: this.opts.tls.rejectUnauthorized,
          ...(this.opts.tls.ca ? { ca: this.opts.tls.ca } : {}),
        },
      })
      return this.#pool
    })
    return this.#loading
  }

  get loaded(): boolean {
    return this.#pool !== undefined
  }

  async request(req: WireRequest): Promise<WireResponse> {
    try {
      return await this.#send(req)
    } catch (err) {
      // A keep-alive socket the server had closed: send an idempotent request once more, at once.
      if ((err as { code?: string }).code !== 'UND_ERR_SOCKET' || !req.idempotent || isStream(req.body))
        throw err
      return this.#send(req)
    }
  }

  async #send(req: WireRequest): Promise<WireResponse> {
    const pool = this.#pool ?? (await this.ready())
    const res = await pool.request({
      method: req.method as import('undici').Dispatcher.HttpMethod,
      path: req.path,
      headers: req.headers,
      body: req.body ?? null,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
      ...(req.signal ? { signal: req.signal } : {}),
    })
    const body = res.body
    return { status: res.statusCode, headers: res.headers, stream: () => body, text: () => body.text() }
  }

  async close(): Promise<void> {
    const pool = this.#pool
    this.#pool = undefined
    this.#loading = undefined
    await pool?.close()
  }
}

/** @internal A body to pipe (not a string or Buffer). */
export function isStream(v: unknown): v is Readable {
  return typeof v === 'object' && v !== null && typeof (v as Readable).pipe === 'function'
}
