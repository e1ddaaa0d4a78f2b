/**
 * Any frame an authenticated client sends is answered as the server answers it, and the
 * emulator keeps serving: platform/web_conn.go readPump decodes a frame into
 * model.WebSocketRequest and drops the connection when that fails; a decoded request with no
 * action or seq gets the router's error reply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type Seeded, Sock, startSeeded } from './helpers.js'

let s: Seeded
beforeAll(async () => {
  s = await startSeeded()
})
afterAll(async () => {
  await s.emu.stop()
})

async function opened(): Promise<Sock> {
  const sock = await Sock.open(s.emu, s.alice)
  await sock.until(x => x.events('hello').length > 0)
  return sock
}

describe('WebSocket frames of any shape', () => {
  const replied: Array<[string, number, string]> = [
    ['null', 0, 'api.web_socket_router.no_action.app_error'],
    ['{}', 0, 'api.web_socket_router.no_action.app_error'],
    ['{"action":null,"seq":3}', 3, 'api.web_socket_router.no_action.app_error'],
    ['{"action":"ping","seq":null}', 0, 'api.web_socket_router.bad_seq.app_error'],
    ['{"action":"ping","seq":-4}', -4, 'api.web_socket_router.bad_seq.app_error'],
    ['{"action":"nosuch","seq":5}', 5, 'api.web_socket_router.bad_action.app_error'],
  ]
  for (const [frame, seq, id] of replied)
    it(`${frame} gets the router's error reply and the socket stays open`, async () => {
      const sock = await opened()
      sock.ws.send(frame)
      const reply = await sock.until(x => x.frames.find(f => f.status === 'FAIL'))
      expect(reply.seq_reply).toBe(seq)
      expect(reply.error.id).toBe(id)
      // still served: a ping on the same socket is answered
      sock.ws.send(JSON.stringify({ action: 'ping', seq: 9 }))
      const pong = await sock.until(x => x.frames.find(f => f.seq_reply === 9))
      expect(pong.status).toBe('OK')
      sock.ws.close()
    })

  it('{"action":"ping","seq":7,"data":null} is an ordinary ping', async () => {
    const sock = await opened()
    sock.ws.send('{"action":"ping","seq":7,"data":null}')
    const pong = await sock.until(x => x.frames.find(f => f.seq_reply === 7))
    expect(pong.status).toBe('OK')
    expect(pong.data.text).toBe('pong')
    sock.ws.close()
  })

  const closing: Array<string | Buffer> = [
    '[]',
    '[1,2]',
    '5',
    '"s"',
    'true',
    'not json {',
    '{"action":5,"seq":1}',
    '{"action":"ping","seq":"1"}',
    '{"action":"ping","seq":1.5}',
    '{"action":"ping","seq":1,"data":"x"}',
    '{"action":"ping","seq":1,"data":[1]}',
    '{"action":"user_typing","seq":1,"data":{"channel_id":{"x":1}}}',
    Buffer.from([0xde, 0xad, 0xbe, 0xef]),
  ]
  for (const frame of closing)
    it(`${String(frame)} ends the connection, as a failed decode does`, async () => {
      const sock = await opened()
      sock.ws.send(frame)
      if (String(frame).includes('user_typing')) {
        // decodes (data is a map), so the action answers: channel_id is not a member's channel
        const reply = await sock.until(x => x.frames.find(f => f.seq_reply === 1))
        expect(reply.status).toBe('FAIL')
        sock.ws.close()
        return
      }
      await sock.until(x => x.closed)
      expect(sock.closed).toBe(true)
    })

  it('after all of them the emulator still serves REST and delivers events', async () => {
    const watcher = await opened()
    const bad = await opened()
    for (const f of ['null', '[]', '5', '{"seq":{"a":1}}', 'x'.repeat(1000)]) {
      if (bad.closed) break
      bad.ws.send(f)
    }
    const me = await api(s.emu, s.bob, 'GET', '/api/v4/users/me')
    expect(me.status).toBe(200)
    const post = await api(s.emu, s.bob, 'POST', '/api/v4/posts', {
      channel_id: s.town,
      message: 'still here',
    })
    expect(post.status).toBe(201)
    const ev = await watcher.until(x =>
      x.events('posted').find(e => JSON.parse(e.data.post).id === post.body.id),
    )
    expect(ev).toBeDefined()
    watcher.ws.close()
  })
})
