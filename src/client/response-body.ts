/**
 * Internal: what a success answer's body must be. Mattermost's API answers JSON, always with
 * `Content-Type: application/json` (server/channels/web/handlers.go sets it on every api4
 * handler), so a redirect, an HTML page (a proxy's or an SSO login page), an empty or a broken
 * body is an error here, never a string handed back as a `User`.
 * @module
 */
import { redactString } from '../core/redact.js'
import { NotMattermostError, ProtocolError } from './errors.js'
import { header, type ResponseHeaders } from './response-headers.js'

/** How to read a success body: JSON (the default) or, when the caller asks, text. */
export type ResponseType = 'json' | 'text'

/** @internal Where the answer came from, for the messages. */
export interface BodyContext {
  method: string
  /** The path with its query, as shown in messages (called only to build one: it redacts). */
  shownPath: () => string
  /** The server's base URL. */
  base: string
  responseType: ResponseType
}

/** @internal Decode a 1xx–3xx answer's body, or throw a typed error saying why it cannot be. */
export function decodeSuccess(
  status: number,
  headers: ResponseHeaders,
  text: string,
  ctx: BodyContext,
): unknown {
  const method = ctx.method
  // No body by definition: HEAD, 204 No Content, 205 Reset Content, 304 Not Modified (If-None-Match).
  if (method === 'HEAD' || status === 204 || status === 205 || status === 304) return undefined
  if (status >= 300) {
    const location = header(headers, 'location')
    const path = ctx.shownPath()
    throw new NotMattermostError(
      `${method} ${path} was answered ${status}, a redirect${location ? ` to ${redactString(location)}` : ''}. matterkit does not follow redirects (the token would go along): point \`url\` at the Mattermost server itself (its Site URL, with any subpath), not at a proxy or a login page.`,
      ctx.base,
    )
  }
  if (ctx.responseType === 'text') return text
  const type = header(headers, 'content-type')
  if (type.startsWith('application/json') && text) {
    try {
      return JSON.parse(text)
    } catch {}
  } else if (/^text\/html/i.test(type) || /^\s*</.test(text)) {
    const path = ctx.shownPath()
    throw new NotMattermostError(
      `${method} ${path} was answered ${status} with an HTML page (${excerpt(text)}), not Mattermost's JSON. Check the URL (and any subpath), or a proxy or SSO login page in front of the server.`,
      ctx.base,
    )
  } else if (text) {
    // A JSON body a proxy labelled otherwise is still accepted.
    try {
      return JSON.parse(text)
    } catch {}
  }
  const path = ctx.shownPath()
  throw new ProtocolError(
    text
      ? `${method} ${path} was answered ${status} with a body that is not valid JSON (${type || 'no content-type'}: ${excerpt(text)}).`
      : `${method} ${path} was answered ${status} with an empty body where JSON was expected.`,
    { method, path, status },
  )
}

/** @internal An error answer's body, when it is Mattermost's JSON error object. */
export function errorBody(text: string): { id?: string; message?: string } | undefined {
  if (!text) return undefined
  try {
    const v: unknown = JSON.parse(text)
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined
  } catch {
    return undefined
  }
}

/** @internal The start of a body, on one line, secrets removed, quoted. */
export function excerpt(text: string): string {
  const s = text.slice(0, 80).replace(/\s+/g, ' ').trim()
  return JSON.stringify(redactString(s) + (text.length > 80 ? '…' : ''))
}
