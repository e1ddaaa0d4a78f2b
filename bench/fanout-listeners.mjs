// The listeners of the emulator fan-out bench, in their own process (like other users' clients):
// `node bench/fanout-listeners.mjs <wsUrl> <token> <listeners> <phases JSON>`.
// Each listener is a `ws` client authenticated with the Authorization header. Each phase is
// { marker, count }: the phase ends when `count` frames carrying the marker have arrived (over
// all listeners); then one JSON line { received, p50, p99 } is printed. A frame's latency is
// its arrival time minus the epoch-ms send time that follows the marker in the message (end to
// end: the REST request, the post's creation and the fan-out).
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'

const [wsUrl, token, countArg, phasesArg] = process.argv.slice(2)
const LISTENERS = Number(countArg)
const phases = JSON.parse(phasesArg).map(p => ({ marker: Buffer.from(p.marker), count: p.count }))
const now = () => performance.timeOrigin + performance.now()

let phase = 0
let sent = []
const socks = []

/** The number (digits and dots) at `start` in `d`. */
function numberAt(d, start) {
  let end = start
  while ((d[end] >= 48 && d[end] <= 57) || d[end] === 46) end++
  return Number(d.latin1Slice(start, end))
}

const summary = a => {
  a.sort((x, y) => x - y)
  const pct = p => a[Math.min(a.length - 1, Math.floor((a.length * p) / 100))]
  return { p50: pct(50), p99: pct(99) }
}

function onMessage(d) {
  const t = now()
  const current = phases[phase]
  if (!current) return
  const at = d.indexOf(current.marker)
  if (at < 0) return
  sent.push(t - numberAt(d, at + current.marker.length))
  if (sent.length === current.count) {
    console.log(JSON.stringify({ received: sent.length, ...summary(sent) }))
    sent = []
    if (++phase === phases.length) {
      for (const ws of socks) ws.terminate()
      process.exit(0)
    }
  }
}

for (let i = 0; i < LISTENERS; i++) {
  const ws = new WebSocket(`${wsUrl}/api/v4/websocket`, {
    headers: { Authorization: `Bearer ${token}` },
    perMessageDeflate: false,
  })
  socks.push(ws)
  await new Promise((resolve, reject) => {
    ws.once('message', resolve)
    ws.once('error', reject)
  })
  ws.on('message', onMessage)
}
console.log(JSON.stringify({ ready: true }))
