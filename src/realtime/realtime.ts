/**
 * `RealtimeClient`: the WebSocket event stream. Authenticates at the upgrade (so the server can
 * resume), keeps the link alive, reconnects forever with jittered backoff, resumes with
 * `connection_id` + `sequence_number`, and when the server cannot replay, backfills posts over
 * REST so that no `posted` event is lost.
 * @module
 */
import type WebSocket from 'ws'
import type { Client } from '../client/client.js'
import { getCredentials } from '../client/credentials.js'
import { AuthError } from '../client/errors.js'
import { TypedEmitter } from '../core/emitter.js'
import { MatterkitError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { backoffDelay, sleep } from '../core/time.js'
import type { RawWebSocketEvent, RawWebSocketResponse } from '../types/index.js'
import { PendingActions } from './actions.js'
import { backfillPosts, type ResyncInfo } from './backfill.js'
import { DecodeError, decodeEvent, type PostedEvent, type RealtimeEvent } from './events.js'
import {
  type RealtimeClientEvents,
  RealtimeClosedError,
  type RealtimeOptions,
  type RealtimeState,
} from './options.js'
import { MemoryResumeStore, type ResumeState } from './resume-store.js'

const DEDUPE_SIZE = 10_000

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
  #client: Client
  #opts: Required<Omit<RealtimeOptions, 'backfill' | 'backoff'>> & {
    backfill: RealtimeOptions['backfill']
    backoff: { initialMs: number; maxMs: number }
  }
  #ws: WebSocket | undefined
  #state: RealtimeState = 'idle'
  #connectionId = ''
  #nextSeq = 0
  /** Server time (ms) up to which posts are known delivered; a lost resume backfills from here. */
  #lastPostAt = 0
  /** No post delivered yet: `#lastPostAt` is the connect time, which a ping reply may correct. */
  #lastPostAtIsBaseline = false
  /** Server clock minus ours (ms), learnt from ping replies. */
  #clockSkew = 0
  /** While a resync is pending: the earliest `#lastPostAt` from which it must backfill. */
  #resyncFrom: number | undefined
  #serverVersion = ''
  #actions = new PendingActions()
  #delivered = new Set<string>()
  #queue: RealtimeEvent[] = []
  #waiters: Array<(r: IteratorResult<RealtimeEvent>) => void> = []
  #loop: Promise<void> | undefined
  #stopped = false
  #ready: { resolve(): void; reject(e: Error): void } | undefined
  #logger: Logger
  #saveTimer: NodeJS.Timeout | undefined
  #attempt = 0
  #WS: typeof WebSocket | undefined
  /** Ring buffer of recently delivered post ids (dedupe across backfill and live). */
  #ring: string[] = []
  #ringPos = 0

  constructor(client: Client, options: RealtimeOptions = {}) {
    super()
    this.#client = client
    this.#logger = getCredentials(client).logger
    this.#opts = {
      resumeStore: options.resumeStore ?? new MemoryResumeStore(),
      backfill: options.backfill ?? true,
      pingIntervalMs: options.pingIntervalMs ?? 30_000,
      pingTimeoutMs: options.pingTimeoutMs ?? 10_000,
      actionTimeoutMs: options.actionTimeoutMs ?? 10_000,
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
    const saved = await this.#opts.resumeStore.load()
    if (saved) {
      this.#connectionId = saved.connectionId
      this.#nextSeq = saved.lastSeq + 1
      this.#lastPostAt = saved.lastPostAt
    }
    const ready = new Promise<void>((resolve, reject) => {
      this.#ready = { resolve, reject }
    })
    this.#loop = this.#run()
    await ready
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
        this.#logger.debug({ err: String((err as Error).message) }, 'realtime connection ended')
      }
      if (this.#stopped) break
      this.#setState('reconnecting')
      const delay = backoffDelay(this.#attempt++, {
        initialMs: this.#opts.backoff.initialMs,
        maxMs: this.#opts.backoff.maxMs,
      })
      await sleep(delay, undefined, true)
    }
  }

  #fail(closed: RealtimeClosedError, cause: Error): void {
    this.#stopped = true
    this.emit('error', cause)
    this.#ready?.reject(cause)
    this.#ready = undefined
    this.#finish()
    void closed
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
    const resumedFrom = this.#connectionId
    let pingTimer: NodeJS.Timeout | undefined
    let lastPong = Date.now()
    let helloSeen = false
    return new Promise<void>((resolve, reject) => {
      const end = (err?: Error): void => {
        clearInterval(pingTimer)
        ws.removeAllListeners()
        ws.on('error', () => {})
        if (ws.readyState === 1 || ws.readyState === 0) ws.terminate()
        this.#actions.rejectAll()
        this.#scheduleSave(0)
        if (err) reject(err)
        else resolve()
      }
      ws.on('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0
        res.resume()
        if (status === 401) {
          end(
            new AuthError(
              'MK_ERR_UNAUTHORIZED',
              'The server refused the WebSocket token (401). Check the token.',
              { method: 'GET', path: '/websocket', status, serverId: '', requestId: '' },
            ),
          )
        } else end(new Error(`WebSocket upgrade answered ${status}`))
      })
      ws.on('error', err => end(err))
      ws.on('close', () => end())
      ws.on('open', () => {
        this.#attempt = 0
        const liveness = (): void => {
          if (Date.now() - lastPong > this.#opts.pingIntervalMs + this.#opts.pingTimeoutMs) {
            this.#logger.warn({}, 'realtime link silent (no pong); reconnecting')
            end()
            return
          }
          this.#action('ping', {}, this.#opts.pingTimeoutMs).then(
            () => {
              lastPong = Date.now()
            },
            () => {},
          )
        }
        pingTimer = setInterval(liveness, Math.min(this.#opts.pingIntervalMs, this.#opts.pingTimeoutMs))
        pingTimer.unref()
        // Probe the session: an unauthenticated socket answers FAIL → fall back to the in-band challenge.
        const probeSent = Date.now()
        this.#action('ping', {}, this.#opts.pingTimeoutMs).then(
          r => {
            lastPong = Date.now()
            const serverTime = Number(r.data?.server_time ?? 0)
            if (serverTime > 0) this.#learnClock(serverTime, probeSent, lastPong)
            if (r.status === 'FAIL' && r.error?.id === 'api.web_socket_router.not_authenticated.app_error') {
              // The upgrade was not authenticated (bad token, or a proxy stripped the header).
              this.#client.users.me().then(
                () =>
                  void this.#action('authentication_challenge', { token }, this.#opts.pingTimeoutMs).catch(
                    () => {},
                  ),
                err => end(err instanceof AuthError ? err : undefined),
              )
              return
            }
            if (!helloSeen && resumedFrom) this.#markOpen() // resumed: the server sends no hello
          },
          () => {},
        )
      })
      ws.on('message', (buf: Buffer) => {
        lastPong = Date.now()
        let msg: RawWebSocketEvent & RawWebSocketResponse
        try {
          msg = JSON.parse(buf.toString())
        } catch {
          this.emit('error', new DecodeError('Malformed WebSocket frame (not JSON); ignored'))
          return
        }
        if (msg.seq_reply !== undefined && msg.event === undefined) {
          this.#actions.settle(msg)
          return
        }
        if (typeof msg.event !== 'string') return
        if (msg.event === 'hello') {
          helloSeen = true
          const newId = String(msg.data?.connection_id ?? '')
          const lost = !!resumedFrom && newId !== resumedFrom
          if (this.#lastPostAt === 0) {
            // First connection: everything from now on must reach the listeners, even if the very
            // first resume is lost before any post arrived.
            this.#lastPostAt = Date.now() + this.#clockSkew
            this.#lastPostAtIsBaseline = true
          }
          const hadHistory = this.#lastPostAt > 0
          this.#logger.debug(
            { connectionId: newId, resumedFrom, lost, nextSeq: this.#nextSeq },
            lost ? 'realtime resume lost: the server started a new connection' : 'realtime hello',
          )
          this.#connectionId = newId
          this.#serverVersion = String(msg.data?.server_version ?? '')
          this.#nextSeq = msg.seq + 1
          this.#deliver(msg)
          this.#markOpen()
          if (lost && hadHistory) this.#backfill()
          return
        }
        if (msg.seq !== this.#nextSeq) {
          this.#logger.warn(
            { expected: this.#nextSeq, got: msg.seq },
            'realtime sequence gap; reconnecting to resume',
          )
          end()
          return
        }
        this.#nextSeq = msg.seq + 1
        if (!helloSeen) this.#markOpen()
        // Live events wait until the backfill has delivered the older posts (order per channel).
        if (this.#backfilling) this.#held.push(msg)
        else this.#deliver(msg)
        this.#scheduleSave(1000)
      })
    })
  }

  #markOpen(): void {
    this.#setState('open')
    this.#ready?.resolve()
    this.#ready = undefined
  }

  #deliver(raw: RawWebSocketEvent, replayed = false): void {
    let ev: RealtimeEvent
    try {
      ev = decodeEvent(raw)
    } catch (err) {
      this.emit('error', err as Error)
      return
    }
    if (replayed) ev.replayed = true
    if (ev.event === 'posted') {
      const post = (ev as PostedEvent).post
      // Events of one connection never repeat (a resume replays from the next seq), and a backfill
      // only fetches posts newer than the last one delivered in each channel. So only posts a
      // backfill delivered can come again (as live events that were in flight): those are kept.
      if (this.#delivered.size > 0 && this.#delivered.has(post.id)) return
      if (replayed) {
        this.#delivered.add(post.id)
        const evicted = this.#ring[this.#ringPos]
        if (evicted !== undefined) this.#delivered.delete(evicted)
        this.#ring[this.#ringPos] = post.id
        this.#ringPos = (this.#ringPos + 1) % DEDUPE_SIZE
      }
      if (post.create_at > this.#lastPostAt || this.#lastPostAtIsBaseline) this.#lastPostAt = post.create_at
      this.#lastPostAtIsBaseline = false
      if (!post.delete_at) this.#lastIdByChannel.set(post.channel_id, post.id)
    }
    this.emit(ev.event as 'event', ev as never)
    this.emit('event', ev)
    if (this.#waiters.length) this.#waiters.shift()!({ value: ev, done: false })
    else if (this.#iterating) this.#queue.push(ev)
  }

  #iterating = false
  #backfilling = false
  #backfillRun: Promise<void> | undefined
  #backfillAgain = false
  #lastIdByChannel = new Map<string, string>()
  #held: RawWebSocketEvent[] = []

  /**
   * REST backfill after a lost resume: every post since the last one seen, once, flagged
   * `replayed`. Runs are serialised; live events wait until it is done so order per channel holds.
   */
  #backfill(): void {
    if (this.#opts.backfill === false) return
    // A pass that fails part-way, or a second lost resume, must still start from the first gap.
    this.#resyncFrom = Math.min(this.#resyncFrom ?? this.#lastPostAt, this.#lastPostAt)
    if (this.#backfillRun) {
      this.#backfillAgain = true
      return
    }
    this.#backfilling = true
    this.#backfillRun = (async () => {
      do {
        this.#backfillAgain = false
        for (let attempt = 0; !this.#stopped; attempt++) {
          try {
            const info = await this.#backfillOnce()
            this.#logger.debug({ ...info }, 'realtime backfill pass done')
            this.emit('resynced', info)
            break
          } catch (err) {
            this.emit('error', err as Error)
            await sleep(backoffDelay(attempt, { initialMs: 100, maxMs: 5000 }), undefined, true)
          }
        }
      } while (this.#backfillAgain && !this.#stopped)
    })().finally(() => {
      this.#backfillRun = undefined
      // A lost resume reported between the loop's last check and here needs one more pass.
      if (this.#backfillAgain && !this.#stopped) {
        this.#backfill()
        return
      }
      this.#backfilling = false
      this.#resyncFrom = undefined
      for (const m of this.#held.splice(0)) this.#deliver(m)
    })
  }

  /** One backfill pass. */
  #backfillOnce(): Promise<ResyncInfo> {
    return backfillPosts(this.#client, {
      since: (this.#resyncFrom ?? this.#lastPostAt) - 1,
      limits: typeof this.#opts.backfill === 'object' ? this.#opts.backfill : {},
      lastIdIn: channelId => this.#lastIdByChannel.get(channelId),
      isDelivered: postId => this.#delivered.has(postId),
      deliver: raw => this.#deliver(raw, true),
    })
  }

  /** Learn the server's clock from a ping reply; corrects the first connection's baseline. */
  #learnClock(serverTime: number, sentAt: number, receivedAt: number): void {
    this.#clockSkew = serverTime - Math.round((sentAt + receivedAt) / 2)
    if (this.#lastPostAtIsBaseline) this.#lastPostAt = sentAt + this.#clockSkew
  }

  #scheduleSave(ms: number): void {
    if (this.#saveTimer && ms > 0) return
    clearTimeout(this.#saveTimer)
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = undefined
      const state: ResumeState = {
        connectionId: this.#connectionId,
        lastSeq: this.#nextSeq - 1,
        lastPostAt: this.#lastPostAt,
      }
      this.#opts.resumeStore.save(state).catch(err => this.emit('error', err as Error))
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

  async #ok(action: string, data: Record<string, unknown>): Promise<Record<string, unknown>> {
    const r = await this.#action(action, data)
    if (r.status !== 'OK')
      throw new MatterkitError(
        'MK_ERR_API',
        `${action} failed: ${r.error?.message ?? 'unknown error'} [${r.error?.id ?? ''}]`,
      )
    return r.data ?? {}
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
    this.#ws?.terminate()
    await this.#loop?.catch(() => {})
    this.#loop = undefined
    this.#finish()
    if (this.#connectionId)
      await this.#opts.resumeStore.save({
        connectionId: this.#connectionId,
        lastSeq: this.#nextSeq - 1,
        lastPostAt: this.#lastPostAt,
      })
  }

  #finish(): void {
    clearTimeout(this.#saveTimer)
    this.#setState('closed')
    for (const w of this.#waiters.splice(0)) w({ value: undefined, done: true })
  }

  /** Iterate over every event until `close()`. */
  [Symbol.asyncIterator](): AsyncIterator<RealtimeEvent> {
    this.#iterating = true
    return {
      next: () => {
        const ev = this.#queue.shift()
        if (ev) return Promise.resolve({ value: ev, done: false })
        if (this.#state === 'closed') return Promise.resolve({ value: undefined, done: true })
        return new Promise(r => this.#waiters.push(r))
      },
      return: async () => {
        this.#iterating = false
        return { value: undefined, done: true }
      },
    }
  }
}
