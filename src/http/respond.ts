/**
 * Delayed slash-command answers through `response_url`.
 * @module
 */
import type { RestClient } from '../client/client.js'
import { ApiError } from '../client/errors.js'
import { RATE_LIMIT_DEFAULTS, Transport } from '../client/transport.js'
import { ArgumentError } from '../core/errors.js'
import { silentLogger } from '../core/logger.js'
import { normaliseServerUrl } from '../core/url.js'
import type { CommandResponse } from '../types/index.js'

/**
 * Answer a slash command later through its `response_url` (valid 30 minutes, 5 uses). A string
 * is sent as `text/plain`; an object as JSON. It goes through the client's transport when you
 * pass `client` (its TLS options: `ca`, `insecure`), else through a one-off connection with the
 * defaults; either way a 429 is waited out and failures are typed (`NetworkError`,
 * `TimeoutError`, an `ApiError` subclass).
 *
 * @example
 * ```ts
 * await respond(ctx.payload.response_url, { response_type: 'in_channel', text: 'Deploy finished ✅' })
 * ```
 */
export async function respond(
  responseUrl: string,
  body: CommandResponse | string,
  opts: { signal?: AbortSignal; client?: RestClient } = {},
): Promise<void> {
  if (typeof responseUrl !== 'string' || !/^https?:\/\//i.test(responseUrl))
    throw new ArgumentError("respond: pass the slash command's `response_url` (an http(s) URL).")
  const own = opts.client ? undefined : oneOffTransport(responseUrl)
  try {
    await (own ? own.postTo(responseUrl, body, opts.signal) : opts.client?.postTo(responseUrl, body, opts))
  } catch (err) {
    if (err instanceof ApiError) err.message += ' (a response_url is valid for 30 minutes and 5 uses)'
    throw err
  } finally {
    await own?.close()
  }
}

/** A transport for one call, with the client's defaults and no token. */
function oneOffTransport(url: string): Transport {
  return new Transport({
    url: normaliseServerUrl(new URL(url).origin),
    getToken: () => undefined,
    timeoutMs: 30_000,
    maxResponseBytes: 1024 * 1024,
    maxConcurrency: 1,
    retry: { retries: 0, ...RATE_LIMIT_DEFAULTS },
    onRateLimit: 'wait',
    tls: { rejectUnauthorized: true },
    userAgent: 'matterkit/0.1',
    logger: silentLogger,
    verifyServer: false,
    onRateLimited: () => {},
    http: 'node',
  })
}
