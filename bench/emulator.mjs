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

  // Fan-out: 100 listeners (in their own process, like other users' clients) in town square;
  // this process creates posts over REST at concurrency 32. Latency = listener receive time -
  // the send time carried in the message (epoch ms with sub-ms precision, comparable across
  // processes). A warm-up of 2,000 posts runs first; only the measured posts count. Then PACED
  // posts are sent open-loop at PACED_RATE posts/s (latency below saturation).
  //
  // Two runs: with minimal RFC 6455 listeners (bench/fanout-listeners.mjs 'light': the target
  // rows, so the 2 cores go to the server under test) and with `ws` listeners (reference rows:
  // there the listeners' own CPU is the limit of the whole machine).
  const N = 3000
  const WARM = 2000
  const LISTENERS = 100
  const PACED = 1000
  const PACED_RATE = 500
  const fanout = async mode => {
    const phases = [
      { marker: '"message\\":\\"fan ', count: N * LISTENERS },
      { marker: '"message\\":\\"pace ', count: PACED * LISTENERS },
    ]
    const lproc = spawn(
      process.execPath,
      [
        new URL('./fanout-listeners.mjs', import.meta.url).pathname,
        mode,
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
    const pool = new Pool(info.url, { connections: 32 })
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
    const cpu = {
      emulator: cpuOf(proc.pid) - e0,
      listeners: cpuOf(lproc.pid) - l0,
      generator: (({ user, system }) => (user + system) / 1000)(process.cpuUsage(m0)),
    }
    const gap = 1000 / PACED_RATE
    const t0 = performance.now()
    const sent = []
    for (let i = 0; i < PACED; i++) {
      const due = t0 + i * gap
      const wait = due - performance.now()
      if (wait > 1) await new Promise(r => setTimeout(r, wait))
      sent.push(create(() => `pace ${now()}`)())
    }
    await Promise.all(sent)
    const paced = await nextLine()
    await pool.close()
    lproc.kill()
    return { rate, fan, paced, cpu }
  }
  const us = n => `${((n * 1000) / N).toFixed(0)} µs`
  const viaWs = await fanout('ws')
  const light = await fanout('light')
  row(
    'emulator posts/s with 100 listeners',
    light.rate.toFixed(0),
    `with ws listeners ${viaWs.rate.toFixed(0)}`,
    '≥ 3,000',
    light.rate >= 3000,
  )
  row(
    'emulator fan-out p99',
    ms(light.fan.p99),
    `p50 ${ms(light.fan.p50)}; with ws listeners p99 ${ms(viaWs.fan.p99)}`,
    '≤ 20 ms',
    light.fan.p99 <= 20,
  )
  // Where the 2 cores went during the measured posts: the emulator vs. the measuring apparatus.
  row(
    'emulator CPU per post (100 listeners)',
    us(light.cpu.emulator),
    `light listeners ${us(light.cpu.listeners)} + load generator ${us(light.cpu.generator)}; with ws listeners: emulator ${us(viaWs.cpu.emulator)}, listeners ${us(viaWs.cpu.listeners)}`,
    '—',
    null,
  )
  row(
    `emulator fan-out p99 at ${PACED_RATE} posts/s paced (100 listeners)`,
    ms(light.paced.p99),
    `p50 ${ms(light.paced.p50)}; with ws listeners p99 ${ms(viaWs.paced.p99)}`,
    '≤ 20 ms',
    light.paced.p99 <= 20,
  )

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
