// Status report: a scheduled job posts a report with attachment fields.
import { Bot, type BotOptions, type Context } from 'matterkit'

export async function postReport(
  ctx: Context,
  channel: string,
  stats: () => Record<string, number>,
): Promise<void> {
  const s = stats()
  await ctx.send(channel, {
    message: '#### Daily status',
    props: {
      attachments: [
        {
          color: '#2f81f7',
          fields: Object.entries(s).map(([title, value]) => ({ title, value: String(value), short: true })),
        },
      ],
    },
  })
}

export function createStatusBot(
  options: BotOptions & {
    channel: string
    every?: string
    cron?: string
    stats: () => Record<string, number>
  },
): Bot {
  const bot = new Bot(options)
  if (options.every) bot.every(options.every, ctx => postReport(ctx, options.channel, options.stats))
  bot.cron(options.cron ?? '0 9 * * 1-5', ctx => postReport(ctx, options.channel, options.stats))
  return bot
}
