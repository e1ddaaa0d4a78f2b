/**
 * The emulator's outgoing WebSocket path: server→client text frames, built straight into one
 * buffer per connection per flush.
 *
 * An event is serialised once per broadcast (a UTF-8 "prefix": the JSON without its closing
 * brace); each connection's frame is that prefix plus `,"seq":N}`. Frames wait in the
 * connection's outbox and leave in one socket write when the outbox is flushed. When the hub is
 * quiet (fewer than `BUSY_FRAMES` frames flushed in the last 10–20 ms) a flush runs at the end of
 * the current turn of the event loop, so a bot's round trip gains no latency; when it is busy,
 * flushes are at most one per `COALESCE_MS`, so a connection gets its events in few large writes
 * instead of one syscall (and one read on the client) per event. All the outboxes of one flush
 * are built into a single buffer; each socket writes its slice, and the buffer serves the next
 * flush too unless a socket still holds part of it.
 * @module
 */
import { Socket } from 'node:net'
import type { Duplex } from 'node:stream'

/** Minimum time between two flushes while the hub is busy (the most a frame then waits). */
export const COALESCE_MS = 4
/** Frames flushed within the last `WINDOW_MS`–2×`WINDOW_MS` that mean "busy": flushes are then coalesced. */
export const BUSY_FRAMES = 1500
/** The length of one counting window. */
const WINDOW_MS = 10

/** The smallest flush buffer kept for reuse. */
const ARENA_MIN = 64 * 1024
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

  /** Bytes {@link drainInto} needs at most. */
  get bytes(): number {
    return this.#bytes
  }

  /** Write all queued frames into `out` from `at` (then empty); returns the end offset. */
  drainInto(out: Buffer, at: number): number {
    const { parts, seqs } = this
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!
      const seq = seqs[i]!
      if (seq < 0) {
        at = writeHeader(out, at, part.length)
        at += part.copy(out, at)
        continue
      }
      const digits = digitCount(seq)
      at = writeHeader(out, at, part.length + SEQ_KEY.length + digits + 1)
      at += part.copy(out, at)
      at += SEQ_KEY.copy(out, at)
      // the digits of seq, written backwards: no string per frame
      let n = seq
      for (let d = at + digits - 1; d >= at; d--) {
        out[d] = 48 + (n % 10)
        n = Math.floor(n / 10)
      }
      at += digits
      out[at++] = 0x7d // }
    }
    this.clear()
    return at
  }
}

const SEQ_KEY = Buffer.from(',"seq":')

function digitCount(n: number): number {
  let d = 1
  while (n >= 10) {
    n = Math.floor(n / 10)
    d++
  }
  return d
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
  #windowStart = 0
  #windowFrames = 0
  #previousFrames = 0
  #timer: NodeJS.Timeout | undefined
  /** The flush buffer, when no socket still holds a part of it. */
  #arena: Buffer | undefined

  constructor(
    private readonly maxBuffered: number,
    /** Runs before any frame is written: with `persist`, the pending changes are committed first. */
    private readonly beforeFlush: () => void = () => {},
  ) {}

  /** `t` has new frames: make sure a flush will write them. */
  mark(t: FlushTarget): void {
    this.#pending.add(t)
    if (this.#scheduled) return
    this.#scheduled = true
    const busy = this.#windowFrames + this.#previousFrames >= BUSY_FRAMES
    const wait = busy ? this.#last + COALESCE_MS - performance.now() : 0
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
    this.beforeFlush()
    this.#timer = undefined
    const now = performance.now()
    this.#last = now
    if (now - this.#windowStart >= WINDOW_MS) {
      this.#previousFrames = now - this.#windowStart < 2 * WINDOW_MS ? this.#windowFrames : 0
      this.#windowFrames = 0
      this.#windowStart = now
    }
    let frames = 0
    let bytes = 0
    const live: Array<[FlushTarget, Duplex]> = []
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
      bytes += t.outbox.bytes
      live.push([t, sock])
    }
    this.#pending.clear()
    this.#windowFrames += frames
    // One buffer for the whole flush; each socket writes its own slice of it. The buffer is
    // reused by the next flush when every socket took its slice whole (nothing left queued in
    // the stream, so nothing refers to it): no per-flush allocation of external memory, which
    // would otherwise drive V8 into a major GC every few hundred milliseconds under load.
    let out = this.#arena
    if (!out || out.length < bytes) out = Buffer.allocUnsafe(Math.max(bytes, ARENA_MIN))
    this.#arena = undefined
    let at = 0
    let held = false
    for (const [t, sock] of live) {
      const end = t.outbox.drainInto(out, at)
      sock.write(out.subarray(at, end))
      // a net.Socket with nothing queued has handed the bytes to the kernel; any other stream
      // may still hold the slice (a PassThrough keeps it unread), so it pins the buffer
      if (sock.writableLength > 0 || !(sock instanceof Socket)) held = true
      at = end
    }
    if (!held) this.#arena = out
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#pending.clear()
  }
}
