// Assistant: answers DMs and mentions in threads by streaming a model's answer into a post, with
// the thread as the model's context, a Stop button, and a follow-up question with waitForReply.
// With OPENAI_BASE_URL (and OPENAI_API_KEY, OPENAI_MODEL) it talks to any OpenAI-compatible
// server — OpenAI, Ollama, vLLM, LM Studio — through the `openai` package; without, it uses a
// small deterministic demo model, so it runs with no key.

import { Bot, type BotOptions, type HistoryMessage, MatterkitError, type StreamSource } from 'matterkit'
import OpenAI from 'openai'

/** A model: the conversation so far in, a stream of text (or an SDK stream) out. */
export type Model = (messages: HistoryMessage[]) => StreamSource | Promise<StreamSource>

/** The demo model: streams a fixed, deterministic answer word by word (not a real model). */
export const demoModel: Model = messages =>
  (async function* () {
    const question = messages.at(-1)?.content.replace(/^(@\S+:?\s*)+/, '') ?? ''
    const words = `(demo model) You asked about "${question}". Here is a thoughtful answer.`.split(' ')
    for (const [i, w] of words.entries()) {
      await new Promise(r => setTimeout(r, 40))
      yield i === 0 ? w : ` ${w}`
    }
  })()

/** Any OpenAI-compatible server, from OPENAI_BASE_URL / OPENAI_API_KEY / OPENAI_MODEL. */
export function openAiModel(env: NodeJS.ProcessEnv = process.env): Model | undefined {
  if (!env.OPENAI_BASE_URL && !env.OPENAI_API_KEY) return undefined
  const openai = new OpenAI({ baseURL: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY ?? 'none' })
  return messages =>
    openai.chat.completions.create({
      model: env.OPENAI_MODEL ?? 'gpt-4o-mini',
      stream: true,
      messages: messages.map(m => ({ role: m.role, content: m.content })),
    })
}

export function createAssistant(options: BotOptions & { model?: Model }): Bot {
  const { model = openAiModel() ?? demoModel, ...botOptions } = options
  const bot = new Bot({ ...botOptions, threadReplies: true })
  bot.mention(/^plan$/i, async ctx => {
    await ctx.reply('What should the plan be about?')
    try {
      const topic = await ctx.waitForReply({ timeout: '2m' })
      const answer = await model([
        { role: 'user', content: `a plan for ${topic.message}`, postId: topic.id, createAt: 0 },
      ])
      await ctx.stream(answer)
    } catch (err) {
      if (err instanceof MatterkitError && err.code === 'MK_ERR_CONVERSATION_TIMEOUT')
        await ctx.reply('No topic given; ask me again any time.')
      else throw err
    }
  })
  // A new question in a busy thread stops the answer that is still running.
  bot.assistant(
    async ctx => {
      const history = await ctx.history({
        system: 'You are a helpful assistant in a Mattermost thread.',
        budget: 24_000,
      })
      await ctx.stream(await model(history))
    },
    { overlap: 'interrupt' },
  )
  return bot
}
