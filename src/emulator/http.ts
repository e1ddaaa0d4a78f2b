/**
 * The emulator's HTTP plumbing: the version headers, JSON and AppError replies with the
 * server's headers, and reading a body under a limit.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { AppError } from './errors.js'

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
