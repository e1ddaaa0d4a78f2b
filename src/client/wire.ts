/**
 * Internal: the wire under the transport, one HTTP request on a keep-alive connection. Three
 * stacks: `node:http`/`node:https` with a keep-alive `Agent` (`wire-node.ts`), an undici `Pool`
 * loaded only when chosen (`wire-undici.ts`), and `auto` (`wire-auto.ts`: node:http, switching to
 * undici the first time many requests are in flight).
 * @module
 */
import type { Readable } from 'node:stream'
import { MatterkitError } from '../core/errors.js'

/** Which HTTP stack carries the requests (see `ClientOptions.http`). */
export type HttpStack = 'node' | 'undici' | 'auto'

/** @internal One request, as the transport hands it to a wire. */
export interface WireRequest {
  method: string
  /** Path with query, starting with `/`. */
  path: string
  headers: Record<string, string>
  body: string | Buffer | Readable | undefined
  /** A deadline for the whole exchange (headers and a body read whole); an idle timeout for downloads. */
  timeoutMs: number
  /** Largest body read whole (bytes; 0: no limit). Downloads are not limited. */
  maxBytes: number
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

/** @internal A response read to its end. */
export interface WireText {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

/** @internal */
export interface Wire {
  /** Send a request; the body is left unread (downloads). */
  request(req: WireRequest): Promise<WireResponse>
  /** Send a request and read the whole body as text (everything but downloads). */
  requestText(req: WireRequest): Promise<WireText>
  close(): Promise<void>
}

/** @internal Options every wire needs. */
export interface WireOptions {
  origin: URL
  connections: number
  tls: { ca?: string | Buffer; rejectUnauthorized: boolean }
}

/** @internal Thrown by a wire when a request or its body is too slow. */
export class WireTimeoutError extends MatterkitError {
  constructor(message: string) {
    super('MK_ERR_TIMEOUT', message)
  }
}

/** @internal Thrown by a wire when a body read whole passes `maxBytes` (the connection is closed). */
export class WireTooLargeError extends MatterkitError {
  constructor(message: string) {
    super('MK_ERR_RESPONSE_TOO_LARGE', message)
  }
}

/** @internal The `content-length` a response announces is above `max` (0: no limit). */
export function announcedTooLarge(contentLength: string | undefined, max: number): boolean {
  return max > 0 && contentLength !== undefined && Number(contentLength) > max
}

/** @internal Thrown by a wire when the connection fails after the response headers arrived. */
export class WireBodyError extends MatterkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MK_ERR_NETWORK', message, options)
  }
}

/** @internal Read a response's body as text; a failure that is not a timeout becomes a {@link WireBodyError}. */
export async function readText(res: WireResponse): Promise<WireText> {
  try {
    return { status: res.status, headers: res.headers, text: await res.text() }
  } catch (err) {
    const code = (err as { code?: string }).code ?? ''
    if (TIMEOUT_CODES.has(code) || code === 'MK_ERR_RESPONSE_TOO_LARGE') throw err
    throw new WireBodyError(String((err as Error).message ?? err), { cause: err })
  }
}

/** @internal Error codes that mean "the request timed out". */
export const TIMEOUT_CODES = new Set(['MK_ERR_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

/** @internal A body to pipe (not a string or Buffer). */
export function isStream(v: unknown): v is Readable {
  return typeof v === 'object' && v !== null && typeof (v as Readable).pipe === 'function'
}

/** @internal Read a stream whole as text, destroying it once it passes `max` bytes (0: no limit). */
export async function readBounded(body: Readable, max: number): Promise<string> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const chunk of body) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array)
    n += b.length
    if (max > 0 && n > max) {
      const err = new WireTooLargeError(`the body passed ${max} bytes`)
      body.destroy(err)
      throw err
    }
    chunks.push(b)
  }
  return Buffer.concat(chunks, n).toString()
}
