// Bot: round trip through the emulator, and in-process dispatch.
import { performance } from 'node:perf_hooks'
import { startEmulator } from '../dist/emulator/index.js'
import { Bot, Client } from '../dist/index.js'
import { ms, pct, report, row } from './lib.mjs'

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

report()
