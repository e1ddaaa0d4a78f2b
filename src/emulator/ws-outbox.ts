/**
 * The emulator's outgoing WebSocket path: server→client text frames, built straight into one
 * buffer per connection per flush.
 *
 * An event is serialised once per broadcast (a UTF-8 "prefix": the JSON without its closing
 * brace); each connection's frame is that prefix plus `,"seq":N}`. Frames wait in the
 * connection's outbox and leave in one socket write when the outbox is flushed. When the hub is
 * quiet (the last flush wrote fewer than `BUSY_FRAMES` frames) a flush runs at the end of the
 * current turn of the event loop, so a bot's round trip gains no latency; when it is busy,
 * flushes are at most one per `COALESCE_MS`, so a connection gets its events in few large writes
 * instead of one syscall (and one read on the client) per event.
 * @module
 */
import type { Duplex } from 'node:stream'

/** Minimum time between two flushes while the hub is busy (the most a frame then waits). */
export const COALESCE_MS = 2
/** A flush that wrote at least this many frames means "busy": the next one is coalesced. */
export const BUSY_FRAMES = 512

/** The longest frame header (a 64-bit length). */
const MAX_HEADER = 10
/** The longest `,"seq":N}` tail (N up to Number.MAX_SAFE_INTEGER, 16 digits). */
const MAX_TAIL = 8 + 16

/** Frames queued for one socket: event prefixes with their seq, or whole payloads (`seq` -1). */
export class Outbox {
  readonly parts: Buffer[] = []
  readonly seqs: number[] = []
  #bytes = 0

  get size(): number {
    return this.parts.length
  }

  /** Queue an event: `prefix` + `,"seq":N}`. */
  event(prefix: Buffer, seq: number): void {
    this.parts.push(prefix)
    this.seqs.push(seq)
    this.#bytes += prefix.length + MAX_HEADER + MAX_TAIL
  }

  /** Queue a payload sent as is (action replies, which carry no `seq`). */
  payload(body: Buffer): void {
    this.parts.push(body)
    this.seqs.push(-1)
    this.#bytes += body.length + MAX_HEADER
  }

  clear(): void {
    this.parts.length = 0
    this.seqs.length = 0
    this.#bytes = 0
  }

  /** All queued frames in one buffer (then empty). */
  drain(): Buffer {
    const out = Buffer.allocUnsafe(this.#bytes)
    let at = 0
    const { parts, seqs } = this
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!
      const seq = seqs[i]!
      const tail = seq < 0 ? '' : `,"seq":${seq}}`
      const len = part.length + tail.length
      at = writeHeader(out, at, len)
      at += part.copy(out, at)
      if (tail) at += out.write(tail, at, 'latin1')
    }
    this.clear()
    return at === out.length ? out : out.subarray(0, at)
  }
}

/** Write a final, unmasked text-frame header for a payload of `len` bytes; returns the new offset. */
function writeHeader(buf: Buffer, at: number, len: number): number {
  buf[at] = 0x81
  if (len < 126) {
    buf[at + 1] = len
    return at + 2
  }
  if (len < 65536) {
    buf[at + 1] = 126
    buf.writeUInt16BE(len, at + 2)
    return at + 4
  }
  buf[at + 1] = 127
  buf.writeUInt32BE(Math.floor(len / 2 ** 32), at + 2)
  buf.writeUInt32BE(len >>> 0, at + 6)
  return at + 10
}

/** A socket the {@link Flusher} writes to, and what to do when its reader has gone. */
export interface FlushTarget {
  outbox: Outbox
  /** The raw socket, or undefined when the connection has no live socket. */
  socket(): Duplex | undefined
  /** Called instead of writing when the socket has more than `maxBuffered` bytes unread. */
  overflow(): void
}

/** Writes every outbox with frames, coalescing flushes while the hub is busy. */
export class Flusher {
  readonly #pending = new Set<FlushTarget>()
  #scheduled = false
  #last = 0
  #lastFrames = 0
  #timer: NodeJS.Timeout | undefined

  constructor(private readonly maxBuffered: number) {}

  /** `t` has new frames: make sure a flush will write them. */
  mark(t: FlushTarget): void {
    this.#pending.add(t)
    if (this.#scheduled) return
    this.#scheduled = true
    const wait = this.#lastFrames < BUSY_FRAMES ? 0 : this.#last + COALESCE_MS - performance.now()
    if (wait <= 0) setImmediate(this.#flush)
    else this.#timer = setTimeout(this.#flush, Math.ceil(wait))
  }

  /** Forget the frames of `t` (its socket was replaced). */
  drop(t: FlushTarget): void {
    this.#pending.delete(t)
    t.outbox.clear()
  }

  readonly #flush = (): void => {
    this.#scheduled = false
    this.#timer = undefined
    this.#last = performance.now()
    let frames = 0
    for (const t of this.#pending) {
      frames += t.outbox.size
      const sock = t.socket()
      if (!sock || sock.destroyed) {
        t.outbox.clear()
        continue
      }
      if (sock.writableLength > this.maxBuffered) {
        t.outbox.clear()
        t.overflow()
        continue
      }
      sock.write(t.outbox.drain())
    }
    this.#lastFrames = frames
    this.#pending.clear()
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#pending.clear()
  }
}
