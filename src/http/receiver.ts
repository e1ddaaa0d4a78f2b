/**
 * The receiver for calls Mattermost makes to integrations: slash commands, interactive actions,
 * dialog submissions and outgoing webhooks. Transport only: it verifies, parses and hands a
 * typed event to `dispatch`; it never imports the bot layer.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Logger, safeLogger } from '../core/logger.js'
import type {
  CommandResponse,
  DialogSubmission,
  OutgoingWebhookRequest,
  OutgoingWebhookResponse,
  PostActionRequest,
  PostActionResponse,
  SlashCommandRequest,
  SubmitDialogResponse,
} from '../types/index.js'
import { tokenMatches, verifyPayload } from './sign.js'

/** A verified, parsed call from Mattermost. */
export type ReceiverEvent =
  | { kind: 'command'; payload: SlashCommandRequest }
  | { kind: 'action'; payload: PostActionRequest; context: Record<string, unknown> }
  | { kind: 'dialog'; payload: DialogSubmission; state: unknown }
  | { kind: 'webhook'; payload: OutgoingWebhookRequest }

/** What a handler may answer (a string is a plain-text slash-command reply). */
export type ReceiverReply =
  | CommandResponse
  | PostActionResponse
  | SubmitDialogResponse
  | OutgoingWebhookResponse
  | string

type Tokens = readonly string[] | (() => readonly string[])

/** Options of {@link createReceiver}. */
export interface ReceiverOptions {
  /** Base path (default `/mattermost`): `{path}/command`, `/action`, `/dialog`, `/webhook`. */
  path?: string
  /** Valid slash-command tokens (compared in constant time). */
  commandTokens?: Tokens
  /** Valid outgoing-webhook tokens. */
  webhookTokens?: Tokens
  /** HMAC key for the context/state the bot embeds in buttons and dialogs. */
  signingSecret: string
  /** Body size limit in bytes (default 1 MiB). */
  bodyLimit?: number
  /** Answer (empty 200) if the handler has not answered by then; it keeps running (default 2500 ms). */
  ackTimeoutMs?: number
  /** Receives every verified event. */
  dispatch(event: ReceiverEvent): Promise<ReceiverReply | undefined | undefined>
  logger?: Logger
}

/** A transport-neutral request. */
export interface ReceiverRequest {
  method: string
  /** Path (and query) of the request. */
  url: string
  headers: Record<string, string | string[] | undefined>
  /** Raw body, or an already-parsed body from a framework's body parser. */
  body: Buffer | string | Record<string, unknown> | undefined
}

/** A transport-neutral response. */
export interface ReceiverResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** The receiver. */
export interface Receiver {
  /** The transport-neutral core (used by the adapters). */
  process(req: ReceiverRequest): Promise<ReceiverResponse>
  /** A `node:http` handler. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>
  /** Start a standalone server. */
  listen(port: number, host?: string): Promise<{ url: string; close(): Promise<void> }>
  /** The URLs to register in Mattermost for a public base URL. */
  urls(publicUrl: string): { command: string; action: string; dialog: string; webhook: string }
  readonly path: string
  readonly bodyLimit: number
}

const json = (status: number, body: unknown): ReceiverResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})
const problem = (status: number, error: string): ReceiverResponse => json(status, { error })

function header(h: ReceiverRequest['headers'], name: string): string {
  const v = h[name]
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '')
}

/** Form → object; repeated keys become arrays. */
function parseForm(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of new URLSearchParams(text)) {
    const cur = out[k]
    out[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v]
  }
  return out
}

const list = (t: Tokens | undefined): readonly string[] => (typeof t === 'function' ? t() : (t ?? []))

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
 * const { url } = await receiver.listen(3000)
 * ```
 */
export function createReceiver(options: ReceiverOptions): Receiver {
  if (!options.signingSecret || options.signingSecret.length < 16) {
    throw new TypeError(
      'createReceiver: `signingSecret` must be at least 16 characters (it signs button context and dialog state).',
    )
  }
  const base = (options.path ?? '/mattermost').replace(/\/+$/, '')
  const bodyLimit = options.bodyLimit ?? 1024 * 1024
  const ackTimeoutMs = options.ackTimeoutMs ?? 2500
  const logger = safeLogger(options.logger, { component: 'matterkit:http' })

  function bodyObject(req: ReceiverRequest, allowForm: boolean): Record<string, unknown> | ReceiverResponse {
    if (req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) return req.body
    const text = req.body === undefined ? '' : req.body.toString()
    const type = header(req.headers, 'content-type').split(';')[0]!.trim().toLowerCase()
    if (type === 'application/x-www-form-urlencoded' && allowForm) return parseForm(text)
    if (type === 'application/json' || (!type && text.startsWith('{'))) {
      try {
        const v = JSON.parse(text)
        if (v && typeof v === 'object' && !Array.isArray(v)) return v
      } catch {}
      return problem(400, 'The body is not valid JSON. Mattermost sends a JSON object here.')
    }
    return problem(
      415,
      `Unsupported content type "${type || 'none'}": expected ${allowForm ? 'application/x-www-form-urlencoded or ' : ''}application/json.`,
    )
  }

  async function run(event: ReceiverEvent, empty: string): Promise<ReceiverResponse> {
    let timer: NodeJS.Timeout | undefined
    const work = options.dispatch(event).then(
      reply => ({ reply }),
      err => ({ err }),
    )
    const ack = new Promise<'ack'>(r => {
      timer = setTimeout(() => r('ack'), ackTimeoutMs)
    })
    const first = await Promise.race([work, ack])
    clearTimeout(timer)
    if (first === 'ack') {
      work.then(r => {
        if ('err' in r) logger.error({ err: String(r.err), kind: event.kind }, 'handler failed after the ack')
      })
      return { status: 200, headers: { 'content-type': 'application/json' }, body: empty }
    }
    if ('err' in first) {
      logger.error(
        { err: String((first.err as Error)?.stack ?? first.err), kind: event.kind },
        'handler failed',
      )
      return problem(500, 'The integration failed to handle this request.')
    }
    const reply = first.reply
    if (reply === undefined || reply === null)
      return { status: 200, headers: { 'content-type': 'application/json' }, body: empty }
    if (typeof reply === 'string')
      return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: reply }
    return json(200, reply)
  }

  async function process_(req: ReceiverRequest): Promise<ReceiverResponse> {
    const url = new URL(req.url, 'http://receiver')
    const route = url.pathname.startsWith(`${base}/`)
      ? url.pathname.slice(base.length + 1).replace(/\/+$/, '')
      : ''
    if (!['command', 'action', 'dialog', 'webhook'].includes(route)) {
      return problem(
        404,
        `Unknown route ${url.pathname}. Use ${base}/command, ${base}/action, ${base}/dialog or ${base}/webhook.`,
      )
    }
    const size = typeof req.body === 'string' || Buffer.isBuffer(req.body) ? Buffer.byteLength(req.body) : 0
    if (size > bodyLimit) return problem(413, `Body larger than ${bodyLimit} bytes.`)
    if (route === 'command') {
      let fields: Record<string, unknown>
      if (req.method === 'GET') fields = parseForm(url.search.slice(1))
      else if (req.method === 'POST') {
        const b = bodyObject(req, true)
        if ('status' in b && 'body' in b && typeof b.status === 'number') return b as ReceiverResponse
        fields = b as Record<string, unknown>
      } else return problem(405, 'Slash commands arrive as POST or GET.')
      const auth = header(req.headers, 'authorization')
      const presented = auth.toLowerCase().startsWith('token ')
        ? auth.slice(6).trim()
        : String(fields.token ?? '')
      if (!presented || !tokenMatches(presented, list(options.commandTokens))) {
        logger.warn(
          { command: String(fields.command ?? '') },
          'rejected a slash command with an unknown token',
        )
        return problem(
          401,
          'Invalid slash-command token. Copy the token Mattermost shows for this command into the bot config.',
        )
      }
      if (
        typeof fields.command !== 'string' ||
        typeof fields.user_id !== 'string' ||
        typeof fields.channel_id !== 'string'
      ) {
        return problem(400, 'Missing command, user_id or channel_id.')
      }
      const arr = (v: unknown): string[] =>
        v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]
      const payload = { ...(fields as unknown as SlashCommandRequest), text: String(fields.text ?? '') }
      for (const k of [
        'user_mentions',
        'user_mentions_ids',
        'channel_mentions',
        'channel_mentions_ids',
      ] as const) {
        if (fields[k] !== undefined) payload[k] = arr(fields[k])
      }
      return run({ kind: 'command', payload }, '')
    }
    if (req.method !== 'POST') return problem(405, 'Use POST.')
    const b = bodyObject(req, route === 'webhook')
    if ('status' in b && 'body' in b && typeof b.status === 'number') return b as ReceiverResponse
    const body = b as Record<string, unknown>
    if (route === 'webhook') {
      if (!tokenMatches(String(body.token ?? ''), list(options.webhookTokens))) {
        logger.warn({}, 'rejected an outgoing webhook with an unknown token')
        return problem(401, 'Invalid outgoing-webhook token.')
      }
      return run({ kind: 'webhook', payload: body as unknown as OutgoingWebhookRequest }, '')
    }
    if (route === 'action') {
      const ctx = (body.context ?? {}) as Record<string, unknown>
      const context = verifyPayload<Record<string, unknown>>(ctx._mk, options.signingSecret)
      if (!context)
        return problem(
          401,
          'The action context is not signed by this bot (forged, or the signing secret changed).',
        )
      if (typeof ctx.selected_option === 'string') context.selected_option = ctx.selected_option
      return run({ kind: 'action', payload: body as unknown as PostActionRequest, context }, '{}')
    }
    const signed = body.state
    const state = verifyPayload(signed, options.signingSecret)
    if (state === undefined)
      return problem(
        401,
        'The dialog state is not signed by this bot (forged, or the signing secret changed).',
      )
    return run({ kind: 'dialog', payload: body as unknown as DialogSubmission, state }, '{}')
  }

  async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
    if (Number(req.headers['content-length'] ?? 0) > bodyLimit) return 'too-large'
    const chunks: Buffer[] = []
    let size = 0
    for await (const c of req) {
      size += (c as Buffer).length
      if (size > bodyLimit) return 'too-large'
      chunks.push(c as Buffer)
    }
    return Buffer.concat(chunks)
  }

  const receiver: Receiver = {
    path: base,
    bodyLimit,
    process: req =>
      process_(req).catch(err => {
        logger.error({ err: String(err) }, 'receiver error')
        return problem(500, 'Internal error.')
      }),
    async handle(req, res) {
      const body = await readBody(req).catch(() => Buffer.alloc(0))
      const out =
        body === 'too-large'
          ? problem(413, `Body larger than ${bodyLimit} bytes.`)
          : await receiver.process({
              method: req.method ?? 'GET',
              url: req.url ?? '/',
              headers: req.headers,
              body,
            })
      if (body === 'too-large') res.setHeader('connection', 'close')
      res.writeHead(out.status, { ...out.headers, 'content-length': Buffer.byteLength(out.body) })
      res.end(out.body)
    },
    async listen(port, host = '127.0.0.1') {
      const server = createServer((req, res) => {
        receiver.handle(req, res).catch(() => res.destroy())
      })
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => resolve())
      })
      const a = server.address() as AddressInfo
      return {
        url: `http://${host}:${a.port}`,
        close: () =>
          new Promise<void>(r => {
            server.closeAllConnections()
            server.close(() => r())
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
