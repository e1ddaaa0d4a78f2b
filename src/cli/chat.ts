/**
 * A terminal chat as a human user: type messages, run `/commands`, press buttons by number.
 * @module
 */
import { createInterface } from 'node:readline'
import { Client } from '../client/client.js'
import '../realtime/index.js'
import { isEvent } from '../realtime/events.js'
import type { Post } from '../types/index.js'

/** Print a post as a chat line (with numbered buttons). */
export function formatPost(
  p: Post,
  names: Map<string, string>,
  buttons: Array<{ postId: string; actionId: string }>,
): string {
  const who =
    (p.props.override_username as string | undefined) ?? names.get(p.user_id) ?? p.user_id.slice(0, 6)
  let line = `${p.root_id ? '  ↳ ' : ''}@${who}: ${p.message}`
  for (const a of p.props.attachments ?? []) {
    if (a.text) line += `\n    ${a.text}`
    for (const f of a.fields ?? []) line += `\n    ${f.title}: ${f.value}`
    for (const act of a.actions ?? []) {
      buttons.push({ postId: p.id, actionId: act.id ?? '' })
      line += `\n    [${buttons.length}] ${act.name}`
    }
  }
  return line
}

/** Run the chat until Ctrl-C / end of input. */
export async function runChat(opts: {
  url: string
  token: string
  channelId: string
  out?: (s: string) => void
}): Promise<void> {
  const out = opts.out ?? (s => process.stdout.write(`${s}\n`))
  const client = new Client({ url: opts.url, token: opts.token })
  const me = await client.users.me()
  const names = new Map<string, string>()
  const name = async (id: string): Promise<void> => {
    if (!names.has(id)) names.set(id, (await client.users.get(id).catch(() => ({ username: id }))).username)
  }
  const buttons: Array<{ postId: string; actionId: string }> = []
  const rt = client.realtime()
  rt.on('posted', async ev => {
    if (ev.post.channel_id !== opts.channelId && ev.channelType !== 'D') return
    await name(ev.post.user_id)
    out(formatPost(ev.post, names, buttons))
  })
  rt.on('event', async ev => {
    if (isEvent(ev, 'post_edited') && ev.post.channel_id === opts.channelId) {
      await name(ev.post.user_id)
      out(`(edited) ${formatPost(ev.post, names, buttons)}`)
    }
    if (isEvent(ev, 'ephemeral_message')) out(`(only you) ${ev.post.message}`)
  })
  await rt.connect()
  out(`Connected as @${me.username}. Type a message, /command, or a button number. Ctrl-C quits.`)
  const rl = createInterface({ input: process.stdin, terminal: process.stdin.isTTY })
  for await (const line of rl) {
    const text = line.trim()
    if (!text) continue
    try {
      if (/^\d+$/.test(text) && buttons[Number(text) - 1]) {
        const b = buttons[Number(text) - 1]!
        await client.posts.doAction(b.postId, b.actionId)
      } else if (text.startsWith('/')) {
        const r = await client.commands.execute(opts.channelId, text)
        if (r.text && r.response_type !== 'in_channel') out(`(only you) ${r.text}`)
      } else await client.posts.create({ channel_id: opts.channelId, message: text })
    } catch (e) {
      out(`! ${(e as Error).message}`)
    }
  }
  await rt.close()
  await client.close()
}
