/**
 * JSON bodies decoded as the server's Go decoder decodes them into its model structs: the
 * same nesting limit, lone surrogates replaced, and a field of the wrong type refused, so
 * nothing the server would reject is stored and served back to every reader.
 * @module
 */

/**
 * encoding/json's scanner refuses values nested deeper than 10000 (maxNestingDepth). V8's
 * JSON.stringify overflows its stack a few thousand levels down, and every stored value is
 * stringified again (replies, events, persist), so the emulator stops at 1000: stricter than
 * the server, never a 500 (docs/decisions.md).
 */
const MAX_DEPTH = 1000

/** What a model field accepts. `null` is always accepted: Go leaves the zero value. */
export type FieldKind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'strings' | 'objects'

/** Field name → kind, for the fields a handler reads from a body. */
export type Shape = Record<string, FieldKind>

/**
 * Parse a JSON text as Go would: undefined when it does not decode (broken JSON, or nesting
 * past {@link MAX_DEPTH}); a lone UTF-16 surrogate in a string becomes U+FFFD.
 */
export function decodeJson(text: string): { value: unknown } | undefined {
  if (text.length > MAX_DEPTH && tooDeep(text)) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  // UTF-8 cannot carry a surrogate, so one can only arrive as a \uD8xx-\uDFxx escape.
  if (/\\u[dD][89a-fA-F]/.test(text)) value = wellFormed(value)
  return { value }
}

/** Whether `value` is an object whose fields named in `shape` have the right kinds. */
export function fitsShape(value: unknown, shape: Shape): value is Record<string, unknown> {
  if (!isObject(value)) return false
  for (const [name, kind] of Object.entries(shape)) {
    const v = value[name]
    if (v !== undefined && v !== null && !fitsKind(v, kind)) return false
  }
  return true
}

function fitsKind(v: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'string':
    case 'number':
    case 'boolean':
      return typeof v === kind
    case 'object':
      return isObject(v)
    case 'array':
      return Array.isArray(v)
    case 'strings':
      return Array.isArray(v) && v.every(x => x === null || typeof x === 'string')
    case 'objects':
      // []*T: a null element would be a nil pointer the server then dereferences; refuse it.
      return Array.isArray(v) && v.every(isObject)
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A scan of brackets outside strings, without recursion, so no input can overflow the stack. */
function tooDeep(text: string): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92)
        i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 91 || c === 123) {
      if (++depth > MAX_DEPTH) return true
    } else if (c === 93 || c === 125) depth--
  }
  return false
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** Replace lone surrogates in every string of a parsed value (depth is already bounded). */
function wellFormed(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(LONE_SURROGATE, '\uFFFD')
  if (Array.isArray(v)) return v.map(wellFormed)
  if (isObject(v)) {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k.replace(LONE_SURROGATE, '\uFFFD')] = wellFormed(x)
    return out
  }
  return v
}

// The kinds of the model fields the emulator reads (server/public/model: post.go, channel.go,
// reaction.go, preference.go, command.go, incoming_webhook.go, outgoing_webhook.go, user.go login map).

/** model.Post */
export const POST: Shape = {
  id: 'string',
  channel_id: 'string',
  root_id: 'string',
  message: 'string',
  type: 'string',
  props: 'object',
  file_ids: 'strings',
  pending_post_id: 'string',
  create_at: 'number',
  is_pinned: 'boolean',
  has_reactions: 'boolean',
  metadata: 'object',
}

/** model.Channel (create and patch) */
export const CHANNEL: Shape = {
  team_id: 'string',
  name: 'string',
  display_name: 'string',
  header: 'string',
  purpose: 'string',
  type: 'string',
  group_constrained: 'boolean',
}

/** model.Reaction */
export const REACTION: Shape = {
  user_id: 'string',
  post_id: 'string',
  emoji_name: 'string',
  create_at: 'number',
}

/** model.Preference */
export const PREFERENCE: Shape = { user_id: 'string', category: 'string', name: 'string', value: 'string' }

/** api4/user.go login: a map[string]string */
/** model.UserPatch: the fields a user patch may change. */
export const USER_PATCH: Shape = {
  username: 'string',
  password: 'string',
  nickname: 'string',
  first_name: 'string',
  last_name: 'string',
  position: 'string',
  email: 'string',
  props: 'object',
  notify_props: 'object',
  locale: 'string',
  timezone: 'object',
}

/** model.User as `POST /users` reads it. */
export const NEW_USER: Shape = {
  username: 'string',
  email: 'string',
  password: 'string',
  first_name: 'string',
  last_name: 'string',
  nickname: 'string',
}

/** model.ChannelSearch. */
export const CHANNEL_SEARCH: Shape = { term: 'string' }

/** model.SchemeRoles. */
export const SCHEME_ROLES: Shape = {
  scheme_admin: 'boolean',
  scheme_user: 'boolean',
  scheme_guest: 'boolean',
}

export const LOGIN: Shape = {
  id: 'string',
  login_id: 'string',
  password: 'string',
  token: 'string',
  device_id: 'string',
  ldap_only: 'string',
}

/** model.Command */
export const COMMAND: Shape = {
  team_id: 'string',
  trigger: 'string',
  method: 'string',
  url: 'string',
  username: 'string',
  icon_url: 'string',
  display_name: 'string',
  description: 'string',
  auto_complete: 'boolean',
  auto_complete_desc: 'string',
  auto_complete_hint: 'string',
}

/** model.IncomingWebhook */
export const INCOMING_WEBHOOK: Shape = {
  id: 'string',
  channel_id: 'string',
  display_name: 'string',
  description: 'string',
  username: 'string',
  icon_url: 'string',
  channel_locked: 'boolean',
}

/** model.OutgoingWebhook */
export const OUTGOING_WEBHOOK: Shape = {
  id: 'string',
  team_id: 'string',
  channel_id: 'string',
  display_name: 'string',
  description: 'string',
  trigger_words: 'strings',
  trigger_when: 'number',
  callback_urls: 'strings',
  content_type: 'string',
  username: 'string',
  icon_url: 'string',
}

/** model.IncomingWebhookRequest: what `POST /hooks/{id}` carries */
export const WEBHOOK_REQUEST: Shape = {
  text: 'string',
  username: 'string',
  icon_url: 'string',
  icon_emoji: 'string',
  channel: 'string',
  type: 'string',
  props: 'object',
  attachments: 'objects',
  priority: 'object',
}

/** model.PostPatch */
export const PATCH_POST: Shape = {
  message: 'string',
  props: 'object',
  file_ids: 'strings',
  is_pinned: 'boolean',
  has_reactions: 'boolean',
}
