/**
 * The bot's side of the HTTP receiver: turning verified requests into contexts, refusals, and
 * delivering answers that come after Mattermost was already acknowledged.
 * @module
 */

import { ForbiddenError } from '../client/errors.js'
import type { Logger } from '../core/logger.js'
import type { ReceiverEvent } from '../http/events.js'
import type { ReceiverReply } from '../http/receiver-types.js'
import { respond } from '../http/respond.js'
import type { Client } from '../realtime/client.js'
import type { CommandSpec } from './args.js'
import { commandHint } from './args.js'
import { ActionContext } from './contexts/action.js'
import type { AnyContext, BotRuntime } from './contexts/base.js'
import { CommandContext } from './contexts/command.js'
import { DialogContext } from './contexts/dialog.js'
import type { MessageContext } from './contexts/message.js'
import { WebhookContext } from './contexts/webhook.js'
import type { PostFilter } from './filters.js'

/** A context made from a receiver request. */
export type RequestContext = CommandContext | ActionContext | DialogContext | WebhookContext

/** Build the context of a verified request. @internal */
export function requestContext(rt: BotRuntime, ev: ReceiverEvent): RequestContext {
  switch (ev.kind) {
    case 'command':
      return new CommandContext(rt, ev.payload)
    case 'action':
      return new ActionContext(rt, ev.payload, ev.actionId)
    case 'dialog':
      return new DialogContext(rt, ev.payload, ev.state ?? null)
    default:
      return new WebhookContext(rt, ev.payload)
  }
}

/** A refusal shown to the user, in the shape each request kind needs. @internal */
export function refusal(kind: ReceiverEvent['kind'], text: string): ReceiverReply {
  if (kind === 'command') return { response_type: 'ephemeral', text }
  if (kind === 'action') return { ephemeral_text: text }
  if (kind === 'dialog') return { error: text }
  return {}
}

/** A handler threw: a request Mattermost waits on that has no answer yet gets a polite refusal. */
export function answerFailure(ctx: AnyContext): void {
  if (ctx.kind === 'message' || ctx.kind === 'event' || ctx.kind === 'job' || ctx.response !== undefined)
    return
  ;(ctx as { response: unknown }).response = refusal(
    ctx.kind,
    'Sorry, that failed on the bot side; the error was logged.',
  )
}

/**
 * Deliver an answer that came after the receiver had acknowledged: commands through
 * `response_url`, actions by patching the post and posting an ephemeral, webhooks as a bot reply.
 * Dialog answers cannot be delivered late (logged). @internal
 */
export async function deliverLate(client: Client, ctx: RequestContext, log: Logger): Promise<void> {
  if (ctx.response === undefined) return
  try {
    if (ctx.kind === 'command') await respond(ctx.command.response_url, ctx.response, { client })
    else if (ctx.kind === 'action') {
      const a = typeof ctx.response === 'string' ? { ephemeral_text: ctx.response } : ctx.response
      if (a.update) await client.posts.update(ctx.postId, a.update)
      if (a.ephemeral_text)
        await client.posts.ephemeral(ctx.userId, { channel_id: ctx.channelId, message: a.ephemeral_text })
    } else if (ctx.kind === 'webhook') {
      const text = typeof ctx.response === 'string' ? ctx.response : ctx.response.text
      if (text) await ctx.reply(text)
    } else
      log.warn(
        { kind: 'dialog' },
        'a dialog answer came too late to show; answer dialogs within the ack timeout',
      )
  } catch (err) {
    log.warn({ err, kind: ctx.kind }, 'could not deliver a late answer')
  }
}

/**
 * Create or update the bot's slash commands in its teams so they point at `url`, and learn their
 * tokens. A command with the same trigger made by someone else is left alone (its token is learnt
 * when it already points at us). @internal
 */
export async function registerCommands(o: {
  client: Client
  teams: ReadonlyArray<{ id: string; name: string }>
  commands: ReadonlyMap<string, CommandSpec>
  url: string
  me: string
  log: Logger
  learn(token: string): void
}): Promise<void> {
  for (const team of o.teams) {
    let existing: Awaited<ReturnType<Client['commands']['list']>>
    try {
      existing = await o.client.commands.list(team.id, { customOnly: true })
    } catch (err) {
      // A default server keeps integrations to team and system admins (model/role.go): the bot
      // still runs, and says how to let it register its commands.
      if (!(err instanceof ForbiddenError)) throw err
      o.log.warn(
        { team: team.name, commands: [...o.commands.keys()] },
        `not registering slash commands in team ${team.name}: the bot lacks manage_slash_commands there; make it a team admin (or set EnableOnlyAdminIntegrations false), or register them by hand pointing at ${o.url} and pass their tokens as commandTokens`,
      )
      continue
    }
    for (const [trigger, spec] of o.commands) {
      const body = {
        trigger,
        url: o.url,
        method: 'P' as const,
        auto_complete: true,
        auto_complete_desc: spec.description ?? '',
        auto_complete_hint: commandHint(spec),
        display_name: trigger,
        description: spec.description ?? '',
      }
      const same = existing.find(c => c.trigger === trigger && c.delete_at === 0)
      if (same && same.creator_id !== o.me) {
        if (same.url === o.url) o.learn(same.token)
        else
          o.log.warn(
            { trigger, team: team.name },
            `/${trigger} already exists in team ${team.name} (made by someone else, pointing elsewhere); not registering it`,
          )
        continue
      }
      const cmd = same
        ? await o.client.commands.update(same.id, { ...same, ...body })
        : await o.client.commands.create({ ...body, team_id: team.id })
      o.learn(cmd.token)
    }
  }
}

/**
 * Whether a host name or address is this machine's loopback: `localhost` and `*.localhost`
 * (RFC 6761, with or without the final dot), 127.0.0.0/8, `::1` and their IPv4-mapped forms. @internal
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
  if (h === 'localhost' || h.endsWith('.localhost')) return true
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h
  // WHATWG URL writes an IPv4-mapped address in hex (`[::ffff:127.0.0.1]` → `[::ffff:7f00:1]`).
  return /^127(\.\d{1,3}){3}$/.test(v4) || /^7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(v4)
}

/**
 * Whether `start()` may register the slash commands at `commandUrl`: always with a `publicUrl`;
 * without one the URL is the bot's own listener (loopback, often a random port), which only a
 * server on this machine's loopback can reach, so a remote server's commands are left alone. @internal
 */
export function mayRegisterCommands(o: { publicUrl: string | undefined; serverUrl: string }): boolean {
  if (o.publicUrl) return true
  return isLoopbackHost(new URL(o.serverUrl).hostname)
}

/** The refusal for a request from a user or channel outside the allow-lists (logged), or `undefined`. @internal */
export function deniedRequest(filter: PostFilter, ev: ReceiverEvent, log: Logger): ReceiverReply | undefined {
  const p = ev.payload as { user_id: string; user_name?: string; channel_id: string; channel_name?: string }
  if (!filter.userAllowed(p.user_id, p.user_name)) {
    log.info(
      { user: p.user_name ?? p.user_id, kind: ev.kind },
      `denied: @${p.user_name ?? p.user_id} is not in allowedUsers; refusing their ${ev.kind}`,
    )
    return refusal(ev.kind, 'You are not allowed to use this bot.')
  }
  // Dialog submissions carry no channel name; their dialog was opened from an allowed place.
  if (ev.kind !== 'dialog' && !filter.channelAllowed(p.channel_id, p.channel_name)) {
    log.info(
      { channel: p.channel_name ?? p.channel_id, kind: ev.kind },
      `denied: channel not in the allow-list`,
    )
    return refusal(ev.kind, 'This bot does not work in this channel.')
  }
  return undefined
}

/** Run `fn`, showing "typing…" after 1 s and every 4 s while it runs. @internal */
export async function withTyping(ctx: MessageContext, fn: () => Promise<void>): Promise<void> {
  let interval: NodeJS.Timeout | undefined
  const typing = (): void => void ctx.typing().catch(() => {})
  const first = setTimeout(() => {
    typing()
    interval = setInterval(typing, 4000)
  }, 1000)
  try {
    await fn()
  } finally {
    clearTimeout(first)
    clearInterval(interval)
  }
}
