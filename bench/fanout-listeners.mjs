// The listeners of the emulator fan-out bench, in their own process (like other users' clients):
// `node bench/fanout-listeners.mjs <ws|light> <wsUrl> <token> <listeners> <phases JSON>`.
// Each phase is { marker, count }: the phase ends when `count` frames carrying the marker have
// arrived (over all listeners); then one JSON line { received, p50, p99 } is printed. The
// latency of a frame is its arrival time minus the epoch-ms number that follows the marker.
//
// Two kinds of listener:
// - `ws`: the `ws` package, as a Node client would connect;
// - `light`: a minimal RFC 6455 client on a raw socket (upgrade with a key, parse the unmasked
//   server frames, answer pings with masked pongs). It does what a WebSocket client must and no
//   more, so the measuring apparatus uses a fraction of the CPU `ws` does and the 2 cores go to
//   the server under test.
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { performance } from 'node:perf_hooks'

const [mode, wsUrl, token, countArg, phasesArg] = process.argv.slice(2)
const LISTENERS = Number(countArg)
const phases = JSON.parse(phasesArg).map(p => ({ marker: Buffer.from(p.marker), count: p.count }))
const now = () => performance.timeOrigin + performance.now()

let phase = 0
let lat = []
const closers = []

/** One text payload `d[from, to)` arrived at `t`. */
function onText(d, from, to, t) {
  const current = phases[phase]
  if (!current) return
  const i = d.subarray(from, to).indexOf(current.marker)
  if (i < 0) return
  const at = from + i
  const start = at + current.marker.length
  let end = start
  while ((d[end] >= 48 && d[end] <= 57) || d[end] === 46) end++
  lat.push(t - Number(d.latin1Slice(start, end)))
  if (lat.length === current.count) {
    lat.sort((a, b) => a - b)
    const pct = p => lat[Math.min(lat.length - 1, Math.floor((lat.length * p) / 100))]
    console.log(JSON.stringify({ received: lat.length, p50: pct(50), p99: pct(99) }))
    lat = []
    if (++phase === phases.length) {
      for (const close of closers) close()
      process.exit(0)
    }
  }
}

async function wsListener() {
  const { default: WebSocket } = await import('ws')
  const ws = new WebSocket(`${wsUrl}/api/v4/websocket`, {
    headers: { Authorization: `Bearer ${token}` },
    perMessageDeflate: false,
  })
  await new Promise((resolve, reject) => {
    ws.once('message', resolve)
    ws.once('error', reject)
  })
  ws.on('message', d => onText(d, 0, d.length, now()))
  closers.push(() => ws.terminate())
}

function lightListener() {
  const url = new URL(`${wsUrl}/api/v4/websocket`)
  return new Promise((resolve, reject) => {
    const sock = connect(Number(url.port), url.hostname)
    sock.setNoDelay(true)
    closers.push(() => sock.destroy())
    sock.once('error', reject)
    sock.write(
      `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        `Authorization: Bearer ${token}\r\n\r\n`,
    )
    let buf = Buffer.alloc(0)
    let upgraded = false
    let hello = false
    sock.on('data', chunk => {
      const t = now()
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
      let at = 0
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return
        if (!buf.latin1Slice(0, 12).endsWith('101')) {
          reject(new Error(`upgrade refused: ${buf.latin1Slice(0, end)}`))
          return
        }
        upgraded = true
        at = end + 4
      }
      // Unmasked server frames: FIN+opcode, 7/16/64-bit length, payload.
      while (buf.length - at >= 2) {
        const op = buf[at] & 0x0f
        let len = buf[at + 1] & 0x7f
        let head = 2
        if (len === 126) {
          if (buf.length - at < 4) break
          len = buf.readUInt16BE(at + 2)
          head = 4
        } else if (len === 127) {
          if (buf.length - at < 10) break
          len = buf.readUInt32BE(at + 2) * 2 ** 32 + buf.readUInt32BE(at + 6)
          head = 10
        }
        if (buf.length - at < head + len) break
        const from = at + head
        if (op === 0x1 || op === 0x0) {
          if (!hello) {
            hello = true
            resolve()
          } else onText(buf, from, from + len, t)
        } else if (op === 0x9) sock.write(pong(buf.subarray(from, from + len)))
        else if (op === 0x8) sock.destroy()
        at = from + len
      }
      buf = at === buf.length ? Buffer.alloc(0) : buf.subarray(at)
    })
  })
}

/** A masked pong frame (client frames must be masked) echoing a ping's payload (< 126 bytes). */
function pong(payload) {
  const mask = randomBytes(4)
  const out = Buffer.alloc(6 + payload.length)
  out[0] = 0x8a
  out[1] = 0x80 | payload.length
  mask.copy(out, 2)
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ mask[i & 3]
  return out
}

for (let i = 0; i < LISTENERS; i++) await (mode === 'ws' ? wsListener() : lightListener())
console.log(JSON.stringify({ ready: true }))
