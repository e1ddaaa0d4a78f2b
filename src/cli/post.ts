/**
 * `matterkit send` and `matterkit hook`: post a message as the user, or through an incoming webhook.
 * @module
 */
import { statSync } from 'node:fs'
import type { Command } from 'commander'
import { MatterkitError } from '../core/errors.js'
import { Client } from '../realtime/client.js'
import type { IncomingWebhookPayload } from '../types/index.js'
import { type Cli, ExitError, exitCodeFor, usage } from './shared.js'

/** Commander's collector for a repeatable option (`--file a --file b`). */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** Parse a JSON option or fail with a usage error naming it. */
function jsonOption<T>(flag: string, text: string): T {
  try {
    return JSON.parse(text) as T
  } catch {
    throw usage(`${flag} must be valid JSON`)
  }
}

/** Register `send` and `hook`. */
export function registerPosting(program: Command, cli: Cli): void {
  const { io, client, print, channelId, conn, tls } = cli

  program
    .command('send <channel> [text...]')
    .description('post a message (channel by name, display name, id, or @user; text from stdin if omitted)')
    .option('--thread <postId>', 'reply in the thread of this post')
    // repeatable, not variadic: `--file a.txt hello` must keep "hello" as the message
    .option('--file <path>', 'attach a file (repeat for several: --file a --file b)', repeatable)
    .option('--props <json>', 'post props as JSON')
    .action(async (ref: string, words: string[], o: { thread?: string; file?: string[]; props?: string }) => {
      const props = o.props ? jsonOption<Record<string, unknown>>('--props', o.props) : undefined
      // check local files before anything goes over the wire: a missing one is the user's typo,
      // not a network problem
      for (const f of o.file ?? []) {
        let isFile = false
        try {
          isFile = statSync(f).isFile()
        } catch {}
        if (!isFile) throw usage(`--file ${f}: no such file.`)
      }
      const message = words.length ? words.join(' ') : ((await io.stdin?.()) ?? '').trimEnd()
      // server/public/model/post.go: a post needs a message or files; we refuse it here instead of
      // posting an empty line
      if (!message.trim() && !o.file?.length)
        throw usage('Nothing to send: give the text as arguments or on stdin (or attach --file).')
      const c = client()
      const channel_id = await channelId(c, ref)
      const file_ids = o.file?.length
        ? (
            await c.files.upload(
              channel_id,
              o.file.map(f => ({ data: f })),
            )
          ).map(f => f.id)
        : undefined
      const post = await c.posts.create({
        channel_id,
        message,
        ...(o.thread ? { root_id: o.thread } : {}),
        ...(file_ids ? { file_ids } : {}),
        ...(props ? { props } : {}),
      })
      print(`posted ${post.id}`, post)
      await c.close()
    })

  program
    .command('hook <hook> [text...]')
    .description(
      'post through an incoming webhook (id or URL); text from the arguments or stdin, where a JSON object is the whole payload',
    )
    .option('--attachment <json>', 'add a message attachment (JSON object)')
    .option('--username <name>', 'post under this name (needs EnablePostUsernameOverride)')
    .option('--channel <name>', 'post in this channel instead of the hook’s own')
    .action(
      async (
        hook: string,
        words: string[],
        o: { attachment?: string; username?: string; channel?: string },
      ) => {
        const payload = await hookPayload(words, io)
        if (o.username) payload.username = o.username
        if (o.channel) payload.channel = o.channel
        if (o.attachment)
          payload.attachments = [...(payload.attachments ?? []), jsonOption('--attachment', o.attachment)]
        if (!payload.text?.trim() && !payload.attachments?.length)
          throw usage('Nothing to post: give the text as arguments or on stdin (or --attachment).')
        const isUrl = /^https?:\/\//.test(hook)
        const base = isUrl ? new URL(hook).origin : conn().url
        if (!base) throw usage('Pass the hook as a full URL, or --url (or MATTERMOST_URL) with its id.')
        // the hook needs no token: its id is the credential
        const c = new Client({
          url: base,
          token: conn().token ?? 'unused-for-hooks',
          verifyServer: false,
          ...tls(),
        })
        try {
          await c.webhooks.post(hook, payload)
        } catch (e) {
          throw hideHook(e, hook, c.url.base)
        } finally {
          await c.close()
        }
        print('ok', { ok: true })
      },
    )
}

/** The webhook payload from the arguments, else stdin (a JSON object there is the payload itself). */
async function hookPayload(words: string[], io: Cli['io']): Promise<IncomingWebhookPayload> {
  if (words.length) return { text: words.join(' ') }
  const input = ((await io.stdin?.()) ?? '').trim()
  if (!input.startsWith('{')) return { text: input }
  let payload: unknown
  try {
    payload = JSON.parse(input)
  } catch {
    throw usage(
      'stdin starts with "{" but is not valid JSON (a JSON object on stdin is the whole webhook payload).',
    )
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw usage('The JSON payload on stdin must be an object such as {"text": "…"}.')
  return payload as IncomingWebhookPayload
}

/**
 * The hook id is the webhook's only credential: an error must not print it (nor the full hook URL),
 * so its message names the host only.
 */
function hideHook(e: unknown, hook: string, base: string): unknown {
  if (!(e instanceof Error)) return e
  const id = /^https?:\/\//.test(hook) ? (new URL(hook).pathname.split('/').pop() ?? hook) : hook
  const scrub = (s: string): string => s.split(hook).join(`${base}/hooks/…`).split(id).join('…')
  const code = e instanceof MatterkitError ? e.code : 'MK_ERR_NETWORK'
  const message =
    code === 'MK_ERR_NETWORK'
      ? `POST ${base}/hooks/… failed: cannot reach ${base}. Check the URL, DNS, TLS settings (--ca, --insecure) and that the server is up.`
      : scrub(e.message)
  return new ExitError(exitCodeFor(e), message, code)
}
