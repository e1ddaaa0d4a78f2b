/**
 * Internal: the `node:http`/`node:https` wire. One keep-alive `Agent` (at most `connections`
 * sockets, most recently used first), timeouts from one {@link CoarseClock}, and one immediate
 * resend of an idempotent request whose reused keep-alive socket was closed by the server.
 * @module
 */
import type { Agent, ClientRequest, IncomingMessage } from 'node:http'
import { builtin } from '../core/builtins.js'
import { CoarseClock } from './clock.js'
import {
  announcedTooLarge,
  isStream,
  readText,
  type Wire,
  type WireOptions,
  type WireRequest,
  type WireResponse,
  type WireText,
  WireTimeoutError,
  WireTooLargeError,
} from './wire.js'

/** Errors of a keep-alive socket the server had already closed. */
const STALE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED'])

/** @internal */
export class NodeWire implements Wire {
  readonly #agent: Agent
  readonly #request: typeof import('node:http').request
  readonly #clock = new CoarseClock()
  readonly #host: string
  readonly #port: string
  readonly #protocol: string

  constructor(opts: WireOptions) {
    const tls = opts.origin.protocol === 'https:'
    const mod = tls ? builtin('node:https') : builtin('node:http')
    this.#request = mod.request as typeof import('node:http').request
    this.#agent = new mod.Agent({
      keepAlive: true,
      maxSockets: opts.connections,
      maxFreeSockets: opts.connections,
      scheduling: 'lifo',
      ...(tls
        ? { rejectUnauthorized: opts.tls.rejectUnauthorized, ...(opts.tls.ca ? { ca: opts.tls.ca } : {}) }
        : {}),
    })
    this.#host = opts.origin.hostname.replace(/^\[|\]$/g, '')
    this.#port = opts.origin.port
    this.#protocol = opts.origin.protocol
  }

  request(req: WireRequest): Promise<WireResponse> {
    return this.#send(req, req.idempotent && !isStream(req.body))
  }

  requestText(req: WireRequest): Promise<WireText> {
    return this.request(req).then(readText)
  }

  #send(req: WireRequest, mayResend: boolean): Promise<WireResponse> {
    return new Promise<WireResponse>((resolve, reject) => {
      const headers = req.headers
      const body = req.body
      if (typeof body === 'string' || Buffer.isBuffer(body))
        headers['content-length'] = String(Buffer.byteLength(body))
      let r: ClientRequest
      try {
        r = this.#request({
          agent: this.#agent,
          protocol: this.#protocol,
          host: this.#host,
          ...(this.#port ? { port: this.#port } : {}),
          method: req.method,
          path: req.path,
          headers,
          ...(req.signal ? { signal: req.signal } : {}),
        })
      } catch (err) {
        reject(err)
        return
      }
      const clock = this.#clock
      // timeoutMs <= 0: no timeout (as undici's headersTimeout/bodyTimeout of 0).
      let response: IncomingMessage | undefined
      const deadline =
        req.timeoutMs > 0
          ? clock.watch(req.timeoutMs, () =>
              // Once the headers are in, fail the body itself (destroying the request would only
              // make the body fail with a bare "aborted").
              (response ?? r).destroy(new WireTimeoutError(`no full response within ${req.timeoutMs} ms`)),
            )
          : undefined
      let answered = false
      r.once('error', err => {
        if (answered) return
        clock.unwatch(deadline)
        const code = (err as { code?: string }).code ?? ''
        if (mayResend && r.reusedSocket && (STALE.has(code) || err.message === 'socket hang up')) {
          resolve(this.#send(req, false))
          return
        }
        reject(err)
      })
      r.once('response', (res: IncomingMessage) => {
        answered = true
        response = res
        // The deadline runs on through the body: a server dripping bytes cannot hold the request.
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          stream: () => {
            clock.unwatch(deadline)
            // Downloads: an idle timeout on the socket while the caller reads.
            res.setTimeout(req.timeoutMs, () =>
              res.destroy(new WireTimeoutError(`no data for ${req.timeoutMs} ms`)),
            )
            return res
          },
          text: () =>
            new Promise<string>((ok, fail) => {
              const max = req.maxBytes
              if (announcedTooLarge(res.headers['content-length'], max)) {
                clock.unwatch(deadline)
                const err = new WireTooLargeError(`content-length ${res.headers['content-length']} > ${max}`)
                res.destroy(err)
                fail(err)
                return
              }
              const chunks: Buffer[] = []
              let n = 0
              res.on('data', (chunk: Buffer) => {
                n += chunk.length
                if (max > 0 && n > max) {
                  // Past the limit: close the connection (memory stays bounded) and fail.
                  res.destroy(new WireTooLargeError(`the body passed ${max} bytes`))
                  return
                }
                chunks.push(chunk)
              })
              res.once('end', () => {
                clock.unwatch(deadline)
                ok(
                  chunks.length === 1
                    ? (chunks[0] as Buffer).toString()
                    : Buffer.concat(chunks, n).toString(),
                )
              })
              res.once('error', err => {
                clock.unwatch(deadline)
                fail(err)
              })
              res.once('close', () => {
                clock.unwatch(deadline)
                if (!res.complete) fail(new Error('the connection closed before the body ended'))
              })
            }),
        })
      })
      if (body === undefined) r.end()
      else if (isStream(body)) {
        body.once('error', err => r.destroy(err))
        body.pipe(r)
      } else r.end(body)
    })
  }

  async close(): Promise<void> {
    this.#agent.destroy()
  }
}
