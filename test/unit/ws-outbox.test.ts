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

describe('emulator flush buffer reuse', () => {
  it('a socket whose reader stalls keeps its bytes intact while later flushes reuse the buffer', async () => {
    const { createServer, connect } = await import('node:net')
    const accepted: import('node:net').Socket[] = []
    const server = createServer(s => accepted.push(s))
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as import('node:net').AddressInfo).port
    const clients = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1')]
    await Promise.all(clients.map(c => new Promise(r => c.once('connect', r))))
    while (accepted.length < 2) await new Promise(r => setTimeout(r, 5))
    const received = clients.map(() => [] as Buffer[])
    clients[0]!.on('data', (d: Buffer) => received[0]!.push(d))
    // client 1 reads nothing until the end: its kernel buffers fill, the server side queues
    const flusher = new Flusher(1 << 30)
    const targets = accepted.map(sock => ({
      outbox: new Outbox(),
      socket: () => sock,
      overflow: () => {
        throw new Error('no overflow expected')
      },
    }))
    const FLUSHES = 60
    const filler = 'x'.repeat(100_000)
    const expected: string[][] = [[], []]
    for (let f = 0; f < FLUSHES; f++) {
      targets.forEach((t, i) => {
        const prefix = `{"flush":${f},"to":${i},"pad":"${filler}"`
        t.outbox.event(Buffer.from(prefix), f)
        expected[i]!.push(`${prefix},"seq":${f}}`)
        flusher.mark(t)
      })
      await new Promise(r => setImmediate(r))
      await new Promise(r => setImmediate(r))
    }
    expect(accepted[1]!.writableLength).toBeGreaterThan(0) // the stall really happened
    clients[1]!.on('data', (d: Buffer) => received[1]!.push(d))
    const total = expected.map(e => e.reduce((n, s) => n + Buffer.byteLength(s) + 4, 0))
    const size = (i: number) => received[i]!.reduce((n, b) => n + b.length, 0)
    while (size(0) < total[0]! || size(1) < total[1]!) await new Promise(r => setTimeout(r, 10))
    expect(frames(Buffer.concat(received[0]!))).toEqual(expected[0])
    expect(frames(Buffer.concat(received[1]!))).toEqual(expected[1])
    flusher.close()
    for (const c of clients) c.destroy()
    await new Promise(r => server.close(r))
  })
})
