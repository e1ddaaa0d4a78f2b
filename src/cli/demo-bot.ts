/**
 * The demo bot `npm start` runs: ping, an AI-style assistant (streamed from a demo source, no
 * model or key needed), a slash command and a button.
 * @module
 */
import { Bot } from '../bot/bot.js'

/**
 * A deterministic stand-in for a language model, for the demo only: it streams a fixed answer
 * word by word, so the assistant shows streaming without a model or an API key.
 */
export async function* demoModelAnswer(question: string): AsyncGenerator<string> {
  const words =
    `(demo model) You asked: "${question}". A real assistant would stream a model's answer here, edited into this post about once a second. Try examples/assistant.ts with OPENAI_BASE_URL to use a real model.`.split(
      ' ',
    )
  for (const [i, w] of words.entries()) {
    await new Promise(r => setTimeout(r, 25))
    yield i === 0 ? w : ` ${w}`
  }
}

/** Build the demo bot. */
export function createDemoBot(url: string, token: string): Bot {
  const bot = new Bot({ url, token })
  bot.message(/^ping$/i, ctx => ctx.reply('pong 🏓'))
  // DMs, mentions and follow-ups in its threads: answered by the (demo) model, streamed.
  bot.assistant(ctx => ctx.stream(demoModelAnswer(ctx.textWithoutMention.trim()), { intervalMs: 300 }))
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
