/**
 * A terminal chat as a human user: type messages, run `/commands`, press buttons by number.
 * @module
 */
import { createInterface } from 'node:readline'
import type { Command as Program } from 'commander'
import type { ClientOptions } from '../client/client.js'
import { NotFoundError } from '../client/errors.js'
import { Client } from '../realtime/client.js'
import { isEvent } from '../realtime/events.js'
import type { Command, Post } from '../types/index.js'
import type { Cli } from './shared.js'
import { usage } from './shared.js'

/** Register `matterkit chat [channel]`: the same chat `start` and `dev` open, against any server. */
export function registerChat(program: Program, cli: Cli): void {
  program
    .command('chat [channel]')
    .description('chat in a channel as the configured user (lines from stdin; ends at end of input)')
    .action(async (ref: string | undefined) => {
      const c = cli.conn()
      if (!c.url || !c.token)
        throw usage(
          'No server configured: pass --url/--token, set MATTERMOST_URL/MATTERMOST_TOKEN, or run `matterkit auth login`.',
        )
      const probe = cli.client()
      const channelId = await cli.channelId(probe, ref ?? 'town-square')
      await probe.close()
      await runChat({ url: c.url, token: c.token, channelId, out: cli.io.out, ...cli.tls() })
    })
}

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
  ca?: ClientOptions['ca']
  insecure?: boolean
}): Promise<void> {
  const out = opts.out ?? (s => process.stdout.write(`${s}\n`))
  const client = new Client({
    url: opts.url,
    token: opts.token,
    ...(opts.ca ? { ca: opts.ca } : {}),
    ...(opts.insecure ? { insecure: true } : {}),
  })
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
    // the one place an ephemeral answer is shown: the server sends a command's ephemeral
    // response as this event too (server/channels/app/command.go: HandleCommandResponsePost)
    if (isEvent(ev, 'ephemeral_message')) out(`(only you) ${ev.post.message}`)
    // a terminal cannot show a form; say so rather than nothing
    if (isEvent(ev, 'open_dialog'))
      out(`(dialog '${ev.dialog.dialog.title}' opened — not shown in the terminal chat)`)
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
      } else if (/^\/help\s*$/i.test(text)) out(await chatHelp(client, opts.channelId))
      else if (text.startsWith('/')) {
        // the answer arrives as an ephemeral_message or posted event; printing the execute
        // response as well showed it twice
        await client.commands.execute(opts.channelId, text).catch(e => {
          if (e instanceof NotFoundError)
            throw new Error(
              `${text.split(/\s/)[0]}: no such command here. Type /help for the ones you can run.`,
            )
          throw e
        })
      } else await client.posts.create({ channel_id: opts.channelId, message: text })
    } catch (e) {
      out(`! ${(e as Error).message}`)
    }
  }
  await rt.close()
  await client.close()
}

/** `/help` in the chat: how the chat works and the slash commands this channel's team offers. */
async function chatHelp(client: Client, channelId: string): Promise<string> {
  const lines = [
    'Type a message to post it, a number to press that button, /command [args] to run a slash command.',
    'End of input (Ctrl-D) or Ctrl-C quits.',
  ]
  try {
    const { team_id } = await client.channels.get(channelId)
    // server/channels/api4/command.go: listAutocompleteCommands, what the webapp's "/" menu shows
    const cmds = await client.request<Command[]>('GET', `/teams/${team_id}/commands/autocomplete`)
    const custom = cmds.filter(c => c.trigger)
    if (custom.length)
      lines.push(
        'Commands:',
        ...custom.map(
          c =>
            `  /${c.trigger}${c.auto_complete_hint ? ` ${c.auto_complete_hint}` : ''}${c.auto_complete_desc ? ` — ${c.auto_complete_desc}` : ''}`,
        ),
      )
  } catch {}
  return lines.join('\n')
}
