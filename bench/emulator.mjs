// Emulator: start-up, fan-out to 100 listeners, 1,000 idle connections; idle client RSS.
import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'
import WebSocket from 'ws'
import { child, ms, pct, report, row, rssOf, throughput } from './lib.mjs'

{
  const { proc, info } = await child(
    "const t=performance.now(); const m=await import('./dist/emulator/index.js'); const e=await m.startEmulator(); console.log(JSON.stringify({url:e.url, token:e.seed.users.alice.token, bot:e.seed.users.bot.token, ch:e.seed.channels.townSquare.id, startMs: performance.now()-t}))",
  )
  row('emulator start-up (import + start)', ms(info.startMs), '—', '≤ 300 ms', info.startMs <= 300)

  // fan-out: 100 listeners, posts over REST
  const listeners = []
  for (let i = 0; i < 100; i++) {
    const ws = new WebSocket(`${info.url.replace('http', 'ws')}/api/v4/websocket`, {
      headers: { Authorization: `Bearer ${info.token}` },
      perMessageDeflate: false,
    })
    listeners.push(ws)
    await new Promise(r => ws.once('message', r))
  }
  const lat = []
  const N = 3000
  let received = 0
  const allIn = new Promise(resolve => {
    for (const ws of listeners)
      ws.on('message', d => {
        const s = d.toString()
        const m = /"message\\":\\"fan (\d+\.?\d*)/.exec(s)
        if (m) {
          lat.push(performance.now() - Number(m[1]))
          if (++received === N * listeners.length) resolve()
        }
      })
  })
  const pool = new Pool(info.url, { connections: 32 })
  const s = performance.now()
  await throughput(N, 32, async () => {
    const r = await pool.request({
      method: 'POST',
      path: '/api/v4/posts',
      headers: { authorization: `Bearer ${info.bot}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel_id: info.ch, message: `fan ${performance.now()}` }),
    })
    await r.body.dump()
  })
  const rate = N / ((performance.now() - s) / 1000)
  await allIn
  row('emulator posts/s with 100 listeners', rate.toFixed(0), '—', '≥ 3,000', rate >= 3000)
  row('emulator fan-out p99', ms(pct(lat, 99)), `p50 ${ms(pct(lat, 50))}`, '≤ 20 ms', pct(lat, 99) <= 20)
  for (const ws of listeners) ws.terminate()
  await pool.close()

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
