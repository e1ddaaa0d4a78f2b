/**
 * The receiver's public types: what handlers answer, its options, the framework-neutral
 * request/response it works on, and the `Receiver` itself.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '../core/logger.js'
import type {
  CommandResponse,
  OutgoingWebhookResponse,
  PostActionResponse,
  SlashCommandRequest,
  SubmitDialogResponse,
} from '../types/index.js'
import type { ReceiverEvent } from './events.js'
import type { HeaderMap } from './parse.js'

/**
 * What a handler may answer. `undefined` means "nothing to say" (an empty 200). A string is a
 * plain-text answer: for a slash command it is sent as `text/plain` (Mattermost shows it to the
 * user as an ephemeral reply); for an action it becomes `ephemeral_text`, for an outgoing webhook
 * `text`, for a dialog `error` (the dialog stays open with that message).
 *
 * @example
 * ```ts
 * const reply: ReceiverReply = { response_type: 'in_channel', text: 'Deploying…' }
 * ```
 */
export type ReceiverReply =
  | CommandResponse
  | PostActionResponse
  | SubmitDialogResponse
  | OutgoingWebhookResponse
  | string

/**
 * Options of {@link createReceiver}.
 *
 * @example
 * ```ts
 * const opts: ReceiverOptions = { signingSecret, commandTokens: [token], dispatch: async () => undefined }
 * ```
 */
export interface ReceiverOptions {
  /** Base path (default `/mattermost`): `{path}/command` (POST or GET), `/action`, `/dialog`, `/webhook`. */
  path?: string
  /** Valid slash-command tokens, compared in constant time (a function is read on every request). */
  commandTokens?: readonly string[] | (() => readonly string[])
  /** Custom slash-command token check, used when the token is not in `commandTokens`. */
  verifyCommandToken?: (token: string, req: SlashCommandRequest) => boolean | Promise<boolean>
  /** Valid outgoing-webhook tokens (a function is read on every request). */
  webhookTokens?: readonly string[] | (() => readonly string[])
  /** HMAC key (≥ 16 characters) for the context/state the bot embeds in buttons and dialogs. */
  signingSecret: string
  /** Body size limit in bytes (default 1 MiB); larger bodies get 413 and are not read further. */
  bodyLimit?: number
  /** Answer an empty 200 if the handler has not answered by then; it keeps running (default 2500 ms). */
  ackTimeoutMs?: number
  /**
   * Receives every verified event; its return value is the HTTP answer. `acked` aborts when the
   * receiver has already answered an empty 200 (after `ackTimeoutMs`): an answer is then too late
   * for the HTTP reply, so send it another way (`respond(event.payload.response_url, …)`, REST).
   */
  dispatch(
    event: ReceiverEvent,
    info: { acked: AbortSignal },
    // biome-ignore lint/suspicious/noConfusingVoidType: handlers that answer nothing may be `async () => {}`
  ): Promise<ReceiverReply | undefined | void>
  /** Logger (records are redacted; received tokens are never logged). */
  logger?: Logger
  /**
   * Operations probes at the root of the port, for a load balancer or Kubernetes:
   * `GET /healthz` (the process answers), `GET /readyz` (200, or 503 listing what `ready()`
   * reports), `GET /metrics` (the Prometheus text `metrics()` returns).
   */
  probes?: { ready(): Promise<string[]>; metrics(): string }
}

/**
 * A transport-neutral request, as the adapters build it.
 *
 * @example
 * ```ts
 * const req: ReceiverRequest = { method: 'POST', url: '/mattermost/action', headers: {}, body: '{}' }
 * ```
 */
export interface ReceiverRequest {
  method: string
  /** Path and query of the request. */
  url: string
  headers: HeaderMap
  /** Raw body, or an already-parsed body from a framework's body parser. */
  body: Buffer | string | Record<string, unknown> | undefined
}

/**
 * A transport-neutral response.
 *
 * @example
 * ```ts
 * const out: ReceiverResponse = await receiver.process(req)
 * res.writeHead(out.status, out.headers).end(out.body)
 * ```
 */
export interface ReceiverResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * A running standalone server.
 *
 * @example
 * ```ts
 * const server: ReceiverServer = await receiver.listen(3000)
 * await server.close()
 * ```
 */
export interface ReceiverServer {
  /** Base URL of the server, e.g. `http://127.0.0.1:3000` (append `receiver.path`). */
  url: string
  /** Stop accepting connections and close open ones. */
  close(): Promise<void>
}

/**
 * The receiver made by {@link createReceiver}.
 *
 * @example
 * ```ts
 * http.createServer((req, res) => void receiver.handle(req, res)).listen(3000)
 * ```
 */
export interface Receiver {
  /** The transport-neutral core (used by the adapters). Never rejects. */
  process(req: ReceiverRequest): Promise<ReceiverResponse>
  /** A `node:http` handler. Never rejects. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>
  /** Start a standalone `node:http` server (host default `127.0.0.1`; `0.0.0.0` to expose it). */
  listen(port: number, host?: string): Promise<ReceiverServer>
  /** The URLs to register in Mattermost for a public base URL. */
  urls(publicUrl: string): { command: string; action: string; dialog: string; webhook: string }
  /** The normalised base path, e.g. `/mattermost`. */
  readonly path: string
  /** The body limit in bytes. */
  readonly bodyLimit: number
}
