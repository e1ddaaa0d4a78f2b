import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { api, Sock, settle } from './helpers.js'

let emu: Emulator
const socks: Sock[] = []
const open = async (token?: string, query = ''): Promise<Sock> => {
  const s = await Sock.open(emu, token, query)
  socks.push(s)
  return s
}
const hello = (s: Sock) => s.event('hello')

beforeAll(async () => {
  emu = await startEmulator({ wsPingIntervalMs: 100 })
})
afterEach(() => {
  emu.faults.reset()
  for (const s of socks.splice(0)) s.close()
})
afterAll(() => emu.stop())

/** Every event on a socket carries seq 0, 1, 2, … with no gap. */
function expectContiguous(s: Sock): void {
  const seqs = s.events().map(e => e.seq)
  expect(seqs).toEqual(seqs.map((_, i) => i))
}

describe('handshake and auth', () => {
  it('header auth: hello first with seq 0, connection_id and server_version', async () => {
    const s = await open(emu.seed.users.bot.token)
    const h = await hello(s)
    expect(h.seq).toBe(0)
    expect(h.data.connection_id).toMatch(/^[a-z0-9]{26}$/)
    expect(h.data.server_version).toMatch(/^\d+\.\d+\.\d+/)
    expect(h.broadcast.user_id).toBe(emu.seed.users.bot.id)
    expect(s.events()[0]!.event).toBe('hello')
  })

  it('in-band authentication_challenge: hello arrives, then the OK reply', async () => {
    const s = await open()
    s.send({ seq: 1, action: 'authentication_challenge', data: { token: emu.seed.users.alice.token } })
    await s.until(x => x.frames.find(f => f.seq_reply === 1))
    const iHello = s.frames.findIndex(f => f.event === 'hello')
    const iOk = s.frames.findIndex(f => f.seq_reply === 1)
    expect(iHello).toBeGreaterThanOrEqual(0)
    expect(iHello).toBeLessThan(iOk)
    expect(s.frames[iOk]).toEqual({ status: 'OK', seq_reply: 1 })
    // a second challenge is ignored with no reply
    s.send({ seq: 2, action: 'authentication_challenge', data: { token: emu.seed.users.alice.token } })
    s.send({ seq: 3, action: 'ping' })
    await s.until(x => x.frames.find(f => f.seq_reply === 3))
    expect(s.frames.find(f => f.seq_reply === 2)).toBeUndefined()
  })

  it('bad in-band token closes the socket; other actions before auth get a 401 error', async () => {
    const s = await open()
    s.send({ seq: 1, action: 'ping' })
    const err = await s.until(x => x.frames.find(f => f.seq_reply === 1))
    expect(err.status).toBe('FAIL')
    expect(err.error.id).toBe('api.web_socket_router.not_authenticated.app_error')
    s.send({ seq: 2, action: 'authentication_challenge', data: { token: 'bogus' } })
    await s.until(x => x.closed)
    expect(s.events('hello')).toHaveLength(0)
  })

  it('the server sends ping control frames at the configured interval', async () => {
    const s = await open(emu.seed.users.bot.token)
    await hello(s)
    const pinged = await new Promise<boolean>(resolve => {
      const t = setTimeout(() => resolve(false), 2000)
      s.ws.once('ping', () => {
        clearTimeout(t)
        resolve(true)
      })
    })
    expect(pinged).toBe(true)
  })
})

describe('actions', () => {
  it('ping → pong with version and server_time; bad seq, no action and unknown action fail', async () => {
    const s = await open(emu.seed.users.bot.token)
    await hello(s)
    s.send({ seq: 5, action: 'ping' })
    const pong = await s.until(x => x.frames.find(f => f.seq_reply === 5))
    expect(pong.status).toBe('OK')
    expect(pong.data).toMatchObject({
      text: 'pong',
      version: expect.any(String),
      server_time: expect.any(Number),
    })
    expect(pong).not.toHaveProperty('seq')
    s.send({ seq: 0, action: 'ping' })
    s.send({ seq: 6 })
    s.send({ seq: 7, action: 'dance' })
    const bad = await s.until(x => x.frames.find(f => f.seq_reply === 0))
    expect(bad.error.id).toBe('api.web_socket_router.bad_seq.app_error')
    expect((await s.until(x => x.frames.find(f => f.seq_reply === 6))).error.id).toBe(
      'api.web_socket_router.no_action.app_error',
    )
    expect((await s.until(x => x.frames.find(f => f.seq_reply === 7))).error.id).toBe(
      'api.web_socket_router.bad_action.app_error',
    )
    expectContiguous(s)
  })

  it('user_typing → typing to other members, not to the sender', async () => {
    const a = await open(emu.seed.users.alice.token)
    const b = await open(emu.seed.users.bob.token)
    await Promise.all([hello(a), hello(b)])
    a.send({
      seq: 1,
      action: 'user_typing',
      data: { channel_id: emu.seed.channels.townSquare.id, parent_id: '' },
    })
    const t = await b.event('typing')
    expect(t.data).toEqual({ parent_id: '', user_id: emu.seed.users.alice.id })
    expect(t.broadcast.channel_id).toBe(emu.seed.channels.townSquare.id)
    expect(t.broadcast.omit_users).toEqual({ [emu.seed.users.alice.id]: true })
    await a.until(x => x.frames.find(f => f.seq_reply === 1))
    expect(a.events('typing')).toHaveLength(0)
  })

  it('get_statuses and get_statuses_by_ids answer maps of user id → status', async () => {
    const s = await open(emu.seed.users.bob.token)
    await hello(s)
    s.send({ seq: 1, action: 'get_statuses' })
    s.send({ seq: 2, action: 'get_statuses_by_ids', data: { user_ids: [emu.seed.users.bob.id] } })
    const all = await s.until(x => x.frames.find(f => f.seq_reply === 1))
    expect(all.data[emu.seed.users.bob.id]).toBe('online')
    const some = await s.until(x => x.frames.find(f => f.seq_reply === 2))
    expect(some.data).toEqual({ [emu.seed.users.bob.id]: 'online' })
  })
})

describe('events and scoping', () => {
  it('posted: author receives its own; full data; mentions only for the mentioned user', async () => {
    const bot = await open(emu.seed.users.bot.token)
    const alice = await open(emu.seed.users.alice.token)
    const bob = await open(emu.seed.users.bob.token)
    await Promise.all([hello(bot), hello(alice), hello(bob)])
    const r = await api(emu, emu.seed.users.bot.token, 'POST', '/api/v4/posts', {
      channel_id: emu.seed.channels.townSquare.id,
      message: 'hi @alice',
    })
    const mine = await bot.event('posted')
    expect(typeof mine.data.post).toBe('string')
    expect(JSON.parse(mine.data.post).id).toBe(r.body.id)
    expect(mine.data).toMatchObject({
      channel_type: 'O',
      channel_name: 'town-square',
      channel_display_name: 'Town Square',
      sender_name: '@matterbot',
      team_id: emu.seed.team.id,
      set_online: true,
    })
    expect(mine.broadcast.channel_id).toBe(emu.seed.channels.townSquare.id)
    expect((await alice.event('posted')).data.mentions).toBe(JSON.stringify([emu.seed.users.alice.id]))
    expect((await bob.event('posted')).data).not.toHaveProperty('mentions')
    for (const s of [bot, alice, bob]) expectContiguous(s)
  })

  it('small, medium and >64 KiB events arrive intact (all frame length encodings)', async () => {
    const s = await open(emu.seed.users.bob.token)
    await hello(s)
    const token = emu.seed.users.bot.token
    const channel_id = emu.seed.channels.offTopic.id
    for (const size of [1, 1000, 100_000]) {
      await api(emu, token, 'POST', '/api/v4/posts', {
        channel_id,
        message: `size ${size}`,
        props: { pad: 'é'.repeat(size) },
      })
    }
    const got = await s.until(x => (x.events('posted').length >= 3 ? x.events('posted') : undefined))
    expect(got.map(e => JSON.parse(e.data.post).props.pad.length)).toEqual([1, 1000, 100_000])
    expectContiguous(s)
  })

  it('private channel events reach members only; team-scoped channel_deleted reaches the team', async () => {
    const alice = await open(emu.seed.users.alice.token)
    const bob = await open(emu.seed.users.bob.token)
    await Promise.all([hello(alice), hello(bob)])
    emu.post(emu.seed.users.alice.id, emu.seed.channels.privateRoom.id, 'secret')
    await alice.event('posted')
    const ch = await api(emu, emu.seed.users.alice.token, 'POST', '/api/v4/channels', {
      team_id: emu.seed.team.id,
      name: 'scoped',
      display_name: 'Scoped',
      type: 'O',
    })
    expect((await alice.event('channel_created')).data.channel_id).toBe(ch.body.id)
    await api(emu, emu.seed.users.alice.token, 'DELETE', `/api/v4/channels/${ch.body.id}`)
    const del = await bob.event('channel_deleted')
    expect(del.data.channel_id).toBe(ch.body.id)
    expect(del.broadcast.team_id).toBe(emu.seed.team.id)
    expect(bob.events('posted')).toHaveLength(0)
    expect(bob.events('channel_created')).toHaveLength(0)
  })

  it('post_edited, reaction_added/removed, post_deleted carry JSON-string payloads', async () => {
    const s = await open(emu.seed.users.bob.token)
    await hello(s)
    const token = emu.seed.users.bot.token
    const p = (
      await api(emu, token, 'POST', '/api/v4/posts', {
        channel_id: emu.seed.channels.offTopic.id,
        message: 'a',
      })
    ).body
    await api(emu, token, 'PUT', `/api/v4/posts/${p.id}/patch`, { message: 'b' })
    expect(JSON.parse((await s.event('post_edited')).data.post).message).toBe('b')
    const react = { user_id: emu.seed.users.bot.id, post_id: p.id, emoji_name: 'tada' }
    await api(emu, token, 'POST', '/api/v4/reactions', react)
    expect(JSON.parse((await s.event('reaction_added')).data.reaction)).toMatchObject(react)
    await api(emu, token, 'DELETE', `/api/v4/users/me/posts/${p.id}/reactions/tada`)
    expect(JSON.parse((await s.event('reaction_removed')).data.reaction).emoji_name).toBe('tada')
    await api(emu, token, 'DELETE', `/api/v4/posts/${p.id}`)
    expect(JSON.parse((await s.event('post_deleted')).data.post).id).toBe(p.id)
    expectContiguous(s)
  })

  it('direct_added only on first creation; user_added / user_removed (twice); preferences and status', async () => {
    const carol = emu.createUser({ username: 'carol', password: 'carol-password-1' })
    const s = await open(carol.token)
    const alice = await open(emu.seed.users.alice.token)
    await Promise.all([hello(s), hello(alice)])
    await api(emu, carol.token, 'POST', '/api/v4/channels/direct', [carol.id, emu.seed.users.alice.id])
    const d = await alice.event('direct_added')
    expect(d.data).toEqual({ creator_id: carol.id, teammate_id: emu.seed.users.alice.id })
    await api(emu, carol.token, 'POST', '/api/v4/channels/direct', [carol.id, emu.seed.users.alice.id])
    await settle()
    expect(alice.events('direct_added')).toHaveLength(1)

    const priv = emu.seed.channels.privateRoom.id
    await api(emu, emu.seed.users.alice.token, 'POST', `/api/v4/channels/${priv}/members`, {
      user_id: carol.id,
    })
    expect((await s.event('user_added')).data).toMatchObject({ user_id: carol.id, team_id: emu.seed.team.id })
    await api(emu, emu.seed.users.alice.token, 'DELETE', `/api/v4/channels/${priv}/members/${carol.id}`)
    const removed = await alice.event('user_removed')
    expect(removed.data).toEqual({ user_id: carol.id, remover_id: emu.seed.users.alice.id })
    const own = await s.event('user_removed', e => e.broadcast.user_id === carol.id)
    expect(own.data).toEqual({ channel_id: priv, remover_id: emu.seed.users.alice.id })
    expect(s.events('user_removed')).toHaveLength(1)

    await api(emu, carol.token, 'PUT', '/api/v4/users/me/preferences', [
      { user_id: carol.id, category: 'c', name: 'n', value: 'v' },
    ])
    expect(JSON.parse((await s.event('preferences_changed')).data.preferences)[0].value).toBe('v')
    await api(emu, carol.token, 'PUT', '/api/v4/users/me/status', { user_id: carol.id, status: 'away' })
    expect((await s.event('status_change', e => e.data.status === 'away')).data.user_id).toBe(carol.id)
    expect(alice.events('status_change').filter(e => e.data.user_id === carol.id)).toHaveLength(0)
    expectContiguous(s)
  })
})

describe('reliable resume (§4.5)', () => {
  const resumeQuery = (connId: string, next: number) => `?connection_id=${connId}&sequence_number=${next}`

  it('after a drop, missed events are replayed with their original seq and no hello', async () => {
    const token = emu.seed.users.bob.token
    const s1 = await open(token)
    const h = await hello(s1)
    emu.post(emu.seed.users.alice.id, emu.seed.channels.townSquare.id, 'before')
    const last = await s1.event('posted')
    emu.faults.dropSockets()
    await s1.until(x => x.closed)
    for (let i = 0; i < 3; i++)
      emu.post(emu.seed.users.alice.id, emu.seed.channels.townSquare.id, `missed ${i}`)
    const s2 = await open(token, resumeQuery(h.data.connection_id, last.seq! + 1))
    await s2.until(x => x.events('posted').length >= 3)
    expect(s2.events('hello')).toHaveLength(0)
    const replay = s2.events('posted')
    expect(replay.map(e => JSON.parse(e.data.post).message)).toEqual(['missed 0', 'missed 1', 'missed 2'])
    expect(replay[0]!.seq).toBe(last.seq! + 1)
    expect(replay.map(e => e.seq)).toEqual([0, 1, 2].map(i => last.seq! + 1 + i))
    // and live events continue the same sequence
    emu.post(emu.seed.users.alice.id, emu.seed.channels.townSquare.id, 'live')
    const live = await s2.event('posted', e => JSON.parse(e.data.post).message === 'live')
    expect(live.seq).toBe(last.seq! + 4)
  })

  it('asking for an older, still-buffered seq replays from there', async () => {
    const token = emu.seed.users.bob.token
    const s1 = await open(token)
    const h = await hello(s1)
    for (let i = 0; i < 3; i++) emu.post(emu.seed.users.alice.id, emu.seed.channels.offTopic.id, `o${i}`)
    const got = await s1.until(x => (x.events('posted').length >= 3 ? x.events('posted') : undefined))
    s1.close()
    await s1.until(x => x.closed)
    const s2 = await open(token, resumeQuery(h.data.connection_id, got[1]!.seq!))
    const again = await s2.until(x => (x.events('posted').length >= 2 ? x.events('posted') : undefined))
    expect(again.map(e => e.seq)).toEqual([got[1]!.seq, got[2]!.seq])
    expect(s2.events('hello')).toHaveLength(0)
  })

  it('a gap older than the 128-event dead queue gets a new connection_id and hello (seq 0)', async () => {
    const token = emu.seed.users.bob.token
    const s1 = await open(token)
    const h = await hello(s1)
    emu.faults.dropSockets()
    await s1.until(x => x.closed)
    for (let i = 0; i < 200; i++)
      emu.post(emu.seed.users.alice.id, emu.seed.channels.townSquare.id, `flood ${i}`)
    const s2 = await open(token, resumeQuery(h.data.connection_id, 1))
    const h2 = await hello(s2)
    expect(h2.seq).toBe(0)
    expect(h2.data.connection_id).not.toBe(h.data.connection_id)
    await settle()
    expect(s2.events('posted')).toHaveLength(0)
  })

  it('forceSequenceGap: the next resume cannot replay', async () => {
    const token = emu.seed.users.bob.token
    const s1 = await open(token)
    const h = await hello(s1)
    emu.faults.dropSockets()
    await s1.until(x => x.closed)
    emu.faults.forceSequenceGap()
    const s2 = await open(token, resumeQuery(h.data.connection_id, 1))
    const h2 = await hello(s2)
    expect(h2.data.connection_id).not.toBe(h.data.connection_id)
  })

  it('in-band auth never resumes: always a fresh connection_id', async () => {
    const token = emu.seed.users.bob.token
    const s1 = await open(token)
    const h = await hello(s1)
    s1.close()
    await s1.until(x => x.closed)
    const s2 = await open(undefined, resumeQuery(h.data.connection_id, 1))
    s2.send({ seq: 1, action: 'authentication_challenge', data: { token } })
    const h2 = await hello(s2)
    expect(h2.data.connection_id).not.toBe(h.data.connection_id)
  })

  it('malformed resume parameters close the socket', async () => {
    const token = emu.seed.users.bob.token
    for (const q of ['?connection_id=short&sequence_number=1', `?connection_id=${'a'.repeat(26)}`]) {
      const s = await open(token, q)
      await s.until(x => x.closed)
      expect(s.events('hello')).toHaveLength(0)
    }
  })
})

describe('faults', () => {
  it('stallSockets: nothing is written during the stall, everything after, in order', async () => {
    const s = await open(emu.seed.users.bob.token)
    await hello(s)
    emu.faults.stallSockets(400)
    emu.post(emu.seed.users.alice.id, emu.seed.channels.townSquare.id, 'during stall')
    await settle(200)
    expect(s.events('posted')).toHaveLength(0)
    const e = await s.event('posted', undefined, 3000)
    expect(JSON.parse(e.data.post).message).toBe('during stall')
    expect(s.closed).toBe(false)
    expectContiguous(s)
  })

  it('a reader that stops reading is cut off once ~16 MB are buffered for it', async () => {
    const s = await open(emu.seed.users.bob.token)
    await hello(s)
    const live = emu.liveSockets
    ;(s.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    const pad = 'x'.repeat(250_000)
    for (let i = 0; i < 200 && emu.liveSockets === live; i++) {
      await api(emu, emu.seed.users.bot.token, 'POST', '/api/v4/posts', {
        channel_id: emu.seed.channels.offTopic.id,
        message: `flood ${i}`,
        props: { pad },
      })
    }
    expect(emu.liveSockets).toBe(live - 1)
  })

  it('dropSockets terminates every live socket', async () => {
    const a = await open(emu.seed.users.alice.token)
    const b = await open(emu.seed.users.bob.token)
    await Promise.all([hello(a), hello(b)])
    emu.faults.dropSockets()
    await a.until(x => x.closed)
    await b.until(x => x.closed)
    expect(emu.liveSockets).toBe(0)
  })
})
