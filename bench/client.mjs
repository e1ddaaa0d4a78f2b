// Client throughput: posts.create against the emulator, beside a raw undici Pool and Client4.
import { Pool } from 'undici'
import { startEmulator } from '../dist/emulator/index.js'
import { Client } from '../dist/index.js'
import { report, row, throughput } from './lib.mjs'

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

report()
