// Streaming an answer (ctx.stream): how soon a human's WebSocket shows the first text, how many
// edits a 2,000-token answer at 100 tokens/s costs (rate limit off, and on at 10 req/s), and the
// bot's CPU per streamed token beside a plain `for await` that only concatenates. The bot runs in
// its own process (so its CPU is its own); the emulator and the human (alice) run here.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { startEmulator } from '../dist/emulator/index.js'
import { Client } from '../dist/index.js'
import { median, ms, report, row } from './lib.mjs'

const root = new URL('..', import.meta.url).pathname

// The bot: `tokens N GAP` streams N tokens GAP ms apart; `plain N GAP` only concatenates them.
// It prints {first} (epoch ms of the first token) and {cpu} (µs of CPU for the whole answer).
const botCode = `
import { Bot } from ${JSON.stringify(join(root, 'dist/index.js'))}
const bot = new Bot({ url: process.env.MM_URL, token: process.env.MM_TOKEN, typingIndicator: false })
const gen = async function* (n, gap, mark) {
  for (let i = 0; i < n; i++) {
    if (gap) await new Promise(r => setTimeout(r, gap))
    if (i === 0) mark()
    yield 'tok' + (i % 10) + ' '
  }
}
bot.message(/^(tokens|plain) (\\d+) (\\d+)$/, async ctx => {
  const [, mode, n, gap] = ctx.match
  let first = 0
  const cpu0 = process.cpuUsage()
  if (mode === 'plain') {
    let text = ''
    for await (const t of gen(+n, +gap, () => (first = Date.now()))) text += t
    if (!text) throw new Error('empty')
  } else await ctx.stream(gen(+n, +gap, () => (first = Date.now())), { stopButton: false })
  const cpu = process.cpuUsage(cpu0)
  console.log(JSON.stringify({ first, cpu: cpu.user + cpu.system }))
})
await bot.start()
console.log(JSON.stringify({ ready: true }))
`

function startBot(emu) {
  const p = spawn(process.execPath, ['--input-type=module', '-e', botCode], {
    env: { ...process.env, MM_URL: emu.url, MM_TOKEN: emu.seed.users.bot.token },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = []
  const waiters = []
  createInterface({ input: p.stdout }).on('line', l => {
    const v = JSON.parse(l)
    const w = waiters.shift()
    if (w) w(v)
    else lines.push(v)
  })
  const next = () => new Promise(r => (lines.length ? r(lines.shift()) : waiters.push(r)))
  return { next, stop: () => new Promise(r => p.once('exit', r).kill('SIGTERM')) }
}

async function scenario(rateLimit) {
  const emu = await startEmulator(rateLimit ? { rateLimit: { perSecond: 10, burst: 100 } } : {})
  const bot = startBot(emu)
  await bot.next()
  const alice = new Client({ url: emu.url, token: emu.seed.users.alice.token })
  const rt = alice.realtime()
  const events = []
  rt.on('event', e => events.push({ at: Date.now(), e }))
  await rt.connect()
  const ch = emu.createChannel({
    name: `bench-${rateLimit ? 'rl' : 'free'}`,
    display_name: 'bench',
    members: [emu.seed.users.bot.id, emu.seed.users.alice.id],
  }).id
  const ask = async message => {
    const q = await alice.posts.create({ channel_id: ch, message })
    const result = await bot.next()
    return { q, result }
  }
  const answerOf = qid => {
    const posted = events.filter(x => x.e.event === 'posted' && x.e.post.root_id === qid)
    const ids = new Set(posted.map(x => x.e.post.id))
    const edits = events.filter(x => x.e.event === 'post_edited' && ids.has(x.e.post.id))
    return { posted, edits }
  }
  const out = {}
  // First text: 10 short answers whose first token comes after 50 ms.
  const firsts = []
  for (let i = 0; i < 10; i++) {
    const { q, result } = await ask('tokens 5 50')
    const deadline = performance.now() + 5000
    while (!answerOf(q.id).posted.length && performance.now() < deadline)
      await new Promise(r => setTimeout(r, 2))
    firsts.push(answerOf(q.id).posted[0].at - result.first)
  }
  out.first = median(firsts)
  // 2,000 tokens at 100 tokens/s (10 ms apart): edits per second and lost characters.
  const t0 = Date.now()
  const { q } = await ask('tokens 2000 10')
  const took = (Date.now() - t0) / 1000
  await new Promise(r => setTimeout(r, 1500)) // the last edit's event
  const { posted, edits } = answerOf(q.id)
  const want = Array.from({ length: 2000 }, (_, i) => `tok${i % 10} `).join('')
  const final = (await alice.posts.get(posted[0].e.post.id)).message
  out.editsPerSec = (posted.length + edits.length) / took
  out.lost = want.length - final.length + (final === want ? 0 : Number.NaN)
  // CPU per token: the same 20,000 tokens, no gap, streamed vs only concatenated.
  const streamed = (await ask('tokens 20000 0')).result.cpu / 20000
  const plain = (await ask('plain 20000 0')).result.cpu / 20000
  out.cpu = { streamed, plain }
  await bot.stop()
  await rt.close()
  await alice.close()
  await emu.stop()
  return out
}

const free = await scenario(false)
const limited = await scenario(true)
row(
  'stream: first text on a human socket after the first token, p50',
  ms(free.first),
  `rate limit 10/s: ${ms(limited.first)}`,
  '≤ 300 ms',
  free.first <= 300,
)
row(
  'stream: edits per second, 2,000 tokens at 100 tokens/s',
  free.editsPerSec.toFixed(2),
  `rate limit 10/s: ${limited.editsPerSec.toFixed(2)}`,
  '≤ 1.2',
  free.editsPerSec <= 1.2 && limited.editsPerSec <= 1.2,
)
row(
  'stream: characters lost, 2,000 tokens',
  String(free.lost),
  `rate limit 10/s: ${limited.lost}`,
  '0',
  free.lost === 0 && limited.lost === 0,
)
row(
  'stream: bot CPU per streamed token',
  `${free.cpu.streamed.toFixed(2)} µs`,
  `plain for-await concat ${free.cpu.plain.toFixed(2)} µs`,
  '— (stated)',
  null,
)
report()
