/**
 * Internal: the undici wire. One `Pool`, created (and undici loaded) on the first request.
 * Requests whose body is read whole go through `Pool.dispatch` with a small handler that
 * collects the chunks: no response stream, no async resource, no `Readable` per request. Only
 * downloads use `Pool.request` and its body stream. A body read whole has one deadline for the
 * whole exchange (a {@link CoarseClock}); downloads keep undici's own idle timers.
 * @module
 */
import type { Dispatcher, Pool } from 'undici'
import { CoarseClock, type Deadline } from './clock.js'
import {
  announcedTooLarge,
  isStream,
  readBounded,
  TIMEOUT_CODES,
  type Wire,
  WireBodyError,
  type WireOptions,
  type WireRequest,
  type WireResponse,
  type WireText,
  WireTimeoutError,
  WireTooLargeError,
} from './wire.js'

let undiciModule: Promise<typeof import('undici')> | undefined

/** @internal Load undici once per process. */
export function loadUndici(): Promise<typeof import('undici')> {
  undiciModule ??= import('undici')
  return undiciModule
}

/** @internal */
export class UndiciWire implements Wire {
  #pool: Pool | undefined
  #loading: Promise<Pool> | undefined
  readonly #clock = new CoarseClock()
  constructor(private readonly opts: WireOptions) {}

  /** Load undici and open the pool (for `auto`, before switching to it). */
  ready(): Promise<Pool> {
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

  request(req: WireRequest): Promise<WireResponse> {
    return this.#once(req, stream)
  }

  requestText(req: WireRequest): Promise<WireText> {
    return this.#once(req, (pool, r) => collect(pool, r, this.#clock))
  }

  /** Send with `send`; a keep-alive socket the server had closed before any answer gets an idempotent request sent once more, at once. */
  async #once<T>(req: WireRequest, send: (pool: Pool, req: WireRequest) => Promise<T>): Promise<T> {
    const pool = this.#pool ?? (await this.ready())
    try {
      return await send(pool, req)
    } catch (err) {
      const resendable =
        (err as { code?: string }).code === 'UND_ERR_SOCKET' && req.idempotent && !isStream(req.body)
      if (!resendable) throw err
      return send(pool, req)
    }
  }

  async close(): Promise<void> {
    const pool = this.#pool
    this.#pool = undefined
    this.#loading = undefined
    await pool?.close()
  }
}

/** undici's options for `req`; `idle`: undici's own (idle) timers, for downloads. */
function options(req: WireRequest, idle: boolean): Dispatcher.DispatchOptions {
  const t = idle ? req.timeoutMs : 0
  return {
    method: req.method as Dispatcher.HttpMethod,
    path: req.path,
    headers: req.headers,
    body: req.body ?? null,
    headersTimeout: t,
    bodyTimeout: t,
  }
}

/** Send `req` through `pool.request`, leaving the body as a stream (downloads). */
async function stream(pool: Pool, req: WireRequest): Promise<WireResponse> {
  const res = await pool.request({ ...options(req, true), ...(req.signal ? { signal: req.signal } : {}) })
  const body = res.body
  return {
    status: res.statusCode,
    headers: res.headers,
    stream: () => body,
    text: () => readBounded(body, req.maxBytes),
  }
}

/** Send `req` through `pool.dispatch` and collect the whole body, within one deadline. */
function collect(pool: Pool, req: WireRequest, clock: CoarseClock): Promise<WireText> {
  return new Promise<WireText>((resolve, reject) => {
    const handler = new TextHandler(resolve, reject, req.signal, req.maxBytes)
    if (req.timeoutMs > 0) {
      const ms = req.timeoutMs
      handler.deadline = clock.watch(ms, () =>
        handler.fail(new WireTimeoutError(`no full response within ${ms} ms`)),
      )
      handler.clock = clock
    }
    pool.dispatch(options(req, false), handler)
  })
}

/**
 * undici's dispatch handler (the callbacks its own `request()` is built on), collecting the
 * body chunks and settling one promise.
 */
class TextHandler {
  #abort: ((reason?: Error) => void) | undefined
  #status = 0
  #raw: Buffer[] | undefined
  #chunks: Buffer[] = []
  #bytes = 0
  #settled = false
  #failure: Error | undefined
  deadline: Deadline | undefined
  clock: CoarseClock | undefined
  readonly #onAbort: (() => void) | undefined

  constructor(
    private readonly resolve: (t: WireText) => void,
    private readonly reject: (err: unknown) => void,
    private readonly signal: AbortSignal | undefined,
    private readonly maxBytes: number,
  ) {
    if (signal) {
      this.#onAbort = () => this.#abort?.(signal.reason as Error)
      signal.addEventListener('abort', this.#onAbort, { once: true })
    }
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.signal?.aborted) abort(this.signal.reason as Error)
    else if (this.#failure) abort(this.#failure)
    else this.#abort = abort
  }

  onHeaders(status: number, raw: Buffer[]): boolean {
    if (status < 200) return true
    this.#status = status
    this.#raw = raw
    if (this.maxBytes > 0) {
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const name = raw[i] as Buffer
        if (name.length === 14 && name.toString('latin1').toLowerCase() === 'content-length') {
          const cl = (raw[i + 1] as Buffer).toString('latin1')
          if (announcedTooLarge(cl, this.maxBytes))
            this.fail(new WireTooLargeError(`content-length ${cl} > ${this.maxBytes}`))
          break
        }
      }
    }
    return true
  }

  onData(chunk: Buffer): boolean {
    this.#bytes += chunk.length
    if (this.maxBytes > 0 && this.#bytes > this.maxBytes) {
      // Past the limit: stop collecting (memory stays bounded) and close the connection.
      this.fail(new WireTooLargeError(`the body passed ${this.maxBytes} bytes`))
      return false
    }
    this.#chunks.push(chunk)
    return true
  }

  onComplete(): void {
    if (this.#settled) return
    this.#done()
    const c = this.#chunks
    const text =
      c.length === 0 ? '' : c.length === 1 ? (c[0] as Buffer).toString() : Buffer.concat(c).toString()
    this.resolve({ status: this.#status, headers: parseHeaders(this.#raw ?? []), text })
  }

  onError(err: Error): void {
    if (this.#settled) return
    this.#done()
    const timeout = TIMEOUT_CODES.has((err as { code?: string }).code ?? '')
    // After the headers: the answer was cut (as reading a body stream fails).
    this.reject(
      this.#raw && !timeout && !this.signal?.aborted ? new WireBodyError(err.message, { cause: err }) : err,
    )
  }

  /** Settle with `err` now (deadline, size limit) and abort the request, at once or once connected. */
  fail(err: Error): void {
    if (this.#settled) return
    this.#done()
    this.#failure = err
    this.reject(err)
    this.#abort?.(err)
  }

  #done(): void {
    this.#settled = true
    this.clock?.unwatch(this.deadline)
    if (this.#onAbort) this.signal?.removeEventListener('abort', this.#onAbort)
  }
}

/** Raw header pairs to an object: lower-case names, repeated names as arrays (as undici does). */
function parseHeaders(raw: Buffer[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1').toLowerCase()
    if (name === '__proto__') continue
    const value = (raw[i + 1] as Buffer).toString('latin1')
    const seen = out[name]
    if (seen === undefined) out[name] = value
    else if (typeof seen === 'string') out[name] = [seen, value]
    else seen.push(value)
  }
  return out
}
