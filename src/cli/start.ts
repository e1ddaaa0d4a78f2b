/**
 * `npm start`: the emulator, the demo bot, a scripted conversation, then (in a terminal) a chat.
 * @module
 */

import { startEmulator } from '../emulator/index.js'
import { Client } from '../realtime/client.js'
import { isEvent } from '../realtime/events.js'
import type { Post } from '../types/index.js'
import { formatPost, runChat } from './chat.js'
import { createDemoBot } from './demo-bot.js'

/** Run the demo; returns the exit code. */
export async function runStart(
  opts: { interactive?: boolean; out?: (s: string) => void } = {},
): Promise<number> {
  const out = opts.out ?? (s => process.stdout.write(`${s}\n`))
  const emu = await startEmulator({ port: 0 })
  out(
    `▶ Mattermost emulator on ${emu.url} (team "${emu.seed.team.name}", users alice/bob, bot @${emu.seed.users.bot.username})`,
  )
  const bot = createDemoBot(emu.url, emu.seed.users.bot.token)
  await bot.start()
  out(`▶ demo bot running as @${bot.me.username}; /deploy registered\n`)
  const alice = new Client({ url: emu.url, token: emu.seed.users.alice.token })
  const rt = alice.realtime()
  const names = new Map([
    [emu.seed.users.alice.id, 'alice'],
    [emu.seed.users.bot.id, bot.me.username],
  ])
  const buttons: Array<{ postId: string; actionId: string }> = []
  const seen: Post[] = []
  rt.on('event', ev => {
    if (isEvent(ev, 'posted')) {
      seen.push(ev.post)
      out(formatPost(ev.post, names, buttons))
    } else if (isEvent(ev, 'post_edited')) {
      edits.set(ev.post.id, ev.post.message)
      out(`(edited) ${formatPost(ev.post, names, [])}`)
    }
  })
  await rt.connect()
  const wait = async (pred: (p: Post) => boolean): Promise<Post> => {
    const end = Date.now() + 5000
    for (;;) {
      const hit = seen.find(pred)
      if (hit) return hit
      if (Date.now() > end) throw new Error('the bot did not answer in time')
      await new Promise(r => setTimeout(r, 20))
    }
  }
  const edits = new Map<string, string>()
  const waitEdit = async (id: string, done: (m: string) => boolean): Promise<string> => {
    const end = Date.now() + 10_000
    for (;;) {
      const m = edits.get(id)
      if (m !== undefined && done(m)) return m
      if (Date.now() > end) throw new Error('the assistant did not finish in time')
      await new Promise(r => setTimeout(r, 20))
    }
  }
  const channel_id = emu.seed.channels.townSquare.id
  let code = 0
  try {
    out('— alice says "ping"')
    await alice.posts.create({ channel_id, message: 'ping' })
    await wait(p => p.message.startsWith('pong'))
    out(`\n— alice asks "@${bot.me.username} what can you do?" (the assistant streams its answer)`)
    const q = await alice.posts.create({ channel_id, message: `@${bot.me.username} what can you do?` })
    const answer = await wait(p => p.root_id === q.id && p.user_id === bot.me.id)
    const streamed = await waitEdit(answer.id, m => m.endsWith('to use a real model.'))
    out(`(final) ${streamed}`)
    out('\n— alice runs "/deploy api"')
    const r = await alice.commands.execute(channel_id, '/deploy api')
    out(`(only alice) ${r.text}`)
    const ask = await wait(p => p.message.startsWith('Deploy **api**'))
    out('\n— alice clicks [Approve]')
    await alice.posts.doAction(ask.id, ask.props.attachments![0]!.actions![0]!.id!)
    const done = await alice.posts.get(ask.id)
    out(
      `\n✔ the bot answered a message, streamed an assistant answer, a slash command and a button click ("${done.message}")`,
    )
  } catch (e) {
    out(`✘ ${(e as Error).message}`)
    code = 1
  }
  await rt.close()
  await alice.close()
  if (code === 0 && opts.interactive) {
    out('\nYou are alice in ~town-square. Try "ping", "@matterbot hi", "/deploy web", then a button number.')
    await runChat({ url: emu.url, token: emu.seed.users.alice.token, channelId: channel_id, out })
  }
  await bot.stop()
  await emu.stop()
  return code
}
