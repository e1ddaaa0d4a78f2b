// One bot replica, as a separate OS process (so kill -9 is real). Configured by env:
// MM_URL, MM_TOKEN, REDIS_URL, LEASE_MS, DELAY_MS + up to JITTER_MS (handler wait), CONCURRENCY,
// JOB_CHANNEL (every('1s') posts there).
import { Bot } from '../../../dist/index.js'

const delay = Number(process.env.DELAY_MS ?? 0)
const jitter = Number(process.env.JITTER_MS ?? 0)
const bot = new Bot({
  url: process.env.MM_URL,
  token: process.env.MM_TOKEN,
  typingIndicator: false,
  concurrency: Number(process.env.CONCURRENCY ?? 16),
  session: { scope: 'channel' },
  cluster: { redis: process.env.REDIS_URL, leaseMs: Number(process.env.LEASE_MS ?? 15_000) },
})
bot.message(/^q (\w+)$/, async ctx => {
  console.log(`ran q ${ctx.match[1]} in ${ctx.channelId}`)
  const wait = delay + Math.random() * jitter
  if (wait) await new Promise(r => setTimeout(r, wait))
  await ctx.reply(`a ${ctx.match[1]} by ${process.pid}`)
})
bot.message(/^inc$/, ctx => {
  console.log(`ran inc in ${ctx.channelId}`)
  ctx.session.n = (ctx.session.n ?? 0) + 1
})
bot.message(/^count\?$/, ctx => ctx.reply(`count ${ctx.session.n ?? 0}`))
if (process.env.JOB_CHANNEL)
  bot.every('1s', ctx => ctx.send(process.env.JOB_CHANNEL, `tick by ${process.pid}`))
bot.catch(err => console.error('handler error', err))
process.on('SIGTERM', () => bot.stop().then(() => process.exit(0)))
await bot.start({ port: 0 })
console.log(
  JSON.stringify({ ready: true, pid: process.pid, url: bot.urls.webhook.replace(/\/mattermost.*$/, '') }),
)
