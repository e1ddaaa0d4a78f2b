/**
 * Emulator internals: ids, AppError replies, body reading. Independent of the client code.
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'

const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769'

/** Random bytes drawn 26 at a time (one `randomBytes` call per 157 ids, not per id). */
const POOL = 26 * 157
let pool = Buffer.alloc(0)
let poolAt = POOL

/** A 26-char Mattermost-style id. */
export function newId(): string {
  if (poolAt >= POOL) {
    pool = randomBytes(POOL)
    poolAt = 0
  }
  let out = ''
  for (let i = poolAt; i < poolAt + 26; i++) out += ALPHABET[pool[i]! & 31]
  poolAt += 26
  return out
}

/** Mattermost's `IsValidId`: 26 alphanumeric chars. */
export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && id.length === 26 && /^[a-z0-9]+$/.test(id)
}

/** An error the emulator answers as AppError JSON (`status`, `id`, message, detailed error). */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
    readonly detailed = '',
  ) {
    super(message)
  }
}

export const VERSION = '10.11.0'
export const VERSION_HEADER = `${VERSION}.${VERSION}.emulator.false`

/** Write a JSON response with Mattermost's headers (`Content-Type: application/json` exactly). */
export function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'X-Request-ID': requestId,
    'X-Version-ID': VERSION_HEADER,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    Expires: '0',
    'Content-Length': Buffer.byteLength(text),
  })
  res.end(text)
}

/** Write an AppError; `detailed_error` is emptied unless `developer` (EnableDeveloper) is on. */
export function sendError(res: ServerResponse, err: AppError, requestId: string, developer = false): void {
  sendJson(
    res,
    err.status,
    {
      id: err.id,
      message: err.message,
      detailed_error: developer ? err.detailed : '',
      request_id: requestId,
      status_code: err.status,
    },
    requestId,
  )
}

/** Read a request body up to `limit` bytes; throws 413 beyond it. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limit) {
    req.resume()
    throw tooLarge()
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size <= limit) {
        chunks.push(chunk)
        return
      }
      // Too large: stop keeping the bytes, but keep reading so the 413 reply can be delivered.
      req.off('data', onData)
      req.resume()
      reject(tooLarge())
    }
    req.on('data', onData)
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    req.once('error', reject)
    req.once('close', () => {
      if (!req.complete)
        reject(new AppError(400, 'api.context.body_aborted.app_error', 'The request body was cut off.'))
    })
  })
}

function tooLarge(): AppError {
  return new AppError(413, 'api.context.request_body_too_large.app_error', 'The request body is too large.')
}

/** 400 for a bad body parameter. */
export function badParam(name: string): AppError {
  return new AppError(
    400,
    'api.context.invalid_body_param.app_error',
    `Invalid or missing ${name} in request body.`,
  )
}

/** 400 for a bad URL parameter. */
export function badUrlParam(name: string): AppError {
  return new AppError(
    400,
    'api.context.invalid_url_param.app_error',
    `Invalid or missing ${name} parameter in request URL.`,
  )
}

/** 403 `api.context.permissions.app_error`. */
export function forbidden(): AppError {
  return new AppError(
    403,
    'api.context.permissions.app_error',
    'You do not have the appropriate permissions.',
  )
}

/** 404 with the given error id. */
export function notFound(id: string, what: string): AppError {
  return new AppError(404, id, `Unable to find the ${what}.`)
}

/** 501 for a feature turned off in the config. */
export function disabled(id: string): AppError {
  return new AppError(501, id, 'This feature has been disabled by the system admin.')
}

/** Mattermost's username rule: 3–22 chars, starts with a letter, `a-z0-9.-_`. */
export function isValidUsername(name: unknown): name is string {
  return typeof name === 'string' && /^[a-z][a-z0-9.\-_]{2,21}$/.test(name)
}
