/**
 * Body reading and decoding for the receiver: size-limited reads from `node:http` and Fetch
 * streams, form and JSON decoding, header helpers. Internal to `src/http`.
 * @module
 */
import type { IncomingMessage } from 'node:http'

/** Header map as node and the frameworks expose it. */
export type HeaderMap = Record<string, string | string[] | undefined>

/** A decoded body: an object (form fields or JSON), or an HTTP problem to answer with. */
export type Decoded =
  | { ok: true; fields: Record<string, unknown> }
  | { ok: false; status: number; error: string }

/** First value of a header (names are lower-case in node). */
export function header(h: HeaderMap, name: string): string {
  const v = h[name] ?? h[name.toLowerCase()]
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '')
}

/** The media type of a `Content-Type` header, lower-case, without parameters. */
export function mediaType(h: HeaderMap): string {
  return header(h, 'content-type').split(';')[0]!.trim().toLowerCase()
}

/** `application/x-www-form-urlencoded` (or a query string) → object; repeated keys become arrays. */
export function parseForm(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null)
  for (const [k, v] of new URLSearchParams(text)) {
    const cur = out[k]
    out[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v]
  }
  return { ...out }
}

/**
 * Decode a raw body by its content type. `allowForm` is false for routes where Mattermost only
 * ever sends JSON (actions, dialogs).
 */
export function decodeBody(raw: Buffer | string, headers: HeaderMap, allowForm: boolean): Decoded {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8')
  const type = mediaType(headers)
  if (type === 'application/x-www-form-urlencoded' && allowForm) return { ok: true, fields: parseForm(text) }
  if (type === 'application/json' || (type === '' && text.trimStart().startsWith('{'))) {
    if (text.trim() === '')
      return {
        ok: false,
        status: 400,
        error: 'The body is empty. Mattermost sends a JSON object here; send one too.',
      }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      return {
        ok: false,
        status: 400,
        error: 'The body is not valid JSON. Send a JSON object with Content-Type: application/json.',
      }
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return { ok: false, status: 400, error: 'The JSON body must be an object, not an array or a scalar.' }
    return { ok: true, fields: value as Record<string, unknown> }
  }
  const expected = allowForm ? 'application/x-www-form-urlencoded or application/json' : 'application/json'
  return {
    ok: false,
    status: 415,
    error: `Unsupported Content-Type "${type || 'none'}": send ${expected}.`,
  }
}

/** Thrown inside the readers when the body passes the limit. */
export const TOO_LARGE = Symbol('too-large')

/**
 * Read a `node:http` request body up to `limit` bytes. Resolves to {@link TOO_LARGE} as soon as
 * the declared or received size passes the limit, without buffering the rest.
 */
export async function readNodeBody(req: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return TOO_LARGE
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    const chunk = c as Buffer
    size += chunk.length
    if (size > limit) return TOO_LARGE
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** Read a Fetch-API body stream up to `limit` bytes (cancelling the stream past the limit). */
export async function readWebBody(
  body: ReadableStream<Uint8Array> | null,
  declaredLength: string | null,
  limit: number,
): Promise<Buffer | typeof TOO_LARGE> {
  if (Number(declaredLength ?? 0) > limit) {
    await body?.cancel().catch(() => {})
    return TOO_LARGE
  }
  if (!body) return Buffer.alloc(0)
  const reader = body.getReader()
  const chunks: Buffer[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      return TOO_LARGE
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength))
  }
  return Buffer.concat(chunks)
}
