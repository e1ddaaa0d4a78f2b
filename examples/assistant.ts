// Assistant: answers mentions in threads, shows "typing…" while the (stand-in) model thinks,
// and asks a follow-up question with waitForReply.
import { Bot, type BotOptions } from 'matterkit'

export type Model = (prompt: string) => Promise<string>

/** A stand-in for an LLM call: slow, deterministic. */
export const fakeModel: Model = async prompt => {
  await new Promise(r => setTimeout(r, 1200))
  return `You asked about "${prompt}". Here is a thoughtful answer.`
}

export function createAssistant(options: BotOptions & { model?: Model }): Bot {
  const model = options.model ?? fakeModel
  const bot = new Bot({ ...options, threadReplies: true })
  bot.mention(/^plan$/i, async ctx => {
    await ctx.reply('What should the plan be about?')
    const topic = await ctx.waitForReply({ timeout: 60_000 })
    await ctx.reply(await model(`a plan for ${topic.message}`))
  })
  bot.mention(undefined, async ctx => {
    const question = ctx.text.replace(/@\S+/, '').trim()
    await ctx.reply(await model(question))
  })
  return bot
}
