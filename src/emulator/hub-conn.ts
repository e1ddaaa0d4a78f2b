/**
 * One WebSocket connection of the emulator's hub: its record (seq, dead-queue ring, outbox,
 * session), the ring and buffer sizes, and the factory.
 * @module
 */
import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import { newId } from './ids.js'
import { type FlushTarget, Outbox } from './ws-outbox.js'

export const DEAD_QUEUE = 128
/**
 * Ring of recent event prefixes per connection (a power of two). Resume replays at most the last
 * DEAD_QUEUE events; the extra room lets a stalled live socket catch up. A live socket further
 * behind than this is closed, like the real hub does with a full send queue.
 */
export const RING = DEAD_QUEUE * 2
/** Bytes buffered for a socket beyond which its reader is considered gone (≈ the real 256-message queue). */
export const MAX_BUFFERED = 16 * 1024 * 1024

export interface Conn extends FlushTarget {
  id: string
  userId: string
  /** The session token the socket authenticated with, and whether it was still valid at `authEpoch`. */
  token: string
  authEpoch: number
  authed: boolean
  ws: WebSocket | null
  /** Next seq to assign. */
  seq: number
  /** Last seq written to the socket. */
  written: number
  /** The last RING event prefixes, at `seq & (RING - 1)` (a connection's seqs are contiguous). */
  dead: Array<Buffer | undefined>
  inactiveSince: number
  stalledUntil: number
}

/** How long an inactive connection stays resumable. */
export const INACTIVE_KEPT_MS = 5 * 60_000

/** A new connection record for `userId` on `ws`; `overflow` runs when its reader has gone. */
export function newConn(userId: string, ws: WebSocket, overflow: (c: Conn) => void): Conn {
  const c: Conn = {
    id: newId(),
    userId,
    token: '',
    authEpoch: -1,
    authed: false,
    ws,
    seq: 0,
    written: -1,
    dead: new Array<Buffer | undefined>(RING),
    outbox: new Outbox(),
    inactiveSince: 0,
    stalledUntil: 0,
    socket: () => (c.ws?.readyState === 1 ? rawSocket(c.ws) : undefined),
    // A consumer that stopped reading: like the real hub with a full send queue, close the
    // socket and forget the connection (a resume then gets a new connection_id).
    overflow: () => overflow(c),
  }
  return c
}

/** The socket under a `ws` WebSocket. */
export function rawSocket(ws: WebSocket): Duplex | undefined {
  return (ws as unknown as { _socket?: Duplex })._socket
}
