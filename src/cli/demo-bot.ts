/**
 * The demo bot `npm start` runs: echo, a slash command and a button.
 * @module
 */
import { Bot } from '../bot/bot.js'

/** Build the demo bot. */
export function createDemoBot(url: string, token: string): Bot {
  const bot = new Bot({ url, token })
  bot.message(/^ping$/i, ctx => ctx.reply('pong 🏓'))
  bot.mention(undefined, ctx => ctx.reply(`You said: ${ctx.text.replace(/@\S+\s*/, '')}`))
  bot.dm(undefined, ctx => ctx.reply(`You said: ${ctx.text}`))
  bot.command(
    'deploy',
    async ctx => {
      const service = ctx.args[0] ?? 'api'
      await ctx.client.posts.create({
        channel_id: ctx.channelId,
        message: `Deploy **${service}** to production?`,
        props: {
          attachments: [
            {
              actions: [
                bot.button('approve', 'Approve', { context: { service }, style: 'primary' }),
                bot.button('cancel', 'Cancel', { context: { service }, style: 'danger' }),
              ],
            },
          ],
        },
      })
      return { response_type: 'ephemeral', text: `Approval requested for ${service}.` }
    },
    { description: 'Ask for a deploy approval', hint: '[service]' },
  )
  bot.action('approve', ctx =>
    ctx.update({
      message: `✅ ${String(ctx.action!.context.service)} approved by @${ctx.action!.user_name}`,
      props: {},
    }),
  )
  bot.action('cancel', ctx =>
    ctx.update({ message: `❌ deploy of ${String(ctx.action!.context.service)} cancelled`, props: {} }),
  )
  return bot
}
