// Emulator posts/s with `persist` (a 201 waits until its batch is written: sqlite, journal), beside
// the same emulator in memory, measured in the same run: what durability costs.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { child, report, row, throughput } from './lib.mjs'

const WARM = 2000
const N = 6000
const IN_FLIGHT = 32

/** Posts/s of one emulator (closed loop, 32 in flight, after a warm-up), started in its own process. */
async function postsPerSecond(persistWith) {
  const dir = persistWith ? mkdtempSync(join(tmpdir(), `mk-bench-persist-${persistWith}-`)) : undefined
  const opts = dir ? `{ persist: ${JSON.stringify(dir)}, persistWith: '${persistWith}' }` : '{}'
  const { proc, info } = await child(
    `const m = await import('./dist/emulator/index.js'); const e = await m.startEmulator(${opts}); console.log(JSON.stringify({ url: e.url, bot: e.seed.users.bot.token, ch: e.seed.channels.townSquare.id }))`,
  )
  const pool = new Pool(info.url, { connections: IN_FLIGHT })
  const create = async () => {
    const r = await pool.request({
      method: 'POST',
      path: '/api/v4/posts',
      headers: { authorization: `Bearer ${info.bot}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        channel_id: info.ch,
        message: 'a post of a typical length, some forty characters',
      }),
    })
    if (r.statusCode !== 201) throw new Error(`status ${r.statusCode}`)
    await r.body.dump()
  }
  await throughput(WARM, IN_FLIGHT, create)
  const rate = await throughput(N, IN_FLIGHT, create)
  await pool.close()
  proc.kill()
  if (dir) rmSync(dir, { recursive: true, force: true })
  return rate
}

const memory = await postsPerSecond(undefined)
for (const store of ['sqlite', 'journal']) {
  const rate = await postsPerSecond(store)
  row(
    `emulator posts/s with persist (${store}; every 201 on disk first)`,
    rate.toFixed(0),
    `${memory.toFixed(0)} in memory`,
    '—',
    null,
  )
}

report()
