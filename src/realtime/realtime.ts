/**
 * `RealtimeClient`: the WebSocket event stream. Authenticates at the upgrade (so the server can
 * resume), keeps the link alive, reconnects forever with jittered backoff, resumes with
 * `connection_id` + `sequence_number`, and when the server cannot replay, backfills posts over
 * REST so that no `posted` event is lost.
 * @module
 */
import type WebSocket from 'ws'
import type { RestClient } from '../client/client.js'
import { getCredentials } from '../client/credentials.js'
import { AuthError, TimeoutError } from '../client/errors.js'
import { TypedEmitter } from '../core/emitter.js'
import type { Logger } from '../core/logger.js'
import { backoffDelay, sleep } from '../core/time.js'
import type { RawWebSocketEvent, RawWebSocketResponse } from '../types/index.js'
import { PendingActions } from './actions.js'
import { backfillPosts } from './backfill.js'
import { EventQueue } from './event-queue.js'
import { DecodeError, decodeEvent, type PostedEvent, type RealtimeEvent } from './events.js'
import { PostLedger } from './ledger.js'
import {
  type RealtimeClientEvents,
  RealtimeClosedError,
  type RealtimeOptions,
  type RealtimeState,
} from './options.js'
import { FileResumeStore, MemoryResumeStore, type ResumeState, type ResumeStore } from './resume-store.js'
import { Resync } from './resync.js'

/** One socket's state, shared by the handlers of its events. */
interface Link {
  ws: WebSocket
  token: string | undefined
  /** The connection id this socket asked to resume (`''` for a fresh one). */
  resumedFrom: string
  pingTimer: NodeJS.Timeout | undefined
  lastPong: number
  helloSeen: boolean
  malformed: number
  /** End the socket's life (an error rejects `#session`, nothing resolves it). */
  end(err?: Error): void
}

/**
 * A live event stream.
 *
 * @example
 * ```ts
 * const rt = mm.realtime()
 * rt.on('posted', ev => console.log(ev.post.message))
 * await rt.connect()
 * ```
 */
export class RealtimeClient extends TypedEmitter<RealtimeClientEvents> {
  #client: RestClient
  #opts: Required<Omit<RealtimeOptions, 'backfill' | 'backoff' | 'resumeStore'>> & {
    backfill: RealtimeOptions['backfill']
    backoff: { initialMs: number; maxMs: number }
    resumeStore: ResumeStore
  }
  #ws: WebSocket | undefined
  #state: RealtimeState = 'idle'
  #connectionId = ''
  #nextSeq = 0
  #ledger = new PostLedger()
  #resync = new Resync({
    lastPostAt: () => this.#ledger.lastPostAt,
    pass: since =>
      backfillPosts(this.#client, {
        since,
        limits: typeof this.#opts.backfill === 'object' ? this.#opts.backfill : {},
        lastIn: channelId => this.#ledger.lastIn(channelId),
        isDelivered: post => this.#ledger.isDelivered(post),
        deliver: ev => this.#emitEvent(ev),
      }),
    deliver: raw => this.#deliver(raw),
    passed: info => {
      this.#logger.info({ ...info }, 'realtime resync done: missed posts fetched over REST')
      this.emit('resynced', info)
    },
    failed: err => this.emit('error', err),
    stopped: () => this.#stopped,
  })
  #serverVersion = ''
  #actions = new PendingActions()
  #events = new EventQueue<RealtimeEvent>()
  #loop: Promise<void> | undefined
  #stopped = false
  #ready: { resolve(): void; reject(e: Error): void } | undefined
  #backoff: AbortController | undefined
  #logger: Logger
  #saveTimer: NodeJS.Timeout | undefined
  #attempt = 0
  /** Why the stream is not open yet, for the message of a connect timeout. */
  #notOpenBecause = 'no answer yet'
  #WS: typeof WebSocket | undefined

  constructor(client: RestClient, options: RealtimeOptions = {}) {
    super()
    this.#client = client
    this.#logger = getCredentials(client).logger
    this.#opts = {
      resumeStore:
        typeof options.resumeStore === 'string'
          ? new FileResumeStore(options.resumeStore)
          : (options.resumeStore ?? new MemoryResumeStore()),
      backfill: options.backfill ?? true,
      pingIntervalMs: options.pingIntervalMs ?? 30_000,
      pingTimeoutMs: options.pingTimeoutMs ?? 10_000,
      actionTimeoutMs: options.actionTimeoutMs ?? 10_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      backoff: { initialMs: options.backoff?.initialMs ?? 500, maxMs: options.backoff?.maxMs ?? 30_000 },
    }
    this.onListenerError = err => this.#logger.error({ err }, 'realtime listener threw')
  }

  get state(): RealtimeState {
    return this.#state
  }
  get connectionId(): string {
    return this.#connectionId
  }
  /** The last event seq received. */
  get lastSeq(): number {
    return this.#nextSeq - 1
  }
  get serverVersion(): string {
    return this.#serverVersion
  }

  #setState(s: RealtimeState): void {
    if (this.#state === s) return
    this.#state = s
    this.emit('state', s)
  }

  /** Connect; resolves once the stream is live (hello received or resumed). Reconnects on its own after that. */
  async connect(): Promise<void> {
    if (this.#loop) return
    this.#stopped = false
    this.#events.reopen()
    const saved = await this.#opts.resumeStore.load()
    if (saved) {
      this.#connectionId = saved.connectionId
      this.#nextSeq = saved.lastSeq + 1
      this.#ledger.lastPostAt = saved.lastPostAt
    }
    const ready = new Promise<void>((resolve, reject) => {
      this.#ready = { resolve, reject }
    })
    this.#loop = this.#run()
    const ms = this.#opts.connectTimeoutMs
    // A server that never sends a valid hello (another WebSocket service, a proxy) must not
    // leave connect() pending for ever.
    const timer = ms > 0 ? setTimeout(() => this.#connectTimedOut(ms), ms) : undefined
    try {
      await ready
    } finally {
      clearTimeout(timer)
    }
  }

  #connectTimedOut(ms: number): void {
    const ready = this.#ready
    if (!ready) return
    this.#ready = undefined
    const { url } = getCredentials(this.#client)
    ready.reject(
      new TimeoutError(
        { method: 'GET', path: '/websocket', timeoutMs: ms },
        `realtime connect() to ${url.websocket} did not open within ${ms} ms (${this.#notOpenBecause}). Check that the URL is a Mattermost server and that any proxy passes WebSockets through; raise \`connectTimeoutMs\` if the server is slow.`,
      ),
    )
    void this.close()
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      this.#setState(
        this.#attempt === 0 && !this.#connectionId
          ? 'connecting'
          : this.#state === 'idle'
            ? 'connecting'
            : 'reconnecting',
      )
      try {
        this.#WS ??= (await import('ws')).default
        await this.#session()
      } catch (err) {
        if (err instanceof AuthError) {
          this.#fail(
            new RealtimeClosedError(`Realtime authentication failed: ${err.message}`, { cause: err }),
            err,
          )
          return
        }
        this.#notOpenBecause = `last attempt: ${String((err as Error).message)}`
        this.#logger.info({ err }, 'realtime connection ended; reconnecting')
      }
      if (this.#stopped) break
      this.#setState('reconnecting')
      const delay = backoffDelay(this.#attempt++, {
        initialMs: this.#opts.backoff.initialMs,
        maxMs: this.#opts.backoff.maxMs,
      })
      // A ref'd timer: a client that was started keeps the process alive while it waits to
      // reconnect (nothing else may be left once the socket is gone); close() cuts the wait short.
      const wait = new AbortController()
      this.#backoff = wait
      await sleep(delay, wait.signal).catch(() => {})
      this.#backoff = undefined
    }
  }

  /** Closed for good by a failure: `connect()` rejects with the cause, and a `for await` loop
   * over the stream throws `closed` (whose `cause` it is) instead of ending as after `close()`. */
  #fail(closed: RealtimeClosedError, cause: Error): void {
    this.#stopped = true
    this.emit('error', cause)
    this.#ready?.reject(cause)
    this.#ready = undefined
    this.#events.fail(closed)
    this.#finish()
  }

  /** One socket's life: resolves/rejects when it ends. */
  #session(): Promise<void> {
    const { token, url, tls, userAgent } = getCredentials(this.#client)
    const resume = this.#connectionId
      ? `?connection_id=${this.#connectionId}&sequence_number=${this.#nextSeq}`
      : ''
    const WS = this.#WS!
    const ws = new WS(`${url.websocket}${resume}`, {
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'User-Agent': userAgent },
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.ca ? { ca: tls.ca } : {}),
      handshakeTimeout: 15_000,
      perMessageDeflate: false,
      // Frames are JSON text: a bad byte makes JSON.parse fail (reported), so ws need not scan each one.
      skipUTF8Validation: true,
    })
    this.#ws = ws
    return new Promise<void>((resolve, reject) => {
      const link: Link = {
        ws,
        token,
        resumedFrom: this.#connectionId,
        pingTimer: undefined,
        lastPong: Date.now(),
        helloSeen: false,
        malformed: 0,
        end: err => {
          clearInterval(link.pingTimer)
          ws.removeAllListeners()
          ws.on('error', () => {})
          if (ws.readyState === 1 || ws.readyState === 0) ws.terminate()
          this.#actions.rejectAll()
          this.#scheduleSave(0)
          if (err) reject(err)
          else resolve()
        },
      }
      ws.on('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0
        res.resume()
        link.end(
          status === 401
            ? new AuthError('The server refused the WebSocket token (401). Check the token.', {
                method: 'GET',
                path: '/websocket',
                status,
                serverId: '',
                requestId: '',
              })
            : new Error(`WebSocket upgrade answered ${status}`),
        )
      })
      ws.on('error', err => link.end(err))
      ws.on('close', () => link.end())
      ws.on('open', () => this.#onOpen(link))
      ws.on('message', (buf: Buffer, isBinary: boolean) => this.#onFrame(link, buf, isBinary))
    })
  }

  /** The socket is open: start the liveness pings and probe whether the upgrade authenticated. */
  #onOpen(link: Link): void {
    this.#attempt = 0
    this.#notOpenBecause = 'the WebSocket opened, but no valid hello arrived'
    const liveness = (): void => {
      if (Date.now() - link.lastPong > this.#opts.pingIntervalMs + this.#opts.pingTimeoutMs) {
        this.#logger.warn({}, 'realtime link silent (no pong); reconnecting')
        link.end()
        return
      }
      this.#action('ping', {}, this.#opts.pingTimeoutMs).then(
        () => {
          link.lastPong = Date.now()
        },
        () => {},
      )
    }
    link.pingTimer = setInterval(liveness, Math.min(this.#opts.pingIntervalMs, this.#opts.pingTimeoutMs))
    link.pingTimer.unref()
    // Probe the session: an unauthenticated socket answers FAIL → fall back to the in-band challenge.
    const probeSent = Date.now()
    this.#action('ping', {}, this.#opts.pingTimeoutMs).then(
      r => {
        link.lastPong = Date.now()
        const serverTime = Number(r.data?.server_time ?? 0)
        if (serverTime > 0) this.#ledger.learnClock(serverTime, probeSent, link.lastPong)
        if (r.status === 'FAIL' && r.error?.id === 'api.web_socket_router.not_authenticated.app_error') {
          // The upgrade was not authenticated (bad token, or a proxy stripped the header).
          this.#client.users.me().then(
            () =>
              void this.#action(
                'authentication_challenge',
                { token: link.token },
                this.#opts.pingTimeoutMs,
              ).catch(() => {}),
            err => link.end(err instanceof AuthError ? err : undefined),
          )
          return
        }
        if (!link.helloSeen && link.resumedFrom) this.#markOpen() // resumed: the server sends no hello
      },
      () => {},
    )
  }

  /**
   * A frame no Mattermost server sends: logged (warn once per socket, then debug) and dropped;
   * the socket stays up, so a hostile frame costs nothing but the log line.
   */
  #ignore(link: Link, what: string): void {
    const log = link.malformed++ === 0 ? this.#logger.warn : this.#logger.debug
    log.call(this.#logger, { frame: what }, 'realtime: malformed frame from the server ignored')
    this.emit('error', new DecodeError(`Malformed WebSocket frame (${what}); ignored`))
  }

  /** One frame: an action's reply, the hello, or the next event in sequence. */
  #onFrame(link: Link, buf: Buffer, isBinary: boolean): void {
    link.lastPong = Date.now()
    // Mattermost sends JSON text frames only (server/channels/app/platform/web_conn.go).
    if (isBinary) return this.#ignore(link, 'binary')
    let parsed: unknown
    try {
      parsed = JSON.parse(buf.toString())
    } catch {
      return this.#ignore(link, 'not JSON')
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return this.#ignore(link, parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed)
    const msg = parsed as RawWebSocketEvent & RawWebSocketResponse
    if (msg.seq_reply !== undefined && msg.event === undefined) {
      this.#actions.settle(msg)
      return
    }
    if (typeof msg.event !== 'string') return this.#ignore(link, 'no event and no seq_reply')
    // Every event of a connection carries its sequence number, hello included (seq 0).
    if (!Number.isSafeInteger(msg.seq) || msg.seq < 0)
      return this.#ignore(link, `${msg.event} without a valid seq`)
    if (msg.event === 'hello') return this.#onHello(link, msg)
    if (msg.seq !== this.#nextSeq) {
      this.#logger.warn(
        { expected: this.#nextSeq, got: msg.seq },
        'realtime sequence gap; reconnecting to resume',
      )
      link.end()
      return
    }
    this.#nextSeq = msg.seq + 1
    if (!link.helloSeen) this.#markOpen()
    // Live events wait until the backfill has delivered the older posts (order per channel).
    if (this.#resync.active) this.#resync.hold(msg)
    else this.#deliver(msg)
    this.#scheduleSave(1000)
  }

  /** A hello: a new connection (the resume was lost when its id is not the one we asked for). */
  #onHello(link: Link, msg: RawWebSocketEvent): void {
    link.helloSeen = true
    const newId = String(msg.data?.connection_id ?? '')
    const { resumedFrom } = link
    const lost = !!resumedFrom && newId !== resumedFrom
    this.#ledger.baselineIfEmpty()
    const hadHistory = this.#ledger.lastPostAt > 0
    // A lost resume means missed events (warn); a resumed reconnect is worth an info line.
    const log = lost ? this.#logger.warn : resumedFrom ? this.#logger.info : this.#logger.debug
    log(
      { connectionId: newId, resumedFrom, lost, nextSeq: this.#nextSeq },
      lost
        ? 'realtime resume lost: the server started a new connection; resyncing over REST'
        : resumedFrom
          ? 'realtime reconnected and resumed'
          : 'realtime hello',
    )
    this.#connectionId = newId
    this.#serverVersion = String(msg.data?.server_version ?? '')
    this.#nextSeq = msg.seq + 1
    this.#deliver(msg)
    this.#markOpen()
    if (lost && hadHistory && this.#opts.backfill !== false) this.#resync.start()
  }

  #markOpen(): void {
    this.#setState('open')
    this.#ready?.resolve()
    this.#ready = undefined
  }

  /** Decode a live frame and hand it to listeners. */
  #deliver(raw: RawWebSocketEvent): void {
    let ev: RealtimeEvent
    try {
      ev = decodeEvent(raw)
    } catch (err) {
      this.emit('error', err as Error)
      return
    }
    this.#emitEvent(ev)
  }

  /** Hand a typed event (live, or rebuilt by the backfill) to listeners, once per post. */
  #emitEvent(ev: RealtimeEvent): void {
    if (ev.event === 'posted' && !this.#ledger.admit((ev as PostedEvent).post, ev.replayed === true)) return
    this.emit(ev.event as 'event', ev as never)
    this.emit('event', ev)
    this.#events.push(ev)
  }

  #scheduleSave(ms: number): void {
    if (this.#saveTimer && ms > 0) return
    clearTimeout(this.#saveTimer)
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = undefined
      this.#opts.resumeStore.save(this.#resumeState()).catch(err => this.emit('error', err as Error))
    }, ms)
    this.#saveTimer.unref()
  }

  /** Send an action and await its `seq_reply`. */
  #action(
    action: string,
    data: Record<string, unknown>,
    timeoutMs = this.#opts.actionTimeoutMs,
  ): Promise<RawWebSocketResponse> {
    return this.#actions.send(this.#ws, action, data, timeoutMs)
  }

  #ok(action: string, data: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.#actions.sendOk(this.#ws, action, data, this.#opts.actionTimeoutMs)
  }

  /** Show "… is typing" (awaits the server's reply). */
  async typing(channelId: string, parentId = ''): Promise<void> {
    await this.#ok('user_typing', { channel_id: channelId, parent_id: parentId })
  }
  /** Statuses of users currently not offline. */
  async getStatuses(): Promise<Record<string, string>> {
    return (await this.#ok('get_statuses', {})) as Record<string, string>
  }
  async getStatusesByIds(ids: string[]): Promise<Record<string, string>> {
    return (await this.#ok('get_statuses_by_ids', { user_ids: ids })) as Record<string, string>
  }
  /** Round-trip ping; resolves with the server's reply data. */
  async ping(): Promise<{ text: string; version: string; server_time: number }> {
    return (await this.#ok('ping', {})) as { text: string; version: string; server_time: number }
  }

  /** Close for good. */
  async close(): Promise<void> {
    this.#stopped = true
    this.#backoff?.abort()
    // A connect() still waiting settles now, whatever the loop is doing.
    const ready = this.#ready
    this.#ready = undefined
    ready?.reject(new RealtimeClosedError('close() was called before the realtime stream opened'))
    this.#ws?.terminate()
    await this.#loop?.catch(() => {})
    this.#loop = undefined
    this.#finish()
    if (this.#connectionId) await this.#opts.resumeStore.save(this.#resumeState())
  }

  #resumeState(): ResumeState {
    return {
      connectionId: this.#connectionId,
      lastSeq: this.#nextSeq - 1,
      lastPostAt: this.#ledger.lastPostAt,
    }
  }

  #finish(): void {
    clearTimeout(this.#saveTimer)
    this.#setState('closed')
    this.#events.close()
  }

  /** Iterate over every event until `close()`. */
  [Symbol.asyncIterator](): AsyncIterator<RealtimeEvent> {
    return this.#events.iterator()
  }
}
