// Client throughput: posts.create against a server in its own process (a canned fast server, and
// the emulator), beside a raw undici Pool and @mattermost/client's Client4. Contenders run in
// many short interleaved slices (each slice runs every contender once, so machine load hits all
// alike); figures are total operations over total time. Ours runs with each `http` stack.
import { Pool } from 'undici'
import { Client } from '../dist/index.js'
import { child, report, row, throughput } from './lib.mjs'

const ROUNDS = Number(process.env.CLIENT_ROUNDS ?? 5)
const N = { 32: 2000, 1: 600 }

const canned = `
import { createServer } from 'node:http'
const post = JSON.stringify({ id: 'p'.repeat(26), channel_id: 'c'.repeat(26), user_id: 'u'.repeat(26), message: 'hello', create_at: 1, update_at: 1, props: {}, metadata: {} })
const me = JSON.stringify({ id: 'u'.repeat(26), username: 'matterbot', is_bot: true })
const s = createServer((req, res) => {
  let n = 0
  req.on('data', d => { n += d.length })
  req.on('end', () => {
    const body = req.url.endsWith('/system/ping') ? '{"status":"OK"}' : req.url.endsWith('/users/me') ? me : post
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
})
s.keepAliveTimeout = 60000
s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: 'http://127.0.0.1:' + s.address().port, token: 't'.repeat(26), ch: 'c'.repeat(26) })))`
const emulator = `
const m = await import('./dist/emulator/index.js')
const e = await m.startEmulator()
console.log(JSON.stringify({ url: e.url, token: e.seed.users.bot.token, ch: e.seed.channels.townSquare.id }))`

const mmc = await import('@mattermost/client')
const Client4 = mmc.Client4 ?? mmc.default?.Client4 ?? mmc.default?.default

async function run(label, code) {
  const { proc, info } = await child(code)
  const { url, token, ch: channel_id } = info
  const pool = new Pool(url, { connections: 64 })
  const raw = async i => {
    const r = await pool.request({
      method: 'POST',
      path: '/api/v4/posts',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel_id, message: `raw ${i}` }),
    })
    await r.body.json()
  }
  const ours = {}
  for (const http of ['node', 'undici', 'auto']) {
    const c = new Client({ url, token, maxConcurrency: 64, http })
    await c.users.me()
    ours[http] = c
  }
  const c4 = new Client4()
  c4.setUrl(url)
  c4.setToken(token)
  const fns = {
    undici: raw,
    'ours node': i => ours.node.posts.create({ channel_id, message: `n ${i}` }),
    'ours undici': i => ours.undici.posts.create({ channel_id, message: `u ${i}` }),
    'ours auto': i => ours.auto.posts.create({ channel_id, message: `a ${i}` }),
    Client4: i => c4.createPost({ channel_id, message: `c4 ${i}` }),
  }
  for (const conc of [32, 1]) {
    const names = Object.keys(fns).filter(k => conc === 32 || k !== 'Client4')
    const spent = Object.fromEntries(names.map(k => [k, 0]))
    for (const k of names) await throughput(200, conc, fns[k]) // warm-up
    // Many short slices, the contenders taking turns (order rotated each slice): a change in
    // machine speed during the run hits every contender alike. Rate = operations / total time.
    const slices = ROUNDS * 8
    const chunk = Math.ceil(N[conc] / 8)
    for (let r = 0; r < slices; r++) {
      for (let j = 0; j < names.length; j++) {
        const k = names[(j + r) % names.length]
        spent[k] += chunk / (await throughput(chunk, conc, fns[k]))
      }
    }
    const m = Object.fromEntries(names.map(k => [k, (slices * chunk) / spent[k]]))
    const u = m.undici
    for (const http of ['auto', 'node', 'undici']) {
      const o = m[`ours ${http}`]
      row(
        `${label}: posts.create c=${conc}, http '${http}'${http === 'auto' ? ' (default)' : ''} (posts/s)`,
        `${o.toFixed(0)} (${(o / u).toFixed(2)}× undici)`,
        `undici Pool ${u.toFixed(0)}`,
        // The target is the client as shipped (the default stack); the others are for comparison.
        http === 'auto' ? '≥ 0.9× undici' : '— (option; default is auto)',
        http === 'auto' ? o / u >= 0.9 : null,
      )
    }
    if (conc === 32) {
      const o = m['ours auto']
      // Where the server is the limit (the emulator), even raw undici is below 5× Client4: that
      // row is for information; the canned server is the one that measures the clients.
      const serverBound = u / m.Client4 < 5
      row(
        `${label}: posts.create c=32 vs Client4`,
        `${(o / m.Client4).toFixed(2)}×`,
        `Client4 ${m.Client4.toFixed(0)} posts/s; raw undici ${(u / m.Client4).toFixed(2)}× Client4`,
        serverBound ? '— (server-bound: undici itself < 5×)' : '≥ 5×',
        serverBound ? null : o / m.Client4 >= 5,
      )
    }
  }
  for (const c of Object.values(ours)) await c.close()
  await pool.close()
  proc.kill()
}

await run('canned server', canned)
await run('emulator', emulator)
console.error(
  `(${ROUNDS * 8} interleaved slices per contender; ${N[32] / 8} posts per slice at c=32, ${N[1] / 8} at c=1)`,
)
report()
