/**
 * `Client`: the typed Mattermost REST v4 client.
 * @module
 */
import { TypedEmitter } from '../core/emitter.js'
import { ConfigError } from '../core/errors.js'
import { type Logger, safeLogger } from '../core/logger.js'
import { globalSecrets } from '../core/redact.js'
import { normaliseServerUrl, type ServerUrl } from '../core/url.js'
import type { User } from '../types/index.js'
import { setCredentials } from './credentials.js'
import type { Requester } from './resource-base.js'
import { Bots, Commands, Misc, Tokens, Webhooks } from './resources-integrations.js'
import { Channels, Teams, Threads, Users } from './resources-people.js'
import { Files, Posts, Reactions } from './resources-posts.js'
import {
  type RateLimitInfo,
  type RawResponse,
  type RequestOptions,
  type RetryOptions,
  Transport,
} from './transport.js'
import type { HttpStack } from './wire.js'

/** Password login (sessions expire; prefer a bot token for long-running bots). */
export interface LoginOptions {
  loginId: string
  password: string
  mfaToken?: string
}

/** Options of {@link Client}. */
export interface ClientOptions {
  /** Server URL: `chat.example.com`, `https://chat.example.com/mattermost`… */
  url: string
  /** Bot or personal access token. */
  token?: string
  /** Password login instead of a token; call `login()` before other calls. */
  login?: LoginOptions
  /**
   * Deadline of each request, from sending it to the last byte of its body (default 30 000 ms;
   * 0 turns it off). A download (`files.download`) has it as an idle timeout between chunks instead.
   */
  timeoutMs?: number
  /**
   * Largest response body read whole, in bytes (default 50 MB; 0: no limit). A larger answer
   * closes the connection and throws `ResponseTooLargeError`; memory stays bounded whatever the
   * server sends. Downloads (`files.download`) are streamed and not limited.
   */
  maxResponseBytes?: number
  /** pino-compatible logger; records are redacted. Default: silent. */
  logger?: Logger
  /** Maximum requests in flight (default 32). */
  maxConcurrency?: number
  /** Retry policy for 429, idempotent 5xx and network errors; `false` disables. */
  retry?: RetryOptions | false
  /** On 429: wait and retry (default) or throw `RateLimitedError`. */
  onRateLimit?: 'wait' | 'throw'
  /** Extra CA certificate(s) (PEM). */
  ca?: string | Buffer
  /** Skip TLS verification. Dangerous: logs a warning. */
  insecure?: boolean
  userAgent?: string
  /** Check `/system/ping` before the first call (default true). */
  verifyServer?: boolean
  /**
   * The HTTP stack under the client (default `'auto'`). All three honour `timeoutMs`,
   * `AbortSignal`, streaming upload/download, `ca`/`insecure`, retries and the concurrency cap.
   * - `'node'`: `node:http`/`node:https` with a keep-alive agent of `maxConcurrency` sockets.
   *   Nothing extra is loaded, so start-up and memory stay small.
   * - `'undici'`: an undici `Pool` of `maxConcurrency` connections, loaded on the first request.
   *   Faster when many requests are in flight at once; about 20 MB more memory.
   * - `'auto'`: `node:http` while the client is quiet; undici, from then on, once it is busy
   *   (8 requests in flight at once, or 20 started within one second). An idle or lightly used
   *   bot never loads undici; a busy one gets its speed.
   */
  http?: HttpStack
}

/** Events of a {@link Client}. */
export type ClientEvents = {
  rateLimited: [info: RateLimitInfo]
}

/**
 * The REST half of {@link Client}: every resource, auth and the transport. Use `Client`, which
 * adds `realtime()`; this class exists so the client layer needs nothing from the realtime layer.
 *
 * @example
 * ```ts
 * const mm = new Client({ url: 'chat.example.com', token: process.env.MATTERMOST_TOKEN })
 * const me = await mm.users.me()
 * await mm.posts.create({ channel_id, message: `Hello from ${me.username}` })
 * ```
 */
export class RestClient extends TypedEmitter<ClientEvents> {
  /** The normalised server URL. */
  readonly url: ServerUrl
  readonly users: Users
  readonly teams: Teams
  readonly channels: Channels
  /** The calling user's collapsed reply threads. */
  readonly threads: Threads
  readonly posts: Posts
  readonly reactions: Reactions
  readonly files: Files
  readonly commands: Commands
  readonly webhooks: Webhooks
  readonly bots: Bots
  readonly tokens: Tokens
  /** System ping, emoji, preferences, dialogs. */
  readonly system: Misc
  #token: string | undefined
  #login: LoginOptions | undefined
  #transport: Transport
  #meId: string | undefined
  readonly #logger: Logger

  constructor(options: ClientOptions) {
    super()
    if (!options || typeof options !== 'object')
      throw new ConfigError('new Client({ url, token }) needs an options object.')
    this.url = normaliseServerUrl(options.url)
    if (!options.token && !options.login) {
      throw new ConfigError(
        'Pass `token` (a bot or personal access token; env MATTERMOST_TOKEN) or `login: { loginId, password }`.',
      )
    }
    this.#token = options.token?.trim()
    this.#login = options.login
    globalSecrets.add(this.#token)
    globalSecrets.add(options.login?.password)
    globalSecrets.add(options.login?.mfaToken)
    this.#logger = safeLogger(options.logger, { matterkit: 'client' })
    if (options.insecure) {
      this.#logger.warn(
        { url: this.url.base },
        'TLS certificate verification is DISABLED (insecure: true). Never use this in production.',
      )
      process.emitWarning(`matterkit: TLS verification disabled for ${this.url.base}`)
    }
    const retry =
      options.retry === false
        ? false
        : { retries: 5, minDelayMs: 250, maxDelayMs: 30_000, maxRetryAfterMs: 300_000, ...options.retry }
    const tls = { rejectUnauthorized: !options.insecure, ...(options.ca ? { ca: options.ca } : {}) }
    const userAgent = options.userAgent ?? 'matterkit/0.1'
    this.#transport = new Transport({
      url: this.url,
      getToken: () => this.#token,
      timeoutMs: options.timeoutMs ?? 30_000,
      maxResponseBytes: options.maxResponseBytes ?? 50 * 1024 * 1024,
      maxConcurrency: options.maxConcurrency ?? 32,
      retry,
      onRateLimit: options.onRateLimit ?? 'wait',
      tls,
      userAgent,
      logger: this.#logger,
      verifyServer: options.verifyServer ?? true,
      http: options.http ?? 'auto',
      onRateLimited: info => {
        this.#logger.warn(info, 'rate limited by the server; pausing all requests')
        this.emit('rateLimited', info)
      },
    })
    setCredentials(this, () => ({ token: this.#token, url: this.url, tls, userAgent, logger: this.#logger }))
    const r: Requester = {
      request: (m, p, o) => this.request(m, p, o),
      stream: (m, p, o) => this.#transport.stream(m, p, o),
      postAbsolute: (u, b) => this.postTo(u, b),
      baseUrl: this.url.base,
    }
    this.users = new Users(r)
    this.teams = new Teams(r)
    this.channels = new Channels(r)
    this.threads = new Threads(r)
    // pending_post_id: unique per client (random seed) and per call (counter); no crypto per post.
    const seed = Math.floor(Math.random() * 2 ** 48).toString(36)
    let n = 0
    this.posts = new Posts(r, () => `${this.#meId ?? 'mk'}:${Date.now()}:${seed}${(++n).toString(36)}`)
    this.reactions = new Reactions(r, () => this.myId())
    this.files = new Files(r)
    this.commands = new Commands(r)
    this.webhooks = new Webhooks(r)
    this.bots = new Bots(r)
    this.tokens = new Tokens(r)
    this.system = new Misc(r)
  }

  /**
   * Log in with the `login` credentials (reads the session from the `Token` header).
   *
   * @example
   * ```ts
   * const mm = new Client({ url, login: { loginId: 'alice', password } })
   * const me = await mm.login()
   * ```
   */
  async login(): Promise<User> {
    const l = this.#login
    if (!l) {
      const me = await this.users.me()
      this.#meId = me.id
      return me
    }
    const res = await this.#transport.requestFull<User>('POST', '/users/login', {
      anonymous: true,
      body: { login_id: l.loginId, password: l.password, ...(l.mfaToken ? { token: l.mfaToken } : {}) },
    })
    const token = res.headers.token
    const t = Array.isArray(token) ? token[0] : token
    if (!t)
      throw new ConfigError(
        'The server accepted the login but sent no Token header; is a proxy stripping it?',
      )
    this.#token = t
    globalSecrets.add(t)
    this.#meId = res.data.id
    return res.data
  }

  /** The id of the authenticated user (fetched once). */
  async myId(): Promise<string> {
    this.#meId ??= (await this.users.me()).id
    return this.#meId
  }

  /**
   * Hold every request of this client until `at` (epoch ms), as a 429 from the server does: for
   * processes sharing one token, where another process saw the 429 (cluster mode does this).
   *
   * @example
   * ```ts
   * mm.pauseUntil(Date.now() + 2000)
   * ```
   */
  pauseUntil(at: number): void {
    this.#transport.pauseUntil(at)
  }

  /**
   * Raw escape hatch: any endpoint, with auth, retries, rate limiting and redaction.
   *
   * @example
   * ```ts
   * const groups = await mm.request<unknown[]>('GET', '/groups', { query: { page: 0 } })
   * ```
   */
  request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return this.#transport.request<T>(method.toUpperCase(), rawPath(path), opts)
  }

  /**
   * Like {@link request}, with the response's status and headers.
   *
   * @example
   * ```ts
   * const { status, headers, data } = await mm.requestFull('GET', '/users/me')
   * console.log(status, headers['x-request-id'], data)
   * ```
   */
  async requestFull<T = unknown>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<RawResponse<T>> {
    const res = await this.#transport.requestFull<T>(method.toUpperCase(), rawPath(path), opts)
    hideSecretHeaders(res.headers)
    const token = res.headers.token
    if (typeof token === 'string' && token) globalSecrets.add(token)
    return res
  }

  /**
   * POST to an absolute URL (an incoming webhook, a slash command's `response_url`) through the
   * same transport as every API call (TLS options, timeouts, 429 handling, typed errors); the
   * token is never sent there. @internal
   */
  postTo(url: string, body: unknown, opts: { signal?: AbortSignal } = {}): Promise<string> {
    return this.#transport.postTo(url, body, opts.signal)
  }

  /** Close keep-alive connections. */
  close(): Promise<void> {
    return this.#transport.close()
  }

  override toString(): string {
    return `Client(${this.url.base})`
  }

  toJSON(): Record<string, unknown> {
    return { url: this.url.base }
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }
}

/** A raw-call path with its leading slash. */
function rawPath(path: string): string {
  return path.startsWith('/') ? path : `/${path}`
}

/** Headers that carry a session: readable, but left out of inspect, JSON and spreads. */
const SECRET_HEADERS = ['token', 'set-cookie'] as const

function hideSecretHeaders(headers: RawResponse['headers']): void {
  for (const name of SECRET_HEADERS) {
    if (headers[name] === undefined) continue
    Object.defineProperty(headers, name, { enumerable: false })
  }
}
