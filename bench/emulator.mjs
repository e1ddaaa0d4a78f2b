// Emulator: start-up, fan-out to 100 listeners, 1,000 idle connections; idle client RSS.
import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'
import WebSocket from 'ws'
import { child, cpuOf, ms, report, row, rssOf, throughput } from './lib.mjs'

{
  const { proc, info } = await child(
    "const t=performance.now(); const m=await import('./dist/emulator/index.js'); const e=await m.startEmulator(); console.log(JSON.stringify({url:e.url, token:e.seed.users.alice.token, bot:e.seed.users.bot.token, ch:e.seed.channels.townSquare.id, startMs: performance.now()-t}))",
  )
  row('emulator start-up (import + start)', ms(info.startMs), '—', '≤ 300 ms', info.startMs <= 300)

  // Fan-out: 100 `ws` listeners (in their own process, like other users' clients,
  // bench/fanout-listeners.mjs) in town square; this process creates posts over REST.
  // Latency = listener receive time - the send time carried in the message (epoch ms with
  // sub-ms precision, comparable across processes): end to end, REST request + post creation +
  // fan-out. After a warm-up of 2,000 posts (the emulator's JIT needs it), three phases:
  // - closed loop, 32 requests in flight: the most posts/s the emulator sustains (latency there
  //   is mostly the wait in the queue of 32, by construction);
  // - open loop at 3,000 posts/s (the target rate) and at 500 posts/s: whether the emulator
  //   keeps the rate, and the latency p99 at that rate.
  const N = 3000
  const WARM = 2000
  const LISTENERS = 100
  const PACED = [
    { rate: 3000, count: 9000 },
    { rate: 500, count: 1000 },
  ]
  const phases = [
    { marker: '"message\\":\\"fan ', count: N * LISTENERS },
    ...PACED.map(({ rate, count }) => ({ marker: `"message\\":\\"pace${rate} `, count: count * LISTENERS })),
  ]
  const lproc = spawn(
    process.execPath,
    [
      new URL('./fanout-listeners.mjs', import.meta.url).pathname,
      info.url.replace('http', 'ws'),
      info.token,
      String(LISTENERS),
      JSON.stringify(phases),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const lines = []
  let waiter
  let lbuf = ''
  lproc.stdout.on('data', d => {
    lbuf += d
    let i = lbuf.indexOf('\n')
    while (i >= 0) {
      lines.push(JSON.parse(lbuf.slice(0, i)))
      lbuf = lbuf.slice(i + 1)
      i = lbuf.indexOf('\n')
    }
    waiter?.()
  })
  const nextLine = async () => {
    while (!lines.length) await new Promise(r => (waiter = r))
    return lines.shift()
  }
  await nextLine() // listeners connected
  const pool = new Pool(info.url, { connections: 64 })
  const now = () => performance.timeOrigin + performance.now()
  const create = message => async () => {
    const r = await pool.request({
      method: 'POST',
      path: '/api/v4/posts',
      headers: { authorization: `Bearer ${info.bot}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel_id: info.ch, message: message() }),
    })
    await r.body.dump()
  }
  await throughput(
    WARM,
    32,
    create(() => 'warm-up'),
  )
  const e0 = cpuOf(proc.pid)
  const l0 = cpuOf(lproc.pid)
  const m0 = process.cpuUsage()
  const rate = await throughput(
    N,
    32,
    create(() => `fan ${now()}`),
  )
  const fan = await nextLine()
  const us = n => `${((n * 1000) / N).toFixed(0)} µs`
  const cpu = {
    emulator: cpuOf(proc.pid) - e0,
    listeners: cpuOf(lproc.pid) - l0,
    generator: (({ user, system }) => (user + system) / 1000)(process.cpuUsage(m0)),
  }
  row(
    'emulator posts/s with 100 listeners (closed loop, 32 in flight)',
    rate.toFixed(0),
    '—',
    '≥ 3,000',
    rate >= 3000,
  )
  row(
    'emulator fan-out p99, closed loop (32 in flight)',
    ms(fan.p99),
    `p50 ${ms(fan.p50)}`,
    '— (queueing by construction)',
    null,
  )
  // Where the 2 cores went during the closed-loop posts: the emulator vs. the measuring apparatus.
  row(
    'emulator CPU per post (100 listeners)',
    us(cpu.emulator),
    `listeners ${us(cpu.listeners)} + load generator ${us(cpu.generator)}`,
    '—',
    null,
  )
  for (const { rate: target, count } of PACED) {
    // Open loop: every millisecond, send the posts that are due (a slow server makes them pile
    // up in the generator, and their latency shows it).
    const gap = 1000 / target
    const t0 = performance.now()
    const sent = []
    let i = 0
    while (i < count) {
      const due = Math.min(count, Math.floor((performance.now() - t0) / gap) + 1)
      for (; i < due; i++) sent.push(create(() => `pace${target} ${now()}`)())
      await new Promise(r => setTimeout(r, 1))
    }
    await Promise.all(sent)
    // the rate the emulator kept: up to its last REST answer (the listeners' own summary, a
    // sort of every latency, is not the emulator's time); every frame has arrived once
    // nextLine() answers.
    const achieved = count / ((performance.now() - t0) / 1000)
    const paced = await nextLine()
    row(
      `emulator fan-out p99 at ${target.toLocaleString('en')} posts/s offered (100 listeners)`,
      ms(paced.p99),
      `p50 ${ms(paced.p50)}; ${achieved.toFixed(0)} posts/s achieved`,
      '≤ 20 ms',
      paced.p99 <= 20 && achieved >= 0.95 * target,
    )
  }
  await pool.close()
  lproc.kill()

  // 1,000 idle authenticated connections
  const before = rssOf(proc.pid)
  const idle = []
  for (let i = 0; i < 1000; i++) {
    const ws = new WebSocket(`${info.url.replace('http', 'ws')}/api/v4/websocket`, {
      headers: { Authorization: `Bearer ${info.token}` },
      perMessageDeflate: false,
    })
    idle.push(new Promise(r => ws.once('message', () => r(ws))))
  }
  const socks = await Promise.all(idle)
  await new Promise(r => setTimeout(r, 500))
  const rss = rssOf(proc.pid)
  row(
    'emulator RSS with 1,000 idle connections',
    `${rss.toFixed(0)} MB`,
    `${before.toFixed(0)} MB before`,
    '≤ 300 MB',
    rss <= 300,
  )
  for (const ws of socks) ws.terminate()

  // idle connected client
  const c = await child(
    `const { Client } = await import('./dist/index.js'); const c = new Client({ url: '${info.url}', token: '${info.bot}' }); await c.users.me(); const rt = c.realtime(); await rt.connect(); await new Promise(r => setTimeout(r, 500)); console.log(JSON.stringify({ ok: true }))`,
  )
  const crss = rssOf(c.proc.pid)
  row('idle connected client RSS', `${crss.toFixed(0)} MB`, '—', '≤ 60 MB', crss <= 60)
  c.proc.kill()
  proc.kill()
}

report()
