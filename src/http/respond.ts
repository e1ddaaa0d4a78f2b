/**
 * Delayed slash-command answers through `response_url`.
 * @module
 */
import { ArgumentError, MatterkitError } from '../core/errors.js'
import { redactString } from '../core/redact.js'
import type { CommandResponse } from '../types/index.js'

/**
 * Answer a slash command later through its `response_url` (valid 30 minutes, 5 uses). A string
 * is sent as `text/plain`; an object as JSON. Throws `MK_ERR_NETWORK` / `MK_ERR_API` on failure.
 *
 * @example
 * ```ts
 * await respond(ctx.payload.response_url, { response_type: 'in_channel', text: 'Deploy finished ✅' })
 * ```
 */
export async function respond(
  responseUrl: string,
  body: CommandResponse | string,
  opts: { signal?: AbortSignal } = {},
): Promise<void> {
  if (typeof responseUrl !== 'string' || !/^https?:\/\//i.test(responseUrl))
    throw new ArgumentError("respond: pass the slash command's `response_url` (an http(s) URL).")
  const isText = typeof body === 'string'
  const res = await fetch(responseUrl, {
    method: 'POST',
    headers: { 'content-type': isText ? 'text/plain' : 'application/json' },
    body: isText ? body : JSON.stringify(body),
    signal: opts.signal ?? AbortSignal.timeout(30_000),
  }).catch(err => {
    throw new MatterkitError(
      'MK_ERR_NETWORK',
      `response_url unreachable: ${redactString(String((err as Error).message))}`,
    )
  })
  if (!res.ok) {
    const text = await res.text()
    throw new MatterkitError(
      'MK_ERR_API',
      `response_url answered ${res.status}: ${text.slice(0, 200)} (it is valid for 30 minutes and 5 uses)`,
    )
  }
}
