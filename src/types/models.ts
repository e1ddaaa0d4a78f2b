/**
 * Mattermost server model types as they appear on the wire (snake_case JSON): ids, errors,
 * users, teams and channels. Posts, integrations and WebSocket frames have their own files.
 *
 * Written from the server's model package and checked against `@mattermost/types` (see
 * `test/types/`); where that package is wrong (e.g. `CommandResponse.channel_id`) these are right.
 * Declarations only: no runtime code, so both the client and the emulator may import them.
 * @module
 */

/** A 26-character Mattermost id. */
export type Id = string
/** Milliseconds since the epoch. */
export type Millis = number

/** The JSON body of every Mattermost API error (`AppError`). */
export interface AppErrorBody {
  id: string
  message: string
  detailed_error: string
  request_id?: string
  status_code?: number
  is_oauth?: boolean
}

/** `{"status":"OK"}` answered by action endpoints. */
export interface StatusOK {
  status: 'OK'
}

/** Mattermost's `User` object, as the server sends it. */
export interface User {
  id: Id
  create_at: Millis
  update_at: Millis
  delete_at: Millis
  username: string
  auth_service: string
  email: string
  nickname: string
  first_name: string
  last_name: string
  position: string
  roles: string
  props?: Record<string, string>
  notify_props?: Record<string, string>
  last_password_update?: Millis
  last_picture_update?: Millis
  locale: string
  timezone?: Record<string, string>
  mfa_active?: boolean
  last_activity_at?: Millis
  is_bot: boolean
  bot_description?: string
  terms_of_service_id?: string
  terms_of_service_create_at?: Millis
  remote_id?: string
}

/** Mattermost's `UserStatusValue` object, as the server sends it. */
export type UserStatusValue = 'online' | 'away' | 'dnd' | 'offline' | 'ooo'

/** Mattermost's `UserStatus` object, as the server sends it. */
export interface UserStatus {
  user_id: Id
  status: UserStatusValue
  manual: boolean
  last_activity_at: Millis
  /** Seconds, not milliseconds. */
  dnd_end_time?: number
}

/** Mattermost's `Team` object, as the server sends it. */
export interface Team {
  id: Id
  create_at: Millis
  update_at: Millis
  delete_at: Millis
  display_name: string
  name: string
  description: string
  email: string
  type: 'O' | 'I'
  company_name: string
  allowed_domains: string
  invite_id: string
  allow_open_invite: boolean
  scheme_id: string | null
  group_constrained: boolean | null
  policy_id?: string | null
}

/** Mattermost's `TeamMember` object, as the server sends it. */
export interface TeamMember {
  team_id: Id
  user_id: Id
  roles: string
  delete_at: Millis
  scheme_user: boolean
  scheme_admin: boolean
  scheme_guest?: boolean
  explicit_roles?: string
}

/** `O` open, `P` private, `D` direct, `G` group. */
export type ChannelType = 'O' | 'P' | 'D' | 'G'

/** Mattermost's `Channel` object, as the server sends it. */
export interface Channel {
  id: Id
  create_at: Millis
  update_at: Millis
  delete_at: Millis
  team_id: Id
  type: ChannelType
  display_name: string
  name: string
  header: string
  purpose: string
  last_post_at: Millis
  last_root_post_at: Millis
  creator_id: Id
  scheme_id: string | null
  group_constrained: boolean | null
  shared?: boolean | null
  props?: Record<string, unknown> | null
  policy_id?: string | null
  total_msg_count?: number
  total_msg_count_root?: number
}

/** Mattermost's `ChannelMember` object, as the server sends it. */
export interface ChannelMember {
  channel_id: Id
  user_id: Id
  roles: string
  last_viewed_at: Millis
  msg_count: number
  msg_count_root?: number
  mention_count: number
  mention_count_root?: number
  urgent_mention_count?: number
  notify_props: Record<string, string>
  last_update_at: Millis
  scheme_user: boolean
  scheme_admin: boolean
  scheme_guest?: boolean
}

/** `GET /users/autocomplete`: matches, and with `in_channel` the team's matches outside it. */
export interface UserAutocomplete {
  users: User[]
  out_of_channel?: User[]
}
