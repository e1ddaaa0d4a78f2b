/**
 * The receiver for calls Mattermost makes to integrations: slash commands, interactive actions,
 * dialog submissions and outgoing webhooks. Transport only: it verifies, parses and hands a
 * typed event to `dispatch`; it never imports the bot layer.
 *
 * Flow per request: route → method → size limit → (command: `Authorization: Token` precheck) →
 * decode body → verify token/signature → `dispatch` → reply, or an empty 200 after
 * `ackTimeoutMs` while the handler keeps running.
 * @module
 */
import type { ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { builtin } from '../core/builtins.js'
import { ConfigError } from '../core/errors.js'
import { safeLogger } from '../core/logger.js'
import { globalSecrets } from '../core/redact.js'
import {
  actionEvent,
  commandEvent,
  dialogEvent,
  headerToken,
  isProblem,
  type Problem,
  precheckCommandToken,
  type ReceiverEvent,
  type Verifiers,
  webhookEvent,
} from './events.js'
import { decodeBody, header, mediaType, parseForm, readNodeBody, TOO_LARGE } from './parse.js'
import type { Receiver, ReceiverOptions, ReceiverRequest, ReceiverResponse } from './receiver-types.js'

const ROUTES = ['command', 'action', 'dialog', 'webhook'] as const
type Route = (typeof ROUTES)[number]

/** Log fields for a thrown value: the error and its stack (both redacted by the logger). */
const errFields = (err: unknown): Record<string, unknown> => ({
  err,
  ...(err instanceof Error && err.stack ? { stack: err.stack } : {}),
})

const reply = (p: Problem): ReceiverResponse => ({
  status: p.status,
  headers: { 'content-type': 'application/json', ...p.headers },
  body: JSON.stringify({ error: p.error }),
})
/** An empty 200: `text/plain` so Mattermost reads it as "no text" (an empty JSON body is an error for commands). */
const EMPTY: ReceiverResponse = {
  status: 200,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: '',
}

/**
 * Create a receiver.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({
 *   commandTokens: [process.env.DEPLOY_COMMAND_TOKEN!],
 *   signingSecret: process.env.SIGNING_SECRET!,
 *   dispatch: async ev => (ev.kind === 'command' ? { text: `You said ${ev.payload.text}` } : undefined),
 * })
 * const server = await receiver.listen(3000, '0.0.0.0')
 * // register receiver.urls('https://bot.example.com').command as the slash command's URL
 * ```
 */
export function createReceiver(options: ReceiverOptions): Receiver {
  if (typeof options?.signingSecret !== 'string' || options.signingSecret.length < 16)
    throw new ConfigError(
      'createReceiver: `signingSecret` must be a string of at least 16 characters (it signs button context and dialog state). Generate one with `openssl rand -hex 32`.',
    )
  if (typeof options.dispatch !== 'function')
    throw new ConfigError('createReceiver: `dispatch` must be a function that handles receiver events.')
  const base = `/${(options.path ?? '/mattermost').replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '')
  const bodyLimit = options.bodyLimit ?? 1024 * 1024
  const ackTimeoutMs = options.ackTimeoutMs ?? 2500
  if (!(bodyLimit > 0))
    throw new ConfigError('createReceiver: `bodyLimit` must be a positive number of bytes.')
  if (!(ackTimeoutMs >= 0)) throw new ConfigError('createReceiver: `ackTimeoutMs` must be ≥ 0.')
  const logger = safeLogger(options.logger, { matterkit: 'http' })
  globalSecrets.add(options.signingSecret)
  for (const t of Array.isArray(options.commandTokens) ? options.commandTokens : []) globalSecrets.add(t)
  for (const t of Array.isArray(options.webhookTokens) ? options.webhookTokens : []) globalSecrets.add(t)
  if (!options.commandTokens && !options.verifyCommandToken)
    logger.debug({}, 'no commandTokens or verifyCommandToken: every slash command will be rejected with 401')

  const verifiers: Verifiers = {
    commandTokens: options.commandTokens,
    webhookTokens: options.webhookTokens,
    verifyCommandToken: options.verifyCommandToken,
    signingSecret: options.signingSecret,
    accepted: t => globalSecrets.add(t),
  }

  async function run(event: ReceiverEvent): Promise<ReceiverResponse> {
    let timer: NodeJS.Timeout | undefined
    const acked = new AbortController()
    const work = new Promise<unknown>(resolve =>
      resolve(options.dispatch(event, { acked: acked.signal })),
    ).then(
      value => ({ value }),
      (err: unknown) => ({ err }),
    )
    const ack = new Promise<'ack'>(resolve => {
      timer = setTimeout(() => resolve('ack'), ackTimeoutMs)
    })
    const first = await Promise.race([work, ack])
    clearTimeout(timer)
    if (first === 'ack') {
      acked.abort()
      logger.debug(
        { kind: event.kind, ackTimeoutMs },
        'handler still running: acknowledged with an empty 200',
      )
      void work.then(r => {
        if ('err' in r)
          logger.error({ ...errFields(r.err), kind: event.kind }, 'handler failed after the ack')
        else if (r.value !== undefined && r.value !== null)
          logger.warn(
            { kind: event.kind, ackTimeoutMs },
            event.kind === 'command'
              ? 'handler answered after the ack timeout: the answer was dropped; send late answers with respond(payload.response_url, …)'
              : 'handler answered after the ack timeout: the answer was dropped; answer faster or raise ackTimeoutMs',
          )
      })
      return EMPTY
    }
    if ('err' in first) {
      logger.error({ ...errFields(first.err), kind: event.kind }, 'handler failed')
      return reply({ status: 500, error: 'The integration failed to handle this request.' })
    }
    const value = first.value
    if (value === undefined || value === null) return EMPTY
    if (typeof value === 'string') {
      if (event.kind === 'command')
        return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: value }
      // Mattermost reads JSON for the other kinds: wrap the text where it belongs.
      const key = event.kind === 'action' ? 'ephemeral_text' : event.kind === 'webhook' ? 'text' : 'error'
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ [key]: value }),
      }
    }
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) }
  }

  async function route(req: ReceiverRequest): Promise<ReceiverResponse> {
    const url = new URL(req.url || '/', 'http://receiver')
    const probes = options.probes
    if (probes && req.method.toUpperCase() === 'GET') {
      const text = (status: number, body: string, type = 'text/plain; charset=utf-8'): ReceiverResponse => ({
        status,
        headers: { 'content-type': type, 'cache-control': 'no-store' },
        body,
      })
      if (url.pathname === '/healthz') return text(200, 'ok\n')
      if (url.pathname === '/readyz') {
        const why = await probes.ready().catch((err: Error) => [`probe failed: ${err.message}`])
        return why.length ? text(503, `not ready: ${why.join('; ')}\n`) : text(200, 'ready\n')
      }
      if (url.pathname === '/metrics')
        return text(200, probes.metrics(), 'text/plain; version=0.0.4; charset=utf-8')
    }
    const name = url.pathname.startsWith(`${base}/`)
      ? url.pathname.slice(base.length + 1).replace(/\/+$/, '')
      : ''
    if (!(ROUTES as readonly string[]).includes(name))
      return reply({
        status: 404,
        error: `Unknown route ${url.pathname}. Mattermost calls ${base}/command, ${base}/action, ${base}/dialog and ${base}/webhook.`,
      })
    const kind = name as Route
    const method = req.method.toUpperCase()
    const allowed = kind === 'command' ? ['POST', 'GET'] : ['POST']
    if (!allowed.includes(method))
      return reply({
        status: 405,
        error: `${base}/${kind} accepts ${allowed.join(' or ')}, not ${method}.`,
        headers: { allow: allowed.join(', ') },
      })
    const raw = req.body
    if ((typeof raw === 'string' || Buffer.isBuffer(raw)) && Buffer.byteLength(raw) > bodyLimit)
      return reply({ status: 413, error: `The body is larger than the limit of ${bodyLimit} bytes.` })

    let fromHeader: string | undefined
    if (kind === 'command') {
      fromHeader = headerToken(header(req.headers, 'authorization'))
      const early = precheckCommandToken(fromHeader, verifiers)
      if (early) {
        logger.warn({ route: kind }, 'rejected a slash command with an unknown token')
        return reply(early)
      }
    }
    let fields: Record<string, unknown>
    if (kind === 'command' && method === 'GET') fields = parseForm(url.search.slice(1))
    else if (raw !== undefined && typeof raw === 'object' && !Buffer.isBuffer(raw)) fields = raw
    else {
      const decoded = decodeBody(raw ?? '', req.headers, kind === 'command' || kind === 'webhook')
      if (!decoded.ok) return reply(decoded)
      fields = decoded.fields
    }

    let event: ReceiverEvent | Problem
    try {
      if (kind === 'command') event = await commandEvent(fields, fromHeader, verifiers)
      else if (kind === 'webhook')
        event = webhookEvent(
          fields,
          mediaType(req.headers) === 'application/x-www-form-urlencoded',
          verifiers,
        )
      else if (kind === 'action') event = actionEvent(fields, verifiers)
      else event = dialogEvent(fields, verifiers)
    } catch (err) {
      logger.error({ ...errFields(err), route: kind }, 'request verification failed')
      return reply({ status: 500, error: 'The integration could not verify this request.' })
    }
    if (isProblem(event)) {
      if (event.status === 401 || event.status === 403)
        logger.warn({ route: kind, status: event.status }, `rejected a ${kind} request: ${event.error}`)
      return reply(event)
    }
    return run(event)
  }

  async function process_(req: ReceiverRequest): Promise<ReceiverResponse> {
    try {
      const out = await route(req)
      logger.debug({ method: req.method, path: req.url.split('?')[0], status: out.status }, 'request')
      return out
    } catch (err) {
      logger.error(errFields(err), 'receiver error')
      return reply({ status: 500, error: 'Internal error.' })
    }
  }

  function send(res: ServerResponse, out: ReceiverResponse, close = false): void {
    if (res.headersSent || res.destroyed) return
    res.writeHead(out.status, {
      ...out.headers,
      'content-length': String(Buffer.byteLength(out.body)),
      ...(close ? { connection: 'close' } : {}),
    })
    res.end(out.body)
  }

  const receiver: Receiver = {
    path: base,
    bodyLimit,
    process: process_,
    async handle(req, res) {
      try {
        const body = await readNodeBody(req, bodyLimit)
        if (body === TOO_LARGE) {
          logger.warn({ path: req.url?.split('?')[0], limit: bodyLimit }, 'rejected a body over the limit')
          send(
            res,
            reply({ status: 413, error: `The body is larger than the limit of ${bodyLimit} bytes.` }),
            true,
          )
          return
        }
        send(
          res,
          await process_({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body }),
        )
      } catch (err) {
        logger.warn({ err }, 'could not read the request')
        if (!res.headersSent && !res.destroyed)
          send(res, reply({ status: 400, error: 'Could not read the request body.' }), true)
      }
    },
    async listen(port, host = '127.0.0.1') {
      // Mattermost sends small bodies at once; a client dripping headers or a body holds a socket,
      // so cap both well under Node's defaults (60 s headers, 300 s request).
      const server = builtin('node:http').createServer(
        { headersTimeout: 10_000, requestTimeout: 30_000 },
        (req, res) => void receiver.handle(req, res),
      )
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve()
        })
      })
      server.on('error', err => logger.error({ err }, 'receiver server error'))
      const a = server.address() as AddressInfo
      const shown =
        host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
      logger.info({ url: `http://${shown}:${a.port}${base}` }, 'receiver listening')
      return {
        url: `http://${shown}:${a.port}`,
        close: () =>
          new Promise<void>(resolve => {
            server.close(() => resolve())
            server.closeAllConnections()
          }),
      }
    },
    urls(publicUrl) {
      const b = `${publicUrl.replace(/\/+$/, '')}${base}`
      return {
        command: `${b}/command`,
        action: `${b}/action`,
        dialog: `${b}/dialog`,
        webhook: `${b}/webhook`,
      }
    },
  }
  return receiver
}
