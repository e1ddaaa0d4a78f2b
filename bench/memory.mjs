// Idle client memory: RSS of a process holding a connected client (REST call made, realtime
// WebSocket connected), after GC settles, beside a bare `node` process. The server (emulator) runs
// in its own process. Each `http` stack is measured; the default ('auto') is the target row.
import { child, median, report, row, rssOf } from './lib.mjs'

const ROUNDS = Number(process.env.MEMORY_ROUNDS ?? 3)
const settle = `
for (let i = 0; i < 3; i++) { globalThis.gc?.(); await new Promise(r => setTimeout(r, 200)) }
console.log(JSON.stringify({ ok: true }))
await new Promise(() => {})`

const emu = await child(
  "const m = await import('./dist/emulator/index.js'); const e = await m.startEmulator(); console.log(JSON.stringify({ url: e.url, bot: e.seed.users.bot.token }))",
)
const { url, bot } = emu.info
const clientCode = http => `
const { Client } = await import('./dist/index.js')
const c = new Client({ url: '${url}', token: '${bot}'${http ? `, http: '${http}'` : ''} })
await c.users.me()
const rt = c.realtime()
await rt.connect()
${settle}`

async function rss(code) {
  const { proc } = await child(code, ['--expose-gc'])
  const mb = rssOf(proc.pid)
  proc.kill()
  return mb
}

const results = { bare: [], auto: [], node: [], undici: [] }
for (let r = 0; r < ROUNDS; r++) {
  results.bare.push(await rss(settle))
  for (const http of ['auto', 'node', 'undici']) results[http].push(await rss(clientCode(http)))
}
const bare = median(results.bare)
for (const http of ['auto', 'node', 'undici']) {
  const m = median(results[http])
  row(
    `idle connected client RSS, http '${http}'${http === 'auto' ? ' (default)' : ''}`,
    `${m.toFixed(0)} MB (+${(m - bare).toFixed(0)} MB)`,
    `bare node ${bare.toFixed(0)} MB`,
    http === 'auto' ? '≤ 60 MB' : '— (option; default is auto)',
    http === 'auto' ? m <= 60 : null,
  )
}
emu.proc.kill()
report()
