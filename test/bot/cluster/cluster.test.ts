/**
 * Cluster mode over real parts: the emulator, a redis-server and bot replicas as OS processes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../../src/emulator/index.js'
import { Bot, Client, type Post } from '../../../src/index.js'
import { type RedisServer, type Replica, startRedis, startReplica } from './services.js'

let emu: Emulator
let redis: RedisServer
let alice: Client
const replicas: Replica[] = []

beforeAll(async () => {
  ;[emu, redis] = await Promise.all([startEmulator(), startRedis()])
  alice = new Client({ url: emu.url, token: emu.seed.users.alice.token })
}, 30_000)
// A failed test must not leave its replicas answering the next test's posts (SIGTERM: they leave the
// member list, where a killed one would keep its lanes for a lease).
afterEach(async () => {
  await Promise.all(replicas.splice(0).map(r => r.stop()))
})
afterAll(async () => {
  await redis?.stop()
  await alice?.close()
  await emu?.stop()
})

/** A fresh channel with alice and the bot in it. */
async function room(name: string): Promise<string> {
  const c = await alice.channels.create({
    team_id: emu.seed.team.id,
    name: `${name}-${Date.now().toString(36)}`,
    display_name: name,
    type: 'O',
  })
  await alice.channels.addMember(c.id, emu.seed.users.bot.id)
  return c.id
}

async function posts(channelId: string): Promise<Post[]> {
  const all: Post[] = []
  for await (const p of alice.posts.iterateChannel(channelId)) all.push(p)
  return all
}

/** Poll `check` until it returns true (or fail with what it last saw). */
async function until(
  check: () => Promise<boolean>,
  what: string | (() => string),
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`)
    await new Promise(r => setTimeout(r, 200))
  }
}

const answers = (list: Post[]): Map<string, string[]> => {
  const by = new Map<string, string[]>()
  for (const p of list) {
    const m = /^a (\d+) by (\d+)$/.exec(p.message)
    if (m) by.set(m[1]!, [...(by.get(m[1]!) ?? []), m[2]!])
  }
  return by
}

/** The numbers of a channel's answers ('a N by pid'), in the order they were posted. */
async function answeredInOrder(ch: string): Promise<number[]> {
  return (await posts(ch))
    .filter(p => /^a \d+ by/.test(p.message))
    .sort((a, b) => a.create_at - b.create_at)
    .map(p => Number(p.message.split(' ')[1]))
}

/** The 'ran q N' lines the replicas printed for one channel (a new replica may backfill other tests' channels). */
const runsIn = (group: Replica[], channelId: string): string[] =>
  group.flatMap(r =>
    r.lines
      .filter(l => l.startsWith('ran q ') && l.endsWith(` in ${channelId}`))
      .map(l => l.slice(0, -` in ${channelId}`.length)),
  )

/** A replica's receiver URL (it prints it when started). */
const baseOf = (r: Replica): string =>
  r.lines.map(l => (l.startsWith('{') ? (JSON.parse(l) as { url?: string }).url : undefined)).find(Boolean)!

async function replicasUp(n: number, env: Record<string, string> = {}): Promise<Replica[]> {
  const started = await Promise.all(
    Array.from({ length: n }, () =>
      startReplica({ MM_URL: emu.url, MM_TOKEN: emu.seed.users.bot.token, REDIS_URL: redis.url, ...env }),
    ),
  )
  replicas.push(...started)
  return started
}

async function allStop(list: Replica[]): Promise<void> {
  await Promise.all(list.map(r => r.stop()))
}

describe('cluster mode', () => {
  it('3 replicas, 1,000 posts over ~30 s: each answered exactly once, by more than one replica', async () => {
    const group = await replicasUp(3, { DELAY_MS: '20' })
    const chs = await Promise.all(Array.from({ length: 6 }, (_, i) => room(`three-${i}`)))
    const N = 1000
    const t0 = Date.now()
    for (let i = 0; i < N; i++) {
      await alice.posts.create({ channel_id: chs[i % 6]!, message: `q ${i}` })
      // About 33 posts a second, as people in six busy channels would.
      const ahead = t0 + i * 30 - Date.now()
      if (ahead > 0) await new Promise(r => setTimeout(r, ahead))
    }
    const all = async (): Promise<Post[]> => (await Promise.all(chs.map(posts))).flat()
    await until(async () => answers(await all()).size === N, `${N} answers`)
    const by = answers(await all())
    expect([...by.values()].filter(v => v.length !== 1)).toEqual([]) // no post answered twice
    expect(new Set([...by.values()].map(v => v[0])).size).toBeGreaterThan(1)
    // …and no handler ran twice (the server's pending_post_id dedupe would hide a second reply)
    const runs = chs.flatMap(ch => runsIn(group, ch))
    expect(runs).toHaveLength(N)
    expect(new Set(runs).size).toBe(N)
    await allStop(group)
  }, 120_000)

  it('keeps the order of each channel across replicas (handlers that take 0–40 ms)', async () => {
    const group = await replicasUp(3, { JITTER_MS: '40' })
    // Members stable (the order through member changes is the rolling-deploy test's).
    await until(
      async () =>
        (
          await Promise.all(
            group.map(async r =>
              (await (await fetch(`${baseOf(r)}/metrics`)).text()).includes('matterkit_cluster_replicas 3'),
            ),
          )
        ).every(Boolean),
      'every replica to see all three',
    )
    const chs = await Promise.all(Array.from({ length: 4 }, (_, i) => room(`order-${i}`)))
    const N = 30
    // One writer per channel, so each channel's posts are created in order, the channels at once.
    await Promise.all(
      chs.map(async ch => {
        for (let i = 0; i < N; i++) await alice.posts.create({ channel_id: ch, message: `q ${i}` })
      }),
    )
    await until(
      async () => (await Promise.all(chs.map(answeredInOrder))).every(a => a.length === N),
      `${N} answers in each channel`,
    )
    for (const ch of chs) expect(await answeredInOrder(ch)).toEqual(Array.from({ length: N }, (_, i) => i))
    await allStop(group)
  }, 120_000)

  it('the replica running a channel killed -9 mid-stream: its events are taken over, still one answer per post', async () => {
    const group = await replicasUp(3, { DELAY_MS: '300', LEASE_MS: '3000' })
    const ch = await room('killed')
    const N = 60
    for (let i = 0; i < N; i++) {
      await alice.posts.create({ channel_id: ch, message: `q ${i}` })
      if (i === 20) {
        await until(async () => group.some(r => runsIn([r], ch).length > 0), 'a first run')
        const runner = group.find(r => runsIn([r], ch).length > 0)!
        await runner.stop('SIGKILL')
      }
    }
    await until(async () => answers(await posts(ch)).size === N, `${N} answers after the kill`)
    // Leases the dead replica held have run out by now; nothing more is coming.
    await new Promise(r => setTimeout(r, 4000))
    const by = answers(await posts(ch))
    expect(by.size).toBe(N)
    expect([...by.values()].filter(v => v.length !== 1)).toEqual([])
    await allStop(group)
  }, 120_000)

  it('every(1s) for 10 s on 3 replicas runs once per tick, and goes on when one is killed', async () => {
    const ch = await room('jobs')
    const group = await replicasUp(3, { JOB_CHANNEL: ch })
    const ticks = async (): Promise<number> =>
      (await posts(ch)).filter(p => p.message.startsWith('tick by')).length
    await until(async () => (await ticks()) >= 1, 'a first tick')
    const start = await ticks()
    const t0 = Date.now()
    await new Promise(r => setTimeout(r, 10_000))
    const five = (await ticks()) - start
    const elapsed = (Date.now() - t0) / 1000
    expect(five).toBeGreaterThanOrEqual(Math.floor(elapsed) - 1)
    expect(five).toBeLessThanOrEqual(Math.ceil(elapsed) + 1)
    const runner = Number(
      /tick by (\d+)/.exec((await posts(ch)).filter(p => p.message.startsWith('tick')).at(-1)!.message)![1],
    )
    const victim = group.find(r => r.pid === runner) ?? group[0]!
    await victim.stop('SIGKILL')
    const after = await ticks()
    await until(async () => (await ticks()) >= after + 2, 'ticks after the kill', 10_000)
    await allStop(group.filter(r => r !== victim))
  }, 60_000)

  it('300 increments of one session counter from 3 replicas add up to exactly 300', async () => {
    const group = await replicasUp(3)
    const ch = await room('session')
    const N = 300
    // Ten threads of one channel are ten lanes, spread over the replicas; the session is the
    // channel's, so replicas update one key at once.
    const roots = await Promise.all(
      Array.from({ length: 10 }, (_, w) => alice.posts.create({ channel_id: ch, message: `topic ${w}` })),
    )
    await Promise.all(
      roots.map(async root => {
        for (let i = 0; i < N / 10; i++)
          await alice.posts.create({ channel_id: ch, message: 'inc', root_id: root.id })
      }),
    )
    let last = ''
    await until(
      async () => {
        const q = await alice.posts.create({ channel_id: ch, message: 'count?' })
        await new Promise(r => setTimeout(r, 300))
        const reply = (await posts(ch)).find(p => p.root_id === q.id)
        last = reply?.message ?? last
        return last === `count ${N}`
      },
      () => `count ${N} (last: ${last})`,
    )
    expect(group.filter(r => r.lines.some(l => l === `ran inc in ${ch}`)).length).toBeGreaterThan(1)
    await allStop(group)
  }, 120_000)

  it('all replicas down for ~10 s while 200 posts arrive: after the restart each missed post is handled exactly once', async () => {
    const ch = await room('down')
    const first = await replicasUp(2)
    await alice.posts.create({ channel_id: ch, message: 'q 0' })
    await until(async () => answers(await posts(ch)).size === 1, 'the first answer')
    // Let the shared resume point record what the replicas saw, then take them all down.
    await new Promise(r => setTimeout(r, 1500))
    await Promise.all(first.map(r => r.stop('SIGKILL')))
    // 200 posts while every replica is down for about 10 s.
    const N = 200
    const t0 = Date.now()
    for (let i = 1; i <= N; i++) {
      await alice.posts.create({ channel_id: ch, message: `q ${i}` })
      const ahead = t0 + i * 50 - Date.now()
      if (ahead > 0) await new Promise(r => setTimeout(r, ahead))
    }
    const second = await replicasUp(2)
    await until(async () => answers(await posts(ch)).size === N + 1, `${N + 1} answers after the restart`)
    const runs = runsIn(second, ch)
    // Each missed post ran once; q 0 (handled before the outage) did not run again.
    expect(runs.sort()).toEqual(Array.from({ length: N }, (_, i) => `ran q ${i + 1}`).sort())
    expect([...answers(await posts(ch)).values()].filter(v => v.length !== 1)).toEqual([])
    await allStop(second)
  }, 120_000)

  it('redis-server stopped for 5 s mid-stream and started again (with its data): no post lost, none handled twice', async () => {
    // Production Redis keeps its data across a restart (appendonly); without it, see docs/cluster.md.
    let own = await startRedis({ appendOnly: true })
    const group = await replicasUp(3, { REDIS_URL: own.url })
    try {
      const ch = await room('outage')
      const N = 60
      for (let i = 0; i < N; i++) {
        await alice.posts.create({ channel_id: ch, message: `q ${i}` })
        if (i === 20) await own.stop()
        if (i === 40) {
          await new Promise(r => setTimeout(r, 5000)) // claims wait meanwhile; nothing is dropped
          own = await startRedis({ port: own.port, dir: own.dir, appendOnly: true })
        }
      }
      await until(async () => answers(await posts(ch)).size === N, `${N} answers after the outage`)
      const runs = runsIn(group, ch)
      expect(runs).toHaveLength(N)
      expect(new Set(runs).size).toBe(N)
      await allStop(group)
    } finally {
      await own.stop()
    }
  }, 120_000)

  it('a rolling deploy (start a new replica, SIGTERM an old one, three times) loses and doubles nothing', async () => {
    const ch = await room('rolling')
    let group = await replicasUp(2, { DELAY_MS: '50' })
    const all = [...group]
    const N = 90
    for (let i = 0; i < N; i++) {
      await alice.posts.create({ channel_id: ch, message: `q ${i}` })
      if (i % 30 === 15) {
        const [fresh] = await replicasUp(1, { DELAY_MS: '50' })
        all.push(fresh!)
        await group[0]!.stop('SIGTERM')
        group = [...group.slice(1), fresh!]
      }
    }
    await until(async () => answers(await posts(ch)).size === N, `${N} answers through the deploy`)
    const runs = runsIn(all, ch)
    expect(runs).toHaveLength(N)
    expect(new Set(runs).size).toBe(N)
    // Order through member changes is best effort (docs/cluster.md "Order"); with stable members
    // it is kept, which the order test checks.
    await allStop(group)
  }, 120_000)

  it('serves /healthz, /readyz and /metrics on the receiver port', async () => {
    const [one] = await replicasUp(1)
    const base = baseOf(one!)
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    const ready = await fetch(`${base}/readyz`)
    expect([ready.status, await ready.text()]).toEqual([200, 'ready\n'])
    const ch = await room('metrics')
    await alice.posts.create({ channel_id: ch, message: 'q 1' })
    await until(async () => answers(await posts(ch)).size === 1, 'the answer')
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toMatch(/^matterkit_event_claims_total\{result="won"\} [1-9]/m)
    expect(metrics).toMatch(/^matterkit_handler_seconds_count [1-9]/m)
    // Redis gone: not ready (the process is still alive)
    const own = await startRedis()
    const [two] = await replicasUp(1, { REDIS_URL: own.url })
    const base2 = baseOf(two!)
    await own.stop()
    const notReady = await fetch(`${base2}/readyz`)
    expect(notReady.status).toBe(503)
    expect(await notReady.text()).toContain('Redis unreachable')
    expect((await fetch(`${base2}/healthz`)).status).toBe(200)
    await two!.stop('SIGKILL')
    await one!.stop()
  }, 60_000)

  it("a 429 seen by one replica holds the others' requests too (one token, one limit)", async () => {
    const group = await replicasUp(3, { DELAY_MS: '300' })
    const ch = await room('limited')
    await alice.posts.create({ channel_id: ch, message: 'q 1' })
    // The reply (after the handler's 300 ms) meets a 429 that asks for 3 s.
    emu.faults.failNext(1, 429, { path: /^\/api\/v4\/posts$/, retryAfterSec: 3 })
    await until(async () => answers(await posts(ch)).size === 1, 'the answer after the pause')
    const counter = async (r: Replica, name: string): Promise<number> => {
      const text = await (await fetch(`${baseOf(r)}/metrics`)).text()
      return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN)
    }
    const own = await Promise.all(group.map(r => counter(r, 'matterkit_rate_limit_pauses_total')))
    const shared = await Promise.all(group.map(r => counter(r, 'matterkit_rate_limit_shared_pauses_total')))
    // One replica met the 429; the two others held their requests for it.
    expect({ own, shared }).toMatchObject({
      own: expect.arrayContaining([0, 0, 1]),
      shared: expect.arrayContaining([0, 1, 1]),
    })
    expect(own.map((n, i) => n + shared[i]!)).toEqual([1, 1, 1])
    expect(answers(await posts(ch)).get('1')).toHaveLength(1)
    await allStop(group)
  }, 60_000)

  it('Bot.fromEnv() with MATTERKIT_REDIS_URL runs in cluster mode', async () => {
    const bot = Bot.fromEnv(
      {},
      {
        MATTERMOST_URL: emu.url,
        MATTERMOST_TOKEN: emu.seed.users.bot.token,
        MATTERKIT_REDIS_URL: redis.url,
        MATTERKIT_LOG: 'silent',
      },
    )
    bot.message(/^env (\d+)$/, ctx => ctx.reply(`a ${ctx.match[1]} by ${process.pid}`))
    await bot.start()
    try {
      const ch = await room('env')
      await alice.posts.create({ channel_id: ch, message: 'env 7' })
      await until(async () => answers(await posts(ch)).size === 1, 'the answer')
      // Only a cluster bot listens without being asked to, and counts claims.
      const base = bot.urls.webhook.replace(/\/mattermost.*$/, '')
      expect(await (await fetch(`${base}/metrics`)).text()).toMatch(
        /^matterkit_event_claims_total\{result="won"\} [1-9]/m,
      )
    } finally {
      await bot.stop()
    }
  }, 30_000)

  it('a wrong Redis URL, a wrong password and something that is not Redis: typed errors, no password shown', async () => {
    const bot = (redisUrl: string): Bot =>
      new Bot({ url: emu.url, token: emu.seed.users.bot.token, cluster: { redis: redisUrl } })
    const closed = `redis://127.0.0.1:${redis.port + 1}/0`
    const e1 = await bot(closed)
      .start()
      .catch(e => e)
    expect(e1).toMatchObject({
      code: 'MK_ERR_CLUSTER',
      message: expect.stringContaining(`127.0.0.1:${redis.port + 1}`),
    })
    const locked = await startRedis({ password: 's3cret-redis-pass' })
    try {
      const e2 = await bot(`redis://:wrong-pass-xyz@127.0.0.1:${locked.port}/0`)
        .start()
        .catch(e => e)
      expect(e2).toMatchObject({
        code: 'MK_ERR_CLUSTER',
        message: expect.stringMatching(/password|credentials/),
      })
      expect(`${e2.message} ${String(e2.cause)} ${e2.stack}`).not.toContain('wrong-pass-xyz')
      const e3 = await bot(`redis://127.0.0.1:${locked.port}/0`)
        .start()
        .catch(e => e)
      expect(e3).toMatchObject({ code: 'MK_ERR_CLUSTER', message: expect.stringContaining('password') })
    } finally {
      await locked.stop()
    }
    const http = new URL(emu.url)
    const e4 = await bot(`redis://127.0.0.1:${http.port}/0`)
      .start()
      .catch(e => e)
    expect(e4).toMatchObject({ code: 'MK_ERR_CLUSTER' })
    const e5 = await bot('http://127.0.0.1:6379')
      .start()
      .catch(e => e)
    expect(e5).toMatchObject({ code: 'MK_ERR_CLUSTER', message: expect.stringContaining('redis://') })
  }, 60_000)
})
