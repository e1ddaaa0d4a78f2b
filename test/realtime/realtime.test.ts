import { mkdtempSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { Client, isEvent, type PostedEvent, type RealtimeEvent } from '../../src/index.js'
import { decodeEvent } from '../../src/realtime/events.js'
import { FileResumeStore } from '../../src/realtime/resume-store.js'

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(() => emu.stop())

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise(r => setTimeout(r, 10))
  }
}

/** A TCP proxy that can cut every connection at any moment. */
interface Proxy {
  url: string
  cut(): void
  close(): Promise<void>
  /** New connections are closed at once while set (the server looks down). */
  refuse: boolean
  /** New connections forward only their first chunk upstream (the upgrade; later frames are lost). */
  muteUpstream: boolean
}
async function proxy(target: string): Promise<Proxy> {
  const { port, hostname } = new URL(target)
  const sockets = new Set<Socket>()
  const server: Server = createServer(client => {
    if (px.refuse) {
      client.destroy()
      return
    }
    const upstream = connect(Number(port), hostname)
    sockets.add(client)
    sockets.add(upstream)
    if (px.muteUpstream) client.once('data', d => upstream.write(d))
    else client.pipe(upstream)
    upstream.pipe(client)
    const drop = (): void => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  const px: Proxy = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut: () => {
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    close: () => new Promise(r => server.close(() => r())),
    refuse: false,
    muteUpstream: false,
  }
  return px
}

/** The `posted` events a stream delivers, and how many resyncs it ran. */
function record(rt: ReturnType<Client['realtime']>): { got: PostedEvent[]; resyncs: () => number } {
  const got: PostedEvent[] = []
  let resynced = 0
  rt.on('posted', ev => {
    got.push(ev)
  })
  rt.on('resynced', () => {
    resynced++
  })
  return { got, resyncs: () => resynced }
}

describe('decodeEvent', () => {
  it('decodes JSON-string fields and rejects malformed ones', () => {
    const broadcast = { omit_users: null, user_id: '', channel_id: 'c', team_id: '' }
    const ev = decodeEvent({
      event: 'posted',
      data: { post: '{"id":"p","message":"hi"}', mentions: '["u"]' },
      broadcast,
      seq: 3,
    })
    expect(isEvent(ev, 'posted') && ev.post.message).toBe('hi')
    expect((ev as PostedEvent).mentions).toEqual(['u'])
    expect(() => decodeEvent({ event: 'posted', data: { post: '{oops' }, broadcast, seq: 1 })).toThrow(
      /not valid JSON/,
    )
    expect(decodeEvent({ event: 'something_new', data: { x: 1 }, broadcast, seq: 2 }).data).toEqual({ x: 1 })
  })
})

describe('RealtimeClient', () => {
  it('receives typed events, including its own posts, and awaits action replies', async () => {
    const bot = new Client({ url: emu.url, token: emu.seed.users.bot.token })
    const alice = new Client({ url: emu.url, token: emu.seed.users.alice.token })
    const rt = bot.realtime()
    const states: string[] = []
    rt.on('state', s => {
      states.push(s)
    })
    const posted: PostedEvent[] = []
    rt.on('posted', ev => {
      posted.push(ev)
    })
    await rt.connect()
    expect(rt.connectionId).toHaveLength(26)
    const p = await alice.posts.create({
      channel_id: emu.seed.channels.townSquare.id,
      message: 'hi @matterbot',
    })
    await bot.posts.create({ channel_id: emu.seed.channels.townSquare.id, message: 'own' })
    await waitFor(() => posted.length >= 2)
    expect(posted[0]!.post.id).toBe(p.id)
    expect(posted[0]!.mentions).toEqual([emu.seed.users.bot.id])
    expect(posted[1]!.post.message).toBe('own')
    await rt.typing(emu.seed.channels.townSquare.id)
    expect((await rt.ping()).text).toBe('pong')
    expect(typeof (await rt.getStatuses())).toBe('object')
    await rt.close()
    expect(states).toEqual(['connecting', 'open', 'closed'])
  })

  it('async iterator yields events', async () => {
    const bot = new Client({ url: emu.url, token: emu.seed.users.bot.token })
    const rt = bot.realtime()
    await rt.connect()
    const it = rt[Symbol.asyncIterator]()
    emu.post(emu.seed.users.alice.id, emu.seed.channels.offTopic.id, 'iter')
    let ev: RealtimeEvent
    do ev = (await it.next()).value
    while (ev.event !== 'posted')
    expect((ev as PostedEvent).post.message).toBe('iter')
    await rt.close()
  })

  it('stops with an AuthError on a bad token', async () => {
    const bad = new Client({ url: emu.url, token: 'bad-token-zzzz', verifyServer: false })
    const rt = bad.realtime({ pingTimeoutMs: 500 })
    await expect(rt.connect()).rejects.toMatchObject({ code: 'MK_ERR_UNAUTHORIZED' })
  })

  it('a stream closed for good by a bad token throws RealtimeClosedError in a for-await loop (close() ends it quietly)', async () => {
    const bad = new Client({ url: emu.url, token: 'bad-token-zzzz', verifyServer: false })
    const rt = bad.realtime({ pingTimeoutMs: 500 })
    const loop = (async () => {
      for await (const _ev of rt) {
        // no event can come
      }
    })()
    await expect(rt.connect()).rejects.toMatchObject({ code: 'MK_ERR_UNAUTHORIZED' })
    const err = await loop.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ code: 'MK_ERR_REALTIME_CLOSED', cause: { code: 'MK_ERR_UNAUTHORIZED' } })
    const good = new Client({ url: emu.url, token: emu.seed.users.alice.token })
    const ok = good.realtime()
    await ok.connect()
    const quiet = (async () => {
      for await (const _ev of ok) break
    })()
    await ok.close()
    await expect(quiet).resolves.toBeUndefined()
    await good.close()
  })

  it('resumes after dropped sockets without loss or duplicates, and backfills when the server cannot replay', async () => {
    const bot = new Client({ url: emu.url, token: emu.seed.users.bot.token })
    const rt = bot.realtime({ backoff: { initialMs: 10, maxMs: 50 } })
    const got: string[] = []
    let resynced = 0
    rt.on('posted', ev => {
      got.push(ev.post.message)
    })
    rt.on('resynced', () => {
      resynced++
    })
    await rt.connect()
    const ch = emu.seed.channels.offTopic.id
    emu.post(emu.seed.users.alice.id, ch, 'r0')
    emu.faults.dropSockets()
    emu.post(emu.seed.users.alice.id, ch, 'r1')
    await waitFor(() => got.includes('r1'))
    const firstId = rt.connectionId
    // Now the server cannot replay: the client must backfill over REST.
    emu.faults.dropSockets()
    emu.faults.forceSequenceGap()
    emu.post(emu.seed.users.alice.id, ch, 'r2')
    emu.post(emu.seed.users.alice.id, ch, 'r3')
    await waitFor(() => got.includes('r3'))
    expect(resynced).toBe(1)
    expect(rt.connectionId).not.toBe(firstId)
    expect(got).toEqual(['r0', 'r1', 'r2', 'r3'])
    await rt.close()
  })

  it('backfills when the very first resume is lost, before any post or ping reply arrived', async () => {
    const px = await proxy(emu.url)
    const bot = new Client({ url: px.url, token: emu.seed.users.bot.token, verifyServer: false })
    const rt = bot.realtime({ backoff: { initialMs: 100, maxMs: 100 } })
    const { got, resyncs } = record(rt)
    // The upgrade gets through, the probe ping does not: the client learns nothing but the hello.
    px.muteUpstream = true
    await rt.connect()
    const firstId = rt.connectionId
    px.refuse = true
    emu.faults.forceSequenceGap()
    px.cut()
    const ch = emu.seed.channels.offTopic.id
    for (const m of ['gap 1', 'gap 2', 'gap 3']) emu.post(emu.seed.users.alice.id, ch, m)
    px.muteUpstream = false
    px.refuse = false
    await waitFor(() => got.length >= 3)
    expect(got.map(e => e.post.message)).toEqual(['gap 1', 'gap 2', 'gap 3'])
    expect(got.every(e => e.replayed)).toBe(true)
    expect(rt.connectionId).not.toBe(firstId)
    expect(resyncs()).toBe(1)
    await rt.close()
    await bot.close()
    px.cut()
    await px.close()
  })

  it('a backfill loses no post that shares the millisecond of the last one delivered', async () => {
    const px = await proxy(emu.url)
    const bot = new Client({ url: px.url, token: emu.seed.users.bot.token, verifyServer: false })
    const admin = new Client({ url: emu.url, token: emu.seed.users.admin.token })
    const members = [emu.seed.users.bot.id, emu.seed.users.admin.id]
    const a = emu.createChannel({ name: 'tie-a', members })
    const b = emu.createChannel({ name: 'tie-b', members })
    const rt = bot.realtime({ backoff: { initialMs: 50, maxMs: 50 } })
    const { got, resyncs } = record(rt)
    await rt.connect()
    // System admins may set create_at: the posts of the gap share the last delivered one's ms.
    const T = Date.now() - 600_000
    const at = (channel_id: string, message: string, create_at: number) =>
      admin.posts.create({ channel_id, message, create_at } as never)
    await at(a.id, 'a0', T)
    await waitFor(() => got.length === 1)
    px.refuse = true
    emu.faults.forceSequenceGap()
    px.cut()
    await at(a.id, 'a1', T) // same channel, same ms as the cursor: `after=a0` skips it
    await at(b.id, 'b1', T) // another channel, same ms as the last delivered post
    await at(a.id, 'a2', T + 1)
    px.refuse = false
    // (the backfill also brings earlier tests' posts made since T in other channels)
    const mine = () => got.filter(e => e.post.channel_id === a.id || e.post.channel_id === b.id)
    await waitFor(() => mine().length >= 4)
    await new Promise(r => setTimeout(r, 200)) // nothing more (no duplicate) arrives
    const messages = mine().map(e => e.post.message)
    expect([...messages].sort()).toEqual(['a0', 'a1', 'a2', 'b1'])
    expect(messages.indexOf('a1')).toBeLessThan(messages.indexOf('a2'))
    expect(resyncs()).toBe(1)
    await rt.close()
    await bot.close()
    await admin.close()
    px.cut()
    await px.close()
  })

  it('detects a half-open link (stalled socket) and reconnects', async () => {
    const bot = new Client({ url: emu.url, token: emu.seed.users.bot.token })
    const rt = bot.realtime({
      pingIntervalMs: 200,
      pingTimeoutMs: 200,
      backoff: { initialMs: 10, maxMs: 20 },
    })
    const states: string[] = []
    rt.on('state', s => {
      states.push(s)
    })
    const got: string[] = []
    rt.on('posted', ev => {
      got.push(ev.post.message)
    })
    await rt.connect()
    emu.faults.stallSockets(3000)
    await waitFor(() => states.includes('reconnecting'), 5000)
    emu.post(emu.seed.users.alice.id, emu.seed.channels.townSquare.id, 'after stall')
    await waitFor(() => got.includes('after stall'), 8000)
    await rt.close()
  })

  it('persists resume state so a new process resumes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk-'))
    const store = new FileResumeStore(join(dir, 'resume.json'))
    const bot = new Client({ url: emu.url, token: emu.seed.users.bot.token })
    const rt1 = bot.realtime({ resumeStore: store })
    await rt1.connect()
    emu.post(emu.seed.users.alice.id, emu.seed.channels.townSquare.id, 'p1')
    await waitFor(() => rt1.lastSeq >= 1)
    const id = rt1.connectionId
    await rt1.close()
    emu.post(emu.seed.users.alice.id, emu.seed.channels.townSquare.id, 'while restarting')
    const rt2 = bot.realtime({ resumeStore: store })
    const got: string[] = []
    rt2.on('posted', ev => {
      got.push(ev.post.message)
    })
    await rt2.connect()
    await waitFor(() => got.includes('while restarting'))
    expect(rt2.connectionId).toBe(id)
    expect(got).toEqual(['while restarting'])
    await rt2.close()
  })

  // `gapEvery`: every n-th cut also makes the server forget the connection, so the client must
  // backfill over REST (1 = every reconnect is a lost resume).
  it.each([
    { mode: 'mostly resumed', gapEvery: 3 },
    { mode: 'never resumable (backfill only)', gapEvery: 1 },
  ])(
    '10,000 posts through a proxy that cuts connections at random points, $mode: each delivered once, in order per channel',
    {
      timeout: 60_000,
    },
    async ({ gapEvery }) => {
      const px = await proxy(emu.url)
      const bot = new Client({
        url: px.url,
        token: emu.seed.users.bot.token,
        retry: { retries: 20, minDelayMs: 5, maxDelayMs: 50 },
      })
      const rt = bot.realtime({ backoff: { initialMs: 5, maxMs: 50 } })
      const perChannel = new Map<string, number[]>()
      rt.on('posted', ev => {
        const [ch, n] = (ev as PostedEvent).post.message.split(':')
        const list = perChannel.get(ch!) ?? []
        list.push(Number(n))
        perChannel.set(ch!, list)
      })
      const dbg: string[] = []
      rt.on('error', e => {
        dbg.push(`error ${Date.now() % 100000} ${e.message}`)
      })
      rt.on('resynced', i => {
        dbg.push(`resynced ${Date.now() % 100000} ${JSON.stringify(i)}`)
      })
      await rt.connect()
      const channels = [emu.seed.channels.townSquare.id, emu.seed.channels.offTopic.id]
      const N = 10_000
      let cuts = 0
      for (let i = 0; i < N; i++) {
        const ch = channels[i % 2]!
        emu.post(emu.seed.users.alice.id, ch, `${ch}:${i}`)
        if (i % 50 === 0) await new Promise(r => setImmediate(r))
        if (Math.random() < 0.004) {
          px.cut()
          cuts++
          if (cuts % gapEvery === 0) emu.faults.forceSequenceGap()
        }
      }
      await waitFor(() => [...perChannel.values()].reduce((a, l) => a + l.length, 0) >= N, 30_000).catch(
        e => {
          console.log(
            'DEBUG',
            dbg.slice(0, 20),
            [...perChannel.values()].map(l => l.length),
            cuts,
            rt.state,
          )
          throw e
        },
      )
      await new Promise(r => setTimeout(r, 200))
      for (const ch of channels) {
        const list = perChannel.get(ch)!
        expect(list.length).toBe(N / 2)
        expect(new Set(list).size).toBe(N / 2)
        expect(list).toEqual([...list].sort((a, b) => a - b))
      }
      expect(cuts).toBeGreaterThan(5)
      expect(dbg.filter(l => l.startsWith('resynced')).length).toBeGreaterThan(0)
      await rt.close()
      await bot.close()
      px.cut()
      await px.close()
    },
  )
})
