/**
 * Typed realtime events and the pure decoder that turns raw frames into them (JSON-string
 * fields such as `data.post` are parsed once, here).
 * @module
 */
import { MatterkitError } from '../core/errors.js'
import type { Channel, ChannelMember, Dialog, Post, RawWebSocketEvent, Reaction } from '../types/index.js'

/** Fields every event has. */
export interface EventBase<E extends string, D = Record<string, unknown>> {
  event: E
  /** The raw `data` object (JSON-string fields still as strings). */
  data: D
  broadcast: RawWebSocketEvent['broadcast']
  seq: number
  /** True when the event was rebuilt from REST after a lost resume. */
  replayed?: boolean
}

/** A new post. `post` is decoded; `mentions` lists the ids mentioned (as the server tells this user). */
export interface PostedEvent extends EventBase<'posted'> {
  post: Post
  channelType: string
  channelName: string
  channelDisplayName: string
  senderName: string
  teamId: string
  mentions: string[]
}
/** The `post_edited` event, decoded. */
export interface PostEditedEvent extends EventBase<'post_edited'> {
  post: Post
}
/** The `post_deleted` event, decoded. */
export interface PostDeletedEvent extends EventBase<'post_deleted'> {
  post: Post
}
/** The `ephemeral_message` event, decoded. */
export interface EphemeralMessageEvent extends EventBase<'ephemeral_message'> {
  post: Post
}
/** The `reaction_added` event, decoded. */
export interface ReactionAddedEvent extends EventBase<'reaction_added'> {
  reaction: Reaction
}
/** The `reaction_removed` event, decoded. */
export interface ReactionRemovedEvent extends EventBase<'reaction_removed'> {
  reaction: Reaction
}
/** The `typing` event, decoded. */
export interface TypingEvent extends EventBase<'typing'> {
  userId: string
  parentId: string
}
/** The `hello` event, decoded. */
export interface HelloEvent extends EventBase<'hello'> {
  connectionId: string
  serverVersion: string
}
/** The `channel_updated` event, decoded. */
export interface ChannelUpdatedEvent extends EventBase<'channel_updated'> {
  channel: Channel | undefined
}
/** The `channel_member_updated` event, decoded. */
export interface ChannelMemberUpdatedEvent extends EventBase<'channel_member_updated'> {
  channelMember: ChannelMember
}
/** The `user_added` event, decoded. */
export interface UserAddedEvent extends EventBase<'user_added'> {
  userId: string
  teamId: string
  channelId: string
}
/** The `user_removed` event, decoded. */
export interface UserRemovedEvent extends EventBase<'user_removed'> {
  userId: string
  channelId: string
  removerId: string
}
/** The `direct_added` event, decoded. */
export interface DirectAddedEvent extends EventBase<'direct_added'> {
  channelId: string
  creatorId: string
  teammateId: string
}
/** The `status_change` event, decoded. */
export interface StatusChangeEvent extends EventBase<'status_change'> {
  userId: string
  status: string
}
/** The `open_dialog` event, decoded. */
export interface OpenDialogEvent extends EventBase<'open_dialog'> {
  dialog: { trigger_id: string; url: string; dialog: Dialog }
}
/** Any other event, passed through untyped. */
export interface UnknownEvent extends EventBase<string> {}

/** Event name → event type, for `rt.on(name, …)`. */
export interface RealtimeEventMap {
  posted: PostedEvent
  post_edited: PostEditedEvent
  post_deleted: PostDeletedEvent
  ephemeral_message: EphemeralMessageEvent
  reaction_added: ReactionAddedEvent
  reaction_removed: ReactionRemovedEvent
  typing: TypingEvent
  hello: HelloEvent
  channel_updated: ChannelUpdatedEvent
  channel_member_updated: ChannelMemberUpdatedEvent
  user_added: UserAddedEvent
  user_removed: UserRemovedEvent
  direct_added: DirectAddedEvent
  status_change: StatusChangeEvent
  open_dialog: OpenDialogEvent
}

/** The discriminated union of typed events (plus unknown ones). */
export type RealtimeEvent = RealtimeEventMap[keyof RealtimeEventMap] | UnknownEvent

/** Parse a JSON string field; `undefined` when absent or malformed. */
function json<T>(v: unknown): T | undefined {
  if (typeof v !== 'string') return typeof v === 'object' && v !== null ? (v as T) : undefined
  try {
    return JSON.parse(v) as T
  } catch {
    return undefined
  }
}

const s = (v: unknown): string => (typeof v === 'string' ? v : '')

/** Thrown by {@link decodeEvent} when a required JSON field is malformed. */
export class DecodeError extends MatterkitError {
  constructor(message: string) {
    super('MK_ERR_DECODE', message)
  }
}

/**
 * Decode a raw event frame into a typed event. Pure; throws {@link DecodeError} when a required
 * JSON-string field (e.g. `data.post`) is missing or malformed.
 *
 * @example
 * ```ts
 * const ev = decodeEvent(JSON.parse(frame))
 * if (ev.event === 'posted') console.log(ev.post.message)
 * ```
 */
export function decodeEvent(raw: RawWebSocketEvent): RealtimeEvent {
  const d = typeof raw.data === 'object' && raw.data !== null ? raw.data : {}
  const ev = raw.event
  // Objects are built in one literal each (no spreads): this runs for every frame.
  if (ev === 'posted') {
    return {
      event: 'posted',
      data: d,
      broadcast: raw.broadcast,
      seq: raw.seq,
      post: need<Post>(ev, d, 'post'),
      channelType: s(d.channel_type),
      channelName: s(d.channel_name),
      channelDisplayName: s(d.channel_display_name),
      senderName: s(d.sender_name),
      teamId: s(d.team_id),
      mentions: d.mentions === undefined ? [] : (json<string[]>(d.mentions) ?? []),
    }
  }
  const base = { event: ev, data: d, broadcast: raw.broadcast, seq: raw.seq }
  const b = raw.broadcast
  switch (ev) {
    case 'post_edited':
    case 'post_deleted':
    case 'ephemeral_message':
      return Object.assign(base, { event: ev, post: need<Post>(ev, d, 'post') })
    case 'reaction_added':
    case 'reaction_removed':
      return Object.assign(base, { event: ev, reaction: need<Reaction>(ev, d, 'reaction') })
    case 'typing':
      return Object.assign(base, { event: ev, userId: s(d.user_id), parentId: s(d.parent_id) })
    case 'hello':
      return Object.assign(base, {
        event: ev,
        connectionId: s(d.connection_id),
        serverVersion: s(d.server_version),
      })
    case 'channel_updated':
      return Object.assign(base, { event: ev, channel: json<Channel>(d.channel) })
    case 'channel_member_updated':
      return Object.assign(base, { event: ev, channelMember: need<ChannelMember>(ev, d, 'channelMember') })
    case 'user_added':
      return Object.assign(base, {
        event: ev,
        userId: s(d.user_id),
        teamId: s(d.team_id),
        channelId: b?.channel_id ?? '',
      })
    case 'user_removed':
      return Object.assign(base, {
        event: ev,
        userId: s(d.user_id) || (b?.user_id ?? ''),
        channelId: s(d.channel_id) || (b?.channel_id ?? ''),
        removerId: s(d.remover_id),
      })
    case 'direct_added':
      return Object.assign(base, {
        event: ev,
        channelId: b?.channel_id ?? '',
        creatorId: s(d.creator_id),
        teammateId: s(d.teammate_id),
      })
    case 'status_change':
      return Object.assign(base, { event: ev, userId: s(d.user_id), status: s(d.status) })
    case 'open_dialog':
      return Object.assign(base, { event: ev, dialog: need<OpenDialogEvent['dialog']>(ev, d, 'dialog') })
    default:
      return base
  }
}

function need<T>(event: string, d: Record<string, unknown>, key: string): T {
  const v = json<T>(d[key])
  // `"null"`, a number or a list is no object either: it would reach listeners as a `Post`.
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new DecodeError(`${event}: data.${key} is missing or not valid JSON`)
  return v
}

/**
 * Narrow an event by name (the union includes unknown events, so `ev.event === 'posted'` alone
 * cannot narrow it).
 *
 * @example
 * ```ts
 * for await (const ev of rt) if (isEvent(ev, 'posted')) console.log(ev.post.message)
 * ```
 */
export function isEvent<K extends keyof RealtimeEventMap>(
  ev: RealtimeEvent,
  name: K,
): ev is RealtimeEventMap[K] {
  return ev.event === name
}
