// matterkit benchmarks: one command (`npm run bench`), prints our figure beside the reference
// measured in the same run (or the target, where the issue sets an absolute bar).
// Uses the built package (dist/) only.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'
import WebSocket, { WebSocketServer } from 'ws'
import { startEmulator } from '../dist/emulator/index.js'
import { Bot, Client } from '../dist/index.js'

const rows = []
const row = (name, ours, reference, target, pass) => {
  rows.push({ name, ours, reference, target, pass: pass ? 'yes' : 'NO' })
  console.error(`  ${name}: ${ours} (ref ${reference})`)
}
const median = a => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]
const pct = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((a.length * p) / 100))]
const ms = n => `${n.toFixed(1)} ms`

// --- import cost -----------------------------------------------------------------------------
function timeNode(args, runs = 15) {
  const t = []
  for (let i = 0; i < runs; i++) {
    const s = performance.now()
    execFileSync(process.execPath, args, { cwd: new URL('..', import.meta.url) })
    t.push(performance.now() - s)
  }
  return median(t)
}
{
  const base = timeNode(['-e', '0'])
  const withImport = timeNode(['--input-type=module', '-e', "await import('matterkit')"])
  const added = withImport - base
  row("import('matterkit') added start-up", ms(added), `node -e 0 = ${ms(base)}`, '≤ 40 ms', added <= 40)
}

// --- posts.create throughput ----------------------------------------------------------------
async function throughput(n, conc, create) {
  let i = 0
  const s = performance.now()
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (i < n) {
        i++
        await create(i)
      }
    }),
  )
  return n / ((performance.now() - s) / 1000)
}
{
  const emu = await startEmulator()
  const token = emu.seed.users.bot.token
  const channel_id = emu.seed.channels.townSquare.id
  const ours = new Client({ url: emu.url, token, maxConcurrency: 64 })
  await ours.users.me()
  const pool = new Pool(emu.url, { connections: 64 })
  const rawCreate = async i => {
    const r = await pool.request({
      method: 'POST',
      path: '/api/v4/posts',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel_id, message: `raw ${i}` }),
    })
    await r.body.json()
  }
  const mmc = await import('@mattermost/client')
  const Client4 = mmc.Client4 ?? mmc.default?.Client4 ?? mmc.default?.default
  const c4 = new Client4()
  c4.setUrl(emu.url)
  c4.setToken(token)
  const oursCreate = i => ours.posts.create({ channel_id, message: `ours ${i}` })
  const c4Create = i => c4.createPost({ channel_id, message: `c4 ${i}` })
  for (const conc of [32, 1]) {
    const n = conc === 32 ? 4000 : 1500
    await throughput(300, conc, rawCreate) // warm-up
    await throughput(300, conc, oursCreate)
    const raw = await throughput(n, conc, rawCreate)
    const o = await throughput(n, conc, oursCreate)
    const ratio = o / raw
    row(
      `posts.create c=${conc} (posts/s)`,
      `${o.toFixed(0)} (${ratio.toFixed(2)}× undici)`,
      `undici Pool ${raw.toFixed(0)}`,
      '≥ 0.9× undici',
      ratio >= 0.9,
    )
    if (conc === 32) {
      await throughput(200, conc, c4Create)
      const c4r = await throughput(n, conc, c4Create)
      row(
        'posts.create c=32 vs Client4',
        `${(o / c4r).toFixed(2)}×`,
        `Client4 ${c4r.toFixed(0)} posts/s`,
        '≥ 5×',
        o / c4r >= 5,
      )
    }
  }
  await ours.close()
  await pool.close()
  await emu.stop()
}

// --- realtime ingest ------------------------------------------------------------------------
{
  const N = 100_000
  const post = {
    id: 'p'.repeat(26),
    channel_id: 'c'.repeat(26),
    user_id: 'u'.repeat(26),
    message: 'hello world',
    create_at: 1,
    update_at: 1,
    props: {},
    root_id: '',
    type: '',
  }
  const frames = []
  for (let i = 1; i <= N; i++) {
    frames.push(
      JSON.stringify({
        event: 'posted',
        data: {
          post: JSON.stringify({ ...post, id: String(i).padStart(26, 'x') }),
          channel_type: 'O',
          channel_name: 'town',
          sender_name: '@u',
          team_id: 't',
        },
        broadcast: { omit_users: null, user_id: '', channel_id: post.channel_id, team_id: '' },
        seq: i,
      }),
    )
  }
  const wss = new WebSocketServer({ port: 0, perMessageDeflate: false })
  let blast = null
  wss.on('connection', ws => {
    ws.send(
      JSON.stringify({
        event: 'hello',
        data: { connection_id: 'h'.repeat(26), server_version: 'bench' },
        broadcast: {},
        seq: 0,
      }),
    )
    ws.on('message', m => {
      const msg = JSON.parse(m)
      if (msg.action)
        ws.send(
          JSON.stringify({
            status: 'OK',
            seq_reply: msg.seq,
            data: { text: 'pong', server_time: Date.now() },
          }),
        )
    })
    blast = () => {
      for (const f of frames) ws.send(f)
    }
  })
  const port = wss.address().port
  const waitBlast = async () => {
    while (!blast) await new Promise(r => setTimeout(r, 5))
    const b = blast
    blast = null
    return b
  }
  const runs = { raw: [], ours: [] }
  for (let rep = 0; rep < 3; rep++) {
    {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v4/websocket`, { perMessageDeflate: false })
      let got = 0
      const done = new Promise(resolve =>
        ws.on('message', d => {
          const m = JSON.parse(d.toString())
          if (m.event === 'posted') {
            JSON.parse(m.data.post)
            if (++got === N) resolve()
          }
        }),
      )
      await new Promise(r => ws.on('open', r))
      const b = await waitBlast()
      const s = performance.now()
      b()
      await done
      runs.raw.push(performance.now() - s)
      ws.close()
    }
    {
      const c = new Client({ url: `http://127.0.0.1:${port}`, token: 'bench-token', verifyServer: false })
      const rt = c.realtime({ backfill: false })
      let got = 0
      const done = new Promise(resolve =>
        rt.on('posted', () => {
          if (++got === N) resolve()
        }),
      )
      await rt.connect()
      const b = await waitBlast()
      const s = performance.now()
      b()
      await done
      runs.ours.push(performance.now() - s)
      await rt.close()
    }
  }
  const raw = N / (median(runs.raw) / 1000)
  const ours = N / (median(runs.ours) / 1000)
  row(
    'realtime ingest 100k posted (events/s)',
    `${ours.toFixed(0)} (${(ours / raw).toFixed(2)}×)`,
    `ws + JSON.parse ${raw.toFixed(0)}`,
    '≥ 0.9× raw',
    ours / raw >= 0.9,
  )
  wss.close()
}

// --- child-process measurements (RSS, start-up) --------------------------------------------
function child(code) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', code], {
      cwd: new URL('..', import.meta.url),
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let buf = ''
    p.stdout.on('data', d => {
      buf += d
      const line = buf.split('\n')[0]
      if (buf.includes('\n')) resolve({ proc: p, info: JSON.parse(line) })
    })
    p.on('error', reject)
  })
}
const rssOf = pid => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024

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

// --- bot: human post → bot reply seen by the human -------------------------------------------
{
  const emu = await startEmulator()
  const bot = new Bot({
    url: emu.url,
    token: emu.seed.users.bot.token,
    threadReplies: false,
    typingIndicator: false,
    loopLimit: 1e9,
  })
  bot.message(/^q (\d+)$/, ctx => ctx.reply(`a ${ctx.match[1]}`))
  await bot.start()
  const human = new Client({ url: emu.url, token: emu.seed.users.alice.token })
  const rt = human.realtime()
  const sent = new Map()
  const lat = []
  rt.on('posted', ev => {
    const m = /^a (\d+)$/.exec(ev.post.message)
    if (m) lat.push(performance.now() - sent.get(m[1]))
  })
  await rt.connect()
  const N = 1000
  const channels = [emu.seed.channels.townSquare.id, emu.seed.channels.offTopic.id]
  for (let i = 0; i < N; i++) {
    const t = performance.now()
    sent.set(String(i), t)
    human.posts.create({ channel_id: channels[i % 2], message: `q ${i}` })
    const next = t + 5 // 200 messages/s
    while (performance.now() < next) await new Promise(r => setTimeout(r, 1))
  }
  while (lat.length < N) await new Promise(r => setTimeout(r, 20))
  row(
    'bot round trip at 200 msg/s p50',
    ms(pct(lat, 50)),
    `p99 ${ms(pct(lat, 99))}`,
    'p50 ≤ 3 ms, p99 ≤ 15 ms',
    pct(lat, 50) <= 3 && pct(lat, 99) <= 15,
  )
  await rt.close()
  await bot.stop()
  await emu.stop()
}

// --- bot: in-process dispatch through 20 listeners and 3 middlewares --------------------------
{
  const emu = await startEmulator()
  const bot = new Bot({
    url: emu.url,
    token: emu.seed.users.bot.token,
    typingIndicator: false,
    loopLimit: 1e12,
    concurrency: 64,
  })
  let handled = 0
  for (let i = 0; i < 3; i++) bot.use((_ctx, next) => next())
  for (let i = 0; i < 19; i++) bot.message(new RegExp(`^never${i}$`), () => {})
  bot.message(/^hit/, () => {
    handled++
  })
  await bot.start()
  const N = 200_000
  const evs = Array.from({ length: N }, (_, i) => ({
    event: 'posted',
    data: {},
    broadcast: { omit_users: null, user_id: '', channel_id: `c${i % 50}`, team_id: '' },
    seq: i,
    post: {
      id: `p${i}`,
      channel_id: `c${i % 50}`,
      user_id: emu.seed.users.alice.id,
      root_id: '',
      message: `hit ${i}`,
      type: '',
      props: {},
    },
    channelType: 'O',
    channelName: `c${i % 50}`,
    channelDisplayName: '',
    senderName: '@alice',
    teamId: '',
    mentions: [],
  }))
  const s = performance.now()
  for (const ev of evs) bot.realtime.emit('posted', ev)
  while (handled < N) await new Promise(r => setImmediate(r))
  const rate = N / ((performance.now() - s) / 1000)
  row(
    'bot dispatch, 20 listeners + 3 middlewares',
    `${rate.toFixed(0)} msg/s`,
    '—',
    '≥ 50,000 msg/s',
    rate >= 50_000,
  )
  await bot.stop()
  await emu.stop()
}

console.log('\n| benchmark | matterkit | reference (same run) | target | met |\n|---|---|---|---|---|')
for (const r of rows) console.log(`| ${r.name} | ${r.ours} | ${r.reference} | ${r.target} | ${r.pass} |`)
process.exit(0)
