/**
 * The emulator's WebSocket hub: authentication (upgrade header or in-band challenge), `hello`,
 * per-connection `seq`, broadcast scoping, action replies, server pings and reliable resume with
 * a 128-event dead queue (`app/platform/web_conn.go`).
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { type WebSocket, WebSocketServer } from 'ws'
import { sessionForToken } from './auth.js'
import { VERSION_HEADER } from './http.js'
import {
  type Conn,
  DEAD_QUEUE,
  INACTIVE_KEPT_MS,
  MAX_BUFFERED,
  newConn,
  RING,
  rawSocket,
} from './hub-conn.js'
import { isValidId } from './ids.js'
import type { Store } from './store.js'
import type { Session } from './store-types.js'
import { answerAction } from './ws-actions.js'
import { awaitChallenge } from './ws-auth.js'
import { Flusher } from './ws-outbox.js'

/** Where an event goes (the `broadcast` object). */
export interface Scope {
  channel_id?: string
  user_id?: string
  team_id?: string
  omit_users?: Record<string, boolean>
  connection_id?: string
}

export interface HubOptions {
  pingIntervalMs: number
  authTimeoutMs: number
  /** Runs before events are written to sockets (persistence commits, so no event precedes its row). */
  beforeEvents?: () => void
}

export class Hub {
  readonly wss: WebSocketServer
  private conns = new Map<string, Conn>()
  private byUser = new Map<string, Set<Conn>>()
  private flusher: Flusher
  private pingTimer: NodeJS.Timeout
  private reapTimer: NodeJS.Timeout
  /** When true, the next resume attempts cannot replay (test fault). */
  forceGap = false

  constructor(
    private store: Store,
    private opts: HubOptions,
  ) {
    this.flusher = new Flusher(MAX_BUFFERED, opts.beforeEvents)
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 8192, perMessageDeflate: false })
    this.pingTimer = setInterval(() => {
      // a token may have expired by time since: sockets re-check their session once per tick
      this.store.authEpoch++
      for (const c of this.conns.values()) if (c.ws && c.stalledUntil < Date.now()) c.ws.ping()
    }, opts.pingIntervalMs)
    this.pingTimer.unref()
    this.reapTimer = setInterval(() => this.reap(), 60_000)
    this.reapTimer.unref()
  }

  /** Number of live (socket-attached) connections. */
  get liveCount(): number {
    let n = 0
    for (const c of this.conns.values()) if (c.ws) n++
    return n
  }

  /** Forget connections inactive for longer than `maxInactiveMs` (they can no longer resume). */
  reap(maxInactiveMs = INACTIVE_KEPT_MS): void {
    const now = this.store.wallNow()
    for (const c of this.conns.values()) {
      if (!c.ws && now - c.inactiveSince > maxInactiveMs) this.remove(c)
    }
  }

  private remove(c: Conn): void {
    this.conns.delete(c.id)
    this.byUser.get(c.userId)?.delete(c)
  }

  /** Handle an HTTP upgrade for `/api/v4/websocket`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, session: Session | undefined): void {
    const url = new URL(req.url ?? '/', 'http://x')
    const connId = url.searchParams.get('connection_id') ?? ''
    const seqParam = url.searchParams.get('sequence_number')
    if (session && connId) {
      // Malformed resume parameters: the real server closes the socket without an HTTP error.
      if (!isValidId(connId) || seqParam === null || !/^\d+$/.test(seqParam)) {
        socket.destroy()
        return
      }
    }
    this.wss.handleUpgrade(req, socket, head, ws => {
      if (session) this.attach(ws, session, connId, seqParam === null ? 0 : Number(seqParam))
      // In-band auth never resumes: always a fresh connection (hello first, then the OK reply).
      else
        awaitChallenge(ws, this.store, this.opts.authTimeoutMs, (s, seq) =>
          this.sendReply(this.attach(ws, s, '', 0), { status: 'OK', seq_reply: seq }),
        )
    })
  }

  private attach(ws: WebSocket, session: Session, connId: string, nextSeq: number): Conn {
    const { userId } = session
    let conn = connId ? this.conns.get(connId) : undefined
    if (conn && conn.userId !== userId) conn = undefined
    if (conn?.ws) {
      conn.ws.terminate()
      conn.ws = null
    }
    let resumed = false
    if (conn && !this.forceGap && nextSeq > 0) {
      const oldest = this.oldest(conn)
      if (nextSeq >= oldest && nextSeq <= conn.seq) {
        resumed = true
        conn.ws = ws
        this.flusher.drop(conn) // frames queued for the old socket must not reach the new one
        conn.stalledUntil = 0
        conn.written = nextSeq - 1
      }
    }
    if (!resumed) {
      if (conn) this.remove(conn)
      this.forceGap = false
      conn = newConn(userId, ws, c => this.cut(c))
      this.conns.set(conn.id, conn)
      let set = this.byUser.get(userId)
      if (!set) this.byUser.set(userId, (set = new Set()))
      set.add(conn)
    }
    const c = conn!
    c.token = session.token
    c.authEpoch = this.store.authEpoch
    c.authed = true
    ws.on('message', raw => this.onAction(c, ws, raw as Buffer))
    ws.on('close', () => {
      if (c.ws === ws) {
        c.ws = null
        c.inactiveSince = this.store.wallNow()
      }
    })
    ws.on('error', () => {})
    if (resumed) this.catchUp(c)
    else
      this.enqueue(
        c,
        this.encode(
          'hello',
          { server_version: VERSION_HEADER, connection_id: c.id, server_hostname: 'emulator' },
          { user_id: userId },
        ),
      )
    this.setStatus(userId, 'online')
    return c
  }

  private onAction(c: Conn, ws: WebSocket, raw: Buffer): void {
    const ok = answerAction(this.store, c.userId, raw, {
      reply: body => {
        if (c.ws === ws) this.sendReply(c, body)
      },
      broadcast: (event, data, scope) => this.broadcast(event, data, scope),
      authenticated: () => this.authed(c),
      reauthenticate: token => {
        const s = sessionForToken(this.store, token)
        if (!s || s.userId !== c.userId) return false
        c.token = token
        c.authed = true
        c.authEpoch = this.store.authEpoch
        return true
      },
    })
    if (!ok) ws.terminate()
  }

  /** Whether `c`'s session is still valid, re-checked only after a session, token or user change. */
  private authed(c: Conn): boolean {
    if (c.authEpoch !== this.store.authEpoch) {
      c.authed = !!sessionForToken(this.store, c.token)
      c.authEpoch = this.store.authEpoch
    }
    return c.authed
  }

  private setStatus(userId: string, status: 'online' | 'offline'): void {
    const s = this.store.statuses.get(userId)
    if (s && !s.manual && s.status !== status) {
      s.status = status
      s.last_activity_at = this.store.wallNow()
      this.store.touch('status', userId)
      this.broadcast('status_change', { status, user_id: userId }, { user_id: userId })
    }
  }

  /** Encode an event without its seq: the UTF-8 prefix to which `,"seq":N}` is appended. */
  private encode(event: string, data: Record<string, unknown>, scope: Scope): Buffer {
    const broadcast = {
      omit_users: scope.omit_users ?? null,
      user_id: scope.user_id ?? '',
      channel_id: scope.channel_id ?? '',
      team_id: scope.team_id ?? '',
      connection_id: scope.connection_id ?? '',
      omit_connection_id: '',
    }
    const json = JSON.stringify({ event, data, broadcast })
    return Buffer.from(json.slice(0, -1))
  }

  private cut(c: Conn): void {
    c.ws?.terminate()
    c.ws = null
    this.remove(c)
  }

  private enqueue(c: Conn, prefix: Buffer): void {
    const seq = c.seq++
    c.dead[seq & (RING - 1)] = prefix
    if (!c.ws) return
    // Fast path: a live, caught-up socket gets the event in the next flush.
    if (c.written === seq - 1 && c.stalledUntil === 0) {
      c.outbox.event(prefix, seq)
      c.written = seq
      this.flusher.mark(c)
      return
    }
    if (seq - c.written >= RING) return this.cut(c)
    this.catchUp(c)
  }

  /** Send a response frame (no seq) in order with the events of this connection. */
  private sendReply(c: Conn, body: Record<string, unknown>): void {
    if (c.ws?.readyState !== 1) return
    c.outbox.payload(Buffer.from(JSON.stringify(body)))
    this.flusher.mark(c)
  }

  /** Queue the events a live socket has not been sent yet (after a resume or a stall). */
  private catchUp(c: Conn): void {
    if (!c.ws || c.ws.readyState !== c.ws.OPEN) return
    if (c.stalledUntil > Date.now()) return
    c.stalledUntil = 0
    for (let seq = Math.max(c.written + 1, c.seq - RING); seq < c.seq; seq++) {
      c.outbox.event(c.dead[seq & (RING - 1)]!, seq)
      c.written = seq
    }
    if (c.outbox.size) this.flusher.mark(c)
  }

  /** The first seq a resume can still replay: the last DEAD_QUEUE events are kept. */
  private oldest(c: Conn): number {
    return Math.max(0, c.seq - DEAD_QUEUE)
  }

  /**
   * Send an event to every connection its scope selects. `data` is serialised once.
   * A per-user `transform` may replace the data for one recipient (e.g. `mentions`).
   */
  broadcast(
    event: string,
    data: Record<string, unknown>,
    scope: Scope,
    perUser?: (userId: string) => Record<string, unknown> | undefined,
  ): void {
    const shared = this.encode(event, data, scope)
    const targets = this.targets(scope)
    for (const c of targets) {
      const custom = perUser?.(c.userId)
      this.enqueue(c, custom ? this.encode(event, custom, scope) : shared)
    }
  }

  private targets(scope: Scope): Conn[] {
    const out: Conn[] = []
    const pick = (c: Conn): void => {
      if (scope.omit_users?.[c.userId]) return
      // As the real WebConn.IsAuthenticated: a socket whose session was revoked since (logout,
      // revoked token, deactivated user) stays open but gets no more events.
      if (!this.authed(c)) return
      out.push(c)
    }
    if (scope.connection_id) {
      const c = this.conns.get(scope.connection_id)
      if (c) pick(c)
      return out
    }
    if (scope.user_id) {
      for (const c of this.byUser.get(scope.user_id) ?? []) pick(c)
      return out
    }
    if (scope.channel_id) {
      const members = this.store.channelMembers.get(scope.channel_id)
      if (!members) return out
      for (const userId of members.keys()) for (const c of this.byUser.get(userId) ?? []) pick(c)
      return out
    }
    if (scope.team_id) {
      for (const userId of this.store.teamMembers.get(scope.team_id) ?? [])
        for (const c of this.byUser.get(userId) ?? []) pick(c)
      return out
    }
    for (const c of this.conns.values()) pick(c)
    return out
  }

  /** Fault: terminate every socket; connections stay resumable. */
  dropSockets(): void {
    for (const c of this.conns.values()) {
      if (c.ws) {
        c.ws.terminate()
        c.ws = null
        c.inactiveSince = this.store.wallNow()
      }
    }
  }

  private stallTimers = new Set<NodeJS.Timeout>()

  /** Fault: stop reading and writing on every socket for `ms` (a half-open link: no events, no pings). */
  stallSockets(ms: number): void {
    const until = Date.now() + ms
    for (const c of this.conns.values()) {
      if (!c.ws) continue
      c.stalledUntil = until
      const sock = rawSocket(c.ws)
      sock?.pause()
      const ws = c.ws
      const timer = setTimeout(() => {
        this.stallTimers.delete(timer)
        sock?.resume()
        // the timer may fire a millisecond before `until` by the wall clock: end this stall here
        if (c.stalledUntil === until) c.stalledUntil = 0
        if (c.ws === ws) this.catchUp(c)
      }, ms)
      timer.unref()
      this.stallTimers.add(timer)
    }
  }

  /** End every stall now. */
  unstall(): void {
    for (const t of this.stallTimers) clearTimeout(t)
    this.stallTimers.clear()
    for (const c of this.conns.values()) {
      if (!c.stalledUntil) continue
      c.stalledUntil = 0
      ;(c.ws ? rawSocket(c.ws) : undefined)?.resume()
      this.catchUp(c)
    }
  }

  close(): void {
    this.flusher.close()
    for (const t of this.stallTimers) clearTimeout(t)
    clearInterval(this.pingTimer)
    clearInterval(this.reapTimer)
    for (const c of this.conns.values()) c.ws?.terminate()
    this.conns.clear()
    this.byUser.clear()
    this.wss.close()
  }
}

/** The TCP socket under a `ws` WebSocket (the hub writes pre-built frames to it). */
