// Assistant: answers mentions in threads, shows "typing…" while the (stand-in) model thinks, and
// asks a follow-up question with waitForReply.
import { Bot, type BotOptions, MatterkitError } from 'matterkit'

export type Model = (prompt: string) => Promise<string>

/** A stand-in for an LLM call: slow, deterministic. */
export const fakeModel: Model = async prompt => {
  await new Promise(r => setTimeout(r, 1200))
  return `You asked about "${prompt}". Here is a thoughtful answer.`
}

export function createAssistant(options: BotOptions & { model?: Model }): Bot {
  const { model = fakeModel, ...botOptions } = options
  const bot = new Bot({ ...botOptions, threadReplies: true })
  bot.mention(/^plan$/i, async ctx => {
    await ctx.reply('What should the plan be about?')
    try {
      const topic = await ctx.waitForReply({ timeout: '2m' })
      await ctx.reply(await model(`a plan for ${topic.message}`))
    } catch (err) {
      if (err instanceof MatterkitError && err.code === 'MK_ERR_CONVERSATION_TIMEOUT')
        await ctx.reply('No topic given; ask me again any time.')
      else throw err
    }
  })
  bot.mention(async ctx => ctx.reply(await model(ctx.textWithoutMention)))
  return bot
}
