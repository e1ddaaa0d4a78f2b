import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { Flusher, Outbox } from '../../src/emulator/ws-outbox.js'

/** Decode unmasked server text frames (RFC 6455 §5.2), independently of the encoder. */
function frames(buf: Buffer): string[] {
  const out: string[] = []
  let at = 0
  while (at < buf.length) {
    expect(buf[at]).toBe(0x81)
    let len = buf[at + 1]! & 0x7f
    let head = 2
    if (len === 126) {
      len = buf.readUInt16BE(at + 2)
      head = 4
    } else if (len === 127) {
      len = Number(buf.readBigUInt64BE(at + 2))
      head = 10
    }
    out.push(buf.toString('utf8', at + head, at + head + len))
    at += head + len
  }
  expect(at).toBe(buf.length)
  return out
}

describe('emulator outbox', () => {
  it('frames each event as prefix + ,"seq":N} with the right length at every header size', () => {
    const box = new Outbox()
    const seqs = [0, 9, 10, 99, 100, 12_345_678, Number.MAX_SAFE_INTEGER]
    // payload lengths around the 7-bit / 16-bit / 64-bit length boundaries
    const sizes = [10, 116, 117, 118, 65_520, 65_535, 65_536, 70_000]
    const expected: string[] = []
    for (const size of sizes)
      for (const seq of seqs) {
        const prefix = `{"event":"posted","data":{"m":"${'é'.repeat(Math.floor(size / 4))}${'x'.repeat(size % 4)}"}`
        box.event(Buffer.from(prefix), seq)
        expected.push(`${prefix},"seq":${seq}}`)
      }
    box.payload(Buffer.from('{"status":"OK","seq_reply":1}'))
    expected.push('{"status":"OK","seq_reply":1}')
    const out = Buffer.alloc(box.bytes + 7)
    const end = box.drainInto(out, 7)
    expect(box.size).toBe(0)
    const got = frames(out.subarray(7, end))
    expect(got).toEqual(expected)
    for (const f of got.slice(0, -1)) expect(() => JSON.parse(f)).not.toThrow()
  })

  it('a flush writes each socket its own frames, from one shared buffer', async () => {
    const flusher = new Flusher(1 << 20)
    const targets = [0, 1, 2].map(i => {
      const sock = new PassThrough()
      const chunks: Buffer[] = []
      sock.on('data', (c: Buffer) => chunks.push(c))
      const outbox = new Outbox()
      return { i, sock, chunks, outbox, socket: () => sock, overflow: () => {} }
    })
    for (const t of targets) {
      for (let s = 0; s < 3; s++) t.outbox.event(Buffer.from(`{"event":"e${t.i}"`), s)
      flusher.mark(t)
    }
    await new Promise(r => setImmediate(r))
    await new Promise(r => setImmediate(r))
    for (const t of targets)
      expect(frames(Buffer.concat(t.chunks))).toEqual([0, 1, 2].map(s => `{"event":"e${t.i}","seq":${s}}`))
    flusher.close()
  })
})
