/**
 * The realtime client against a hostile WebSocket server (a `ws` server inside the test): any
 * frame is survived, and `connect()` always settles.
 */

import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { type WebSocket, WebSocketServer } from 'ws'
import type { Logger } from '../../src/core/logger.js'
import { Client, type PostedEvent, RealtimeClosedError, TimeoutError } from '../../src/index.js'

const servers: WebSocketServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate()
    await new Promise(r => s.close(r))
  }
})

/** A ws server on port 0 that runs `onConnection` for every socket; counts the sockets. */
async function hostile(
  onConnection: (ws: WebSocket) => void,
): Promise<{ url: string; sockets: () => number }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  servers.push(wss)
  let n = 0
  wss.on('connection', ws => {
    n++
    onConnection(ws)
  })
  await new Promise<void>(r => wss.once('listening', r))
  return { url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`, sockets: () => n }
}

function recorder(): Logger & { warns: unknown[] } {
  const warns: unknown[] = []
  const noop = (): void => {}
  return { warns, debug: noop, info: noop, warn: (o: unknown) => void warns.push(o), error: noop }
}

const post = (id: string, message: string): string =>
  JSON.stringify({ id, channel_id: 'chan', user_id: 'u1', message, create_at: Date.now(), root_id: '' })

describe('realtime against a hostile server', () => {
  it('survives null, [], numbers, strings, binary, frames without seq/event and wrong-typed data, and still delivers the next posted', async () => {
    const { url, sockets } = await hostile(ws => {
      const send = (v: unknown): void => ws.send(typeof v === 'string' ? v : JSON.stringify(v))
      send({ event: 'hello', seq: 0, data: { connection_id: 'c1', server_version: '10.0.0' }, broadcast: {} })
      for (const frame of ['null', '[]', '5', '"a string"', 'not json', '{}', '{"seq_reply":null}'])
        ws.send(frame)
      ws.send(Buffer.from([0, 1, 2, 255]), { binary: true })
      send({ event: 'posted', data: { post: post('x', 'no seq') } })
      send({ event: 'hello', seq: 'zero', data: null })
      send({ seq: 1 })
      // wrong-typed data, each with a valid seq (so the stream goes on at the next one)
      send({ event: 'posted', seq: 1, data: 5, broadcast: null })
      send({ event: 'posted', seq: 2, data: { post: 'null' }, broadcast: null })
      send({ event: 'reaction_added', seq: 3, data: { reaction: '[1,2]' }, broadcast: 7 })
      send({ event: 'typing', seq: 4, data: 'x', broadcast: null })
      send({
        event: 'posted',
        seq: 5,
        data: { post: post('p1', 'still here'), channel_type: 'O' },
        broadcast: {},
      })
    })
    const logger = recorder()
    const mm = new Client({ url, token: 'hostile-rt-token-0123456789', logger, verifyServer: false })
    const rt = mm.realtime({ backoff: { initialMs: 10, maxMs: 50 } })
    const errors: Error[] = []
    rt.on('error', e => void errors.push(e))
    const got = new Promise<PostedEvent>(resolve => rt.on('posted', resolve))
    try {
      await rt.connect()
      const ev = await got
      expect(ev.post.message).toBe('still here')
      expect(rt.lastSeq).toBe(5)
      // one socket: no frame above was worth a reconnect
      expect(sockets()).toBe(1)
      expect(rt.state).toBe('open')
      expect(errors.length).toBeGreaterThanOrEqual(10)
      expect(logger.warns.length).toBeGreaterThanOrEqual(1)
    } finally {
      await rt.close()
      await mm.close()
    }
  })

  it('connect() to a server that never sends a valid hello rejects within connectTimeoutMs', async () => {
    const { url } = await hostile(ws => {
      ws.send('garbage')
      ws.send('null')
      ws.send(JSON.stringify({ event: 'hello', data: {} }))
    })
    const mm = new Client({ url, token: 'hostile-rt-token-0123456789', verifyServer: false })
    const rt = mm.realtime({ connectTimeoutMs: 300, backoff: { initialMs: 10, maxMs: 50 } })
    try {
      const err = await rt.connect().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(TimeoutError)
      expect((err as Error).message).toContain('no valid hello')
      await expect.poll(() => rt.state).toBe('closed')
    } finally {
      await rt.close()
      await mm.close()
    }
  })

  it('close() settles a pending connect() (refused port)', async () => {
    const probe = createServer()
    await new Promise<void>(r => probe.listen(0, '127.0.0.1', r))
    const port = (probe.address() as AddressInfo).port
    await new Promise(r => probe.close(r))
    const mm = new Client({
      url: `http://127.0.0.1:${port}`,
      token: 'hostile-rt-token-0123456789',
      verifyServer: false,
    })
    const rt = mm.realtime({ backoff: { initialMs: 10, maxMs: 50 } })
    const states: string[] = []
    rt.on('state', s => void states.push(s))
    const pending = rt.connect().then(
      () => undefined,
      (e: unknown) => e,
    )
    await expect.poll(() => states.includes('reconnecting')).toBe(true)
    await rt.close()
    expect(await pending).toBeInstanceOf(RealtimeClosedError)
    await mm.close()
  })
})
