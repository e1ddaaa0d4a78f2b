// Status report: a scheduled job posts a report with attachment fields to a channel given by
// display name (or name, or id).
import { attachment, Bot, type BotOptions, type JobContext } from 'matterkit'

export async function postReport(
  ctx: JobContext,
  channel: string,
  stats: () => Record<string, number> | Promise<Record<string, number>>,
): Promise<void> {
  await ctx.send(channel, {
    message: '#### Daily status',
    props: { attachments: [attachment({ color: '#2f81f7', fields: await stats() })] },
  })
}

export function createStatusBot(
  options: BotOptions & {
    channel: string
    /** An extra fixed interval, e.g. '1h'. */
    every?: string
    /** Default: weekdays at 09:00. */
    cron?: string
    stats: () => Record<string, number> | Promise<Record<string, number>>
  },
): Bot {
  const { channel, every, cron, stats, ...botOptions } = options
  const bot = new Bot(botOptions)
  if (every) bot.every(every, ctx => postReport(ctx, channel, stats))
  bot.cron(cron ?? '0 9 * * 1-5', ctx => postReport(ctx, channel, stats))
  return bot
}
