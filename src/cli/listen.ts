/**
 * `matterkit listen`: print realtime events as they happen.
 * @module
 */
import type { Command } from 'commander'
import type { Client } from '../realtime/client.js'
import { isEvent, type RealtimeEvent } from '../realtime/events.js'
import { type Cli, usage } from './shared.js'
import { untilStopSignal } from './signals.js'

/**
 * The event names the server sends (server/public/model/websocket_message.go,
 * `WebsocketEventType`). Plugins add their own as `custom_<plugin id>_<name>`
 * (server/channels/app/plugin_api.go: PublishWebSocketEvent).
 */
export const SERVER_EVENTS: ReadonlySet<string> = new Set(
  (
    'typing posted post_edited post_deleted post_unread channel_converted channel_created channel_deleted ' +
    'channel_restored channel_updated channel_member_updated channel_scheme_updated direct_added group_added ' +
    'new_user added_to_team leave_team update_team delete_team restore_team update_team_scheme user_added ' +
    'user_updated user_role_updated memberrole_updated user_removed preference_changed preferences_changed ' +
    'preferences_deleted ephemeral_message status_change hello reaction_added reaction_removed emoji_added ' +
    'channel_viewed multiple_channels_viewed plugin_statuses_changed plugin_enabled plugin_disabled ' +
    'role_updated license_changed config_changed open_dialog guests_deactivated user_activation_status_change ' +
    'received_group received_group_associated_to_team received_group_not_associated_to_team ' +
    'received_group_associated_to_channel received_group_not_associated_to_channel group_member_deleted ' +
    'group_member_add sidebar_category_created sidebar_category_updated sidebar_category_deleted ' +
    'sidebar_category_order_updated thread_updated thread_follow_changed thread_read_changed draft_created ' +
    'draft_updated draft_deleted post_acknowledgement_added post_acknowledgement_removed ' +
    'persistent_notification_triggered channel_bookmark_created channel_bookmark_updated ' +
    'channel_bookmark_deleted channel_bookmark_sorted presence posted_notify_ack scheduled_post_created ' +
    'scheduled_post_updated scheduled_post_deleted'
  ).split(' '),
)

/** `data` with its JSON-string fields (`post`, `reaction`, `mentions`, …) decoded, as the library sees them. */
function decodedData(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(data)) {
    if (typeof v === 'string' && /^\s*[[{]/.test(v)) {
      try {
        out[k] = JSON.parse(v)
        continue
      } catch {}
    }
    out[k] = v
  }
  return out
}

/** Register `listen`. */
export function registerListen(program: Command, cli: Cli): void {
  const { io, g, client, channelId } = cli
  program
    .command('listen')
    .description('print events as they happen (Ctrl-C stops)')
    .option('--event <name...>', 'only these events (e.g. posted reaction_added)')
    .option('--channel <ref>', 'only events in this channel')
    .option('--count <n>', 'stop after n events (a positive integer)')
    .action(async (o: { event?: string[]; channel?: string; count?: string }) => {
      if (o.count !== undefined && !/^[1-9]\d*$/.test(o.count))
        throw usage(`--count must be a positive integer (got "${o.count}").`)
      for (const name of o.event ?? [])
        if (!SERVER_EVENTS.has(name) && !name.startsWith('custom_'))
          io.err(`matterkit: warning: "${name}" is not an event Mattermost sends; listening for it anyway.`)
      const c = client()
      // fail loudly (3 auth, 4 unreachable) before waiting on a socket that would retry for ever
      await c.users.me()
      const only = o.channel ? await channelId(c, o.channel) : undefined
      const rt = c.realtime()
      const names = new Names(c)
      let n = 0
      const max = o.count ? Number(o.count) : Number.POSITIVE_INFINITY
      const stopListening = new AbortController()
      // events print in arrival order even though naming an author may need a request
      let printing = Promise.resolve()
      const done = new Promise<void>(resolve => {
        rt.on('event', ev => {
          if (o.event && !o.event.includes(ev.event)) return
          if (only && ev.broadcast.channel_id !== only) return
          if (ev.event === 'hello') return
          const last = ++n >= max
          printing = printing.then(async () => {
            io.out(
              g().json
                ? JSON.stringify({
                    event: ev.event,
                    seq: ev.seq,
                    data: decodedData(ev.data),
                    broadcast: ev.broadcast,
                  })
                : await summary(ev, names),
            )
            if (last) resolve()
          })
        })
        void untilStopSignal(stopListening.signal).then(resolve)
      })
      await rt.connect()
      await done
      stopListening.abort() // the signal listeners go as soon as we are done
      await rt.close()
      await c.close()
    })
}

/** One line for a human: `posted @alice ~town-square: text`. */
async function summary(ev: RealtimeEvent, names: Names): Promise<string> {
  if (isEvent(ev, 'posted')) {
    const who = ev.senderName.replace(/^@/, '') || (await names.user(ev.post.user_id))
    const where = ev.channelName || (await names.channel(ev.post.channel_id))
    const author = (ev.post.props.override_username as string | undefined) ?? who
    return `posted @${author} ~${where}: ${ev.post.message}`
  }
  if (isEvent(ev, 'post_edited') || isEvent(ev, 'post_deleted') || isEvent(ev, 'ephemeral_message'))
    return `${ev.event} @${await names.user(ev.post.user_id)} ~${await names.channel(ev.post.channel_id)}: ${ev.post.message}`
  return `${ev.event} ${JSON.stringify(decodedData(ev.data))}`
}

/** Usernames and channel names, each looked up once. */
class Names {
  #users = new Map<string, Promise<string>>()
  #channels = new Map<string, Promise<string>>()
  constructor(private c: Client) {}
  user(id: string): Promise<string> {
    let p = this.#users.get(id)
    if (!p) {
      p = this.c.users.get(id).then(
        u => u.username,
        () => id,
      )
      this.#users.set(id, p)
    }
    return p
  }
  channel(id: string): Promise<string> {
    let p = this.#channels.get(id)
    if (!p) {
      p = this.c.channels.get(id).then(
        ch => ch.name,
        () => id,
      )
      this.#channels.set(id, p)
    }
    return p
  }
}
