// Echo bot: answers "ping", repeats what you tell it when you mention it, and echoes DMs.
//   MATTERMOST_URL=… MATTERMOST_TOKEN=… npx tsx examples/echo.ts
import { Bot, type BotOptions } from 'matterkit'

export function createEchoBot(options: BotOptions): Bot {
  const bot = new Bot(options)
  bot.message(/^ping$/i, ctx => ctx.reply('pong 🏓'))
  bot.mention(/^echo (.+)/i, ctx => ctx.reply(ctx.match[1] ?? ''))
  bot.dm(ctx => ctx.reply(`You said: ${ctx.text}`))
  return bot
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bot = createEchoBot({
    url: process.env.MATTERMOST_URL ?? '',
    token: process.env.MATTERMOST_TOKEN ?? '',
  })
  await bot.start()
  console.log(`echo bot running as @${bot.me.username}`)
  process.once('SIGINT', () => void bot.stop())
}
