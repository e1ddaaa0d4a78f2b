// Realtime ingest: 100k `posted` frames through RealtimeClient, beside raw ws + JSON.parse.
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'
import { Client } from '../dist/index.js'
import { child, median, report, row } from './lib.mjs'

// The server runs in its own process and blasts the frames once the client's first action (a ping)
// arrives; the client's figure is timed from its first `posted` event to its last, so what is
// measured is the client's receive path, not the server's send path.
const N = 100_000
const server = await child(
  `
  import('ws').then(({ WebSocketServer }) => {
    const N = ${N}
    const post = { id: 'p'.repeat(26), channel_id: 'c'.repeat(26), user_id: 'u'.repeat(26), message: 'hello world', create_at: 1, update_at: 1, props: {}, root_id: '', type: '' }
    const frames = []
    for (let i = 1; i <= N; i++)
      frames.push(Buffer.from(JSON.stringify({
        event: 'posted',
        data: { post: JSON.stringify({ ...post, id: String(i).padStart(26, 'x') }), channel_type: 'O', channel_name: 'town', sender_name: '@u', team_id: 't' },
        broadcast: { omit_users: null, user_id: '', channel_id: post.channel_id, team_id: '' },
        seq: i,
      })))
    const wss = new WebSocketServer({ port: 0, perMessageDeflate: false })
    wss.on('connection', ws => {
      ws.send(JSON.stringify({ event: 'hello', data: { connection_id: 'h'.repeat(26), server_version: 'bench' }, broadcast: {}, seq: 0 }))
      let blasted = false
      ws.on('message', m => {
        const msg = JSON.parse(m)
        if (msg.action) ws.send(JSON.stringify({ status: 'OK', seq_reply: msg.seq, data: { text: 'pong', server_time: Date.now() } }))
        if (!blasted) { blasted = true; setTimeout(() => { for (const f of frames) ws.send(f, { binary: false }) }, 100) }
      })
    })
    wss.on('listening', () => console.log(JSON.stringify({ port: wss.address().port })))
  })
  `,
)
const url = `ws://127.0.0.1:${server.info.port}/api/v4/websocket`

/** A raw `ws` client doing the minimum: parse the frame, parse `data.post`. */
async function rawRun(options) {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options })
  let got = 0
  let start = 0
  const done = new Promise(resolve =>
    ws.on('message', d => {
      const m = JSON.parse(d.toString())
      if (m.event === 'posted') {
        JSON.parse(m.data.post)
        if (got++ === 0) {
          start = performance.now()
          cpu0 = process.cpuUsage()
        }
        if (got === N) resolve(performance.now() - start)
      }
    }),
  )
  let cpu0
  await new Promise(r => ws.on('open', r))
  ws.send(JSON.stringify({ seq: 1, action: 'ping', data: {} }))
  const t = await done
  const cpu = process.cpuUsage(cpu0)
  ws.close()
  return { t, cpu: (cpu.user + cpu.system) / 1000 }
}

/** matterkit's RealtimeClient: typed, decoded events, dedupe, seq tracking. */
async function oursRun() {
  const c = new Client({
    url: url.replace('ws', 'http').replace('/api/v4/websocket', ''),
    token: 'bench-token',
    verifyServer: false,
  })
  const rt = c.realtime({ backfill: false })
  let got = 0
  let start = 0
  const done = new Promise(resolve =>
    rt.on('posted', () => {
      if (got++ === 0) {
        start = performance.now()
        cpu0 = process.cpuUsage()
      }
      if (got === N) resolve(performance.now() - start)
    }),
  )
  let cpu0
  await rt.connect()
  const t = await done
  const cpu = process.cpuUsage(cpu0)
  await rt.close()
  return { t, cpu: (cpu.user + cpu.system) / 1000 }
}

const runs = { raw: [], rawFast: [], ours: [] }
for (let rep = 0; rep < 5; rep++) {
  runs.raw.push(await rawRun({}))
  runs.ours.push(await oursRun())
  runs.rawFast.push(await rawRun({ skipUTF8Validation: true }))
}
// Wall clock (events/s while the stream runs) and CPU cost (events per CPU-second of the client
// process: what the receive path can sustain, independent of how fast the server sends).
const rate = (list, k) => N / (median(list.map(r => r[k])) / 1000)
const raw = rate(runs.raw, 't')
const rawFast = rate(runs.rawFast, 't')
const ours = rate(runs.ours, 't')
row(
  'realtime ingest 100k posted (events/s)',
  `${ours.toFixed(0)} (${(ours / raw).toFixed(2)}×; ${(ours / rawFast).toFixed(2)}× of the second)`,
  `ws + JSON.parse ${raw.toFixed(0)}; same with skipUTF8Validation ${rawFast.toFixed(0)}`,
  '≥ 0.9× raw',
  ours / raw >= 0.9,
)
const cRaw = rate(runs.raw, 'cpu')
const cOurs = rate(runs.ours, 'cpu')
row(
  'realtime ingest per CPU-second (events)',
  `${cOurs.toFixed(0)} (${(cOurs / cRaw).toFixed(2)}×)`,
  `ws + JSON.parse ${cRaw.toFixed(0)}`,
  '≥ 0.9× raw',
  cOurs / cRaw >= 0.9,
)
server.proc.kill()
report()
