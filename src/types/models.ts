/**
 * Mattermost server model types as they appear on the wire (snake_case JSON).
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

/** Mattermost's `PostPriority` object, as the server sends it. */
export interface PostPriority {
  priority: '' | 'important' | 'urgent'
  requested_ack?: boolean
  persistent_notifications?: boolean
}

/** Mattermost's `PostMetadata` object, as the server sends it. */
export interface PostMetadata {
  embeds?: unknown[]
  emojis?: unknown[]
  files?: FileInfo[]
  images?: Record<string, { width: number; height: number; format: string; frame_count: number }>
  reactions?: Reaction[]
  priority?: PostPriority
  acknowledgements?: unknown[]
}

/** Mattermost's `Post` object, as the server sends it. */
export interface Post {
  id: Id
  create_at: Millis
  update_at: Millis
  edit_at: Millis
  delete_at: Millis
  is_pinned: boolean
  user_id: Id
  channel_id: Id
  root_id: Id | ''
  original_id: string
  message: string
  message_source?: string
  type: string
  props: PostProps
  hashtags: string
  file_ids?: Id[]
  pending_post_id: string
  has_reactions?: boolean
  remote_id?: string
  reply_count: number
  last_reply_at?: Millis
  participants?: User[] | null
  is_following?: boolean
  metadata?: PostMetadata
}

/** Post props: free-form, with a few well-known keys. */
export interface PostProps {
  attachments?: MessageAttachment[]
  from_bot?: string
  from_webhook?: string
  override_username?: string
  override_icon_url?: string
  override_icon_emoji?: string
  webhook_display_name?: string
  [key: string]: unknown
}

/** Mattermost's `PostList` object, as the server sends it. */
export interface PostList {
  order: Id[]
  posts: Record<Id, Post>
  next_post_id: string
  prev_post_id: string
  has_next?: boolean
  first_inaccessible_post_time?: Millis
}

/** Mattermost's `PostSearchResults` object, as the server sends it. */
export interface PostSearchResults extends PostList {
  matches?: Record<Id, string[]> | null
}

/** Mattermost's `Reaction` object, as the server sends it. */
export interface Reaction {
  user_id: Id
  post_id: Id
  emoji_name: string
  create_at: Millis
  update_at?: Millis
  delete_at?: Millis
  remote_id?: string
  channel_id?: Id
}

/** Mattermost's `FileInfo` object, as the server sends it. */
export interface FileInfo {
  id: Id
  user_id: Id
  channel_id?: Id
  post_id?: Id
  create_at: Millis
  update_at: Millis
  delete_at: Millis
  name: string
  extension: string
  size: number
  mime_type: string
  width?: number
  height?: number
  has_preview_image: boolean
  mini_preview?: string | null
  archived?: boolean
}

/** Mattermost's `FileUploadResponse` object, as the server sends it. */
export interface FileUploadResponse {
  file_infos: FileInfo[]
  client_ids: string[]
}

/** Mattermost's `MessageAttachmentField` object, as the server sends it. */
export interface MessageAttachmentField {
  title: string
  value: string | number
  short?: boolean
}

/** Mattermost's `PostActionOption` object, as the server sends it. */
export interface PostActionOption {
  text: string
  value: string
}

/** Mattermost's `PostAction` object, as the server sends it. */
export interface PostAction {
  id?: string
  type?: 'button' | 'select'
  name: string
  disabled?: boolean
  style?: string
  data_source?: 'users' | 'channels' | ''
  options?: PostActionOption[]
  default_option?: string
  integration?: { url: string; context?: Record<string, unknown> }
  cookie?: string
}

/** Mattermost's `MessageAttachment` object, as the server sends it. */
export interface MessageAttachment {
  id?: number
  fallback?: string
  color?: string
  pretext?: string
  author_name?: string
  author_link?: string
  author_icon?: string
  title?: string
  title_link?: string
  text?: string
  fields?: MessageAttachmentField[] | null
  image_url?: string
  thumb_url?: string
  footer?: string
  footer_icon?: string
  ts?: string | number
  actions?: PostAction[]
}

/** Mattermost's `Command` object, as the server sends it. */
export interface Command {
  id: Id
  token: string
  create_at: Millis
  update_at: Millis
  delete_at: Millis
  creator_id: Id
  team_id: Id
  trigger: string
  method: 'P' | 'G' | ''
  username: string
  icon_url: string
  auto_complete: boolean
  auto_complete_desc: string
  auto_complete_hint: string
  display_name: string
  description: string
  url: string
  plugin_id?: string
}

/** Mattermost's `CommandResponse` object, as the server sends it. */
export interface CommandResponse {
  response_type?: 'in_channel' | 'ephemeral' | ''
  text?: string
  username?: string
  icon_url?: string
  channel_id?: Id
  type?: string
  props?: Record<string, unknown>
  goto_location?: string
  trigger_id?: string
  skip_slack_parsing?: boolean
  attachments?: MessageAttachment[]
  extra_responses?: CommandResponse[]
}

/** Mattermost's `IncomingWebhook` object, as the server sends it. */
export interface IncomingWebhook {
  id: Id
  create_at: Millis
  update_at: Millis
  delete_at: Millis
  user_id: Id
  channel_id: Id
  team_id: Id
  display_name: string
  description: string
  username: string
  icon_url: string
  channel_locked: boolean
}

/** Mattermost's `OutgoingWebhook` object, as the server sends it. */
export interface OutgoingWebhook {
  id: Id
  token: string
  create_at: Millis
  update_at: Millis
  delete_at: Millis
  creator_id: Id
  channel_id: Id
  team_id: Id
  trigger_words: string[]
  trigger_when: 0 | 1
  callback_urls: string[]
  display_name: string
  description: string
  content_type: string
  username: string
  icon_url: string
}

/** Body accepted by `POST /hooks/{id}`. */
export interface IncomingWebhookPayload {
  text?: string
  username?: string
  icon_url?: string
  icon_emoji?: string
  channel?: string
  props?: Record<string, unknown>
  attachments?: MessageAttachment[]
  type?: string
  priority?: PostPriority
}

/** Mattermost's `BotAccount` object, as the server sends it. */
export interface BotAccount {
  user_id: Id
  username: string
  display_name?: string
  description?: string
  owner_id: Id
  last_icon_update?: Millis
  create_at: Millis
  update_at: Millis
  delete_at: Millis
  system_owned?: boolean
}

/** Mattermost's `UserAccessToken` object, as the server sends it. */
export interface UserAccessToken {
  id: Id
  /** Only present in the create response. */
  token?: string
  user_id: Id
  description: string
  is_active: boolean
  expires_at?: Millis
}

/** Mattermost's `CustomEmoji` object, as the server sends it. */
export interface CustomEmoji {
  id: Id
  creator_id: Id
  name: string
  create_at: Millis
  update_at: Millis
  delete_at: Millis
}

/** Mattermost's `Preference` object, as the server sends it. */
export interface Preference {
  user_id: Id
  category: string
  name: string
  value: string
}

/** Mattermost's `SystemPing` object, as the server sends it. */
export interface SystemPing {
  status: 'OK' | 'UNHEALTHY'
  [key: string]: unknown
}

/** Mattermost's `DialogElementType` object, as the server sends it. */
export type DialogElementType = 'text' | 'textarea' | 'select' | 'bool' | 'radio' | 'date' | 'datetime'

/** Mattermost's `DialogElement` object, as the server sends it. */
export interface DialogElement {
  display_name: string
  name: string
  type: DialogElementType
  subtype?: 'text' | 'email' | 'number' | 'tel' | 'url' | 'password' | ''
  default?: string
  placeholder?: string
  help_text?: string
  optional?: boolean
  min_length?: number
  max_length?: number
  data_source?: 'users' | 'channels' | 'dynamic' | ''
  data_source_url?: string
  options?: PostActionOption[] | null
  multiselect?: boolean
}

/** Mattermost's `Dialog` object, as the server sends it. */
export interface Dialog {
  callback_id?: string
  title: string
  introduction_text?: string
  icon_url?: string
  elements?: DialogElement[]
  submit_label?: string
  notify_on_cancel?: boolean
  state?: string
}

/** Mattermost's `OpenDialogRequest` object, as the server sends it. */
export interface OpenDialogRequest {
  trigger_id: string
  url: string
  dialog: Dialog
}

/** What Mattermost POSTs to a dialog's `url` on submit. */
export interface DialogSubmission {
  type: 'dialog_submission'
  callback_id: string
  state: string
  user_id: Id
  channel_id: Id
  team_id: Id
  submission: Record<string, string | number | boolean | null>
  cancelled: boolean
}

/** Mattermost's `SubmitDialogResponse` object, as the server sends it. */
export interface SubmitDialogResponse {
  errors?: Record<string, string>
  error?: string
}

/** What Mattermost POSTs to an action's `integration.url` when a button/menu is used. */
export interface PostActionRequest {
  user_id: Id
  user_name: string
  channel_id: Id
  channel_name: string
  team_id: Id
  team_domain: string
  post_id: Id
  trigger_id: string
  type: string
  data_source: string
  context: Record<string, unknown>
}

/** Mattermost's `PostActionResponse` object, as the server sends it. */
export interface PostActionResponse {
  update?: Partial<Post> & { message?: string; props?: PostProps }
  ephemeral_text?: string
  skip_slack_parsing?: boolean
}

/** The form Mattermost POSTs to a slash command's URL. */
export interface SlashCommandRequest {
  token: string
  team_id: Id
  team_domain: string
  channel_id: Id
  channel_name: string
  user_id: Id
  user_name: string
  command: string
  text: string
  trigger_id: string
  root_id: string
  response_url: string
  user_mentions?: string[]
  user_mentions_ids?: string[]
  channel_mentions?: string[]
  channel_mentions_ids?: string[]
}

/** The payload an outgoing webhook POSTs to its callback URLs. */
export interface OutgoingWebhookRequest {
  token: string
  team_id: Id
  team_domain: string
  channel_id: Id
  channel_name: string
  timestamp: number
  user_id: Id
  user_name: string
  post_id: Id
  text: string
  trigger_word: string
  file_ids: string
}

/** Mattermost's `OutgoingWebhookResponse` object, as the server sends it. */
export interface OutgoingWebhookResponse {
  text?: string | null
  username?: string
  icon_url?: string
  props?: Record<string, unknown>
  attachments?: MessageAttachment[]
  type?: string
  response_type?: 'comment' | ''
}

/** A raw WebSocket event frame as the server sends it. */
export interface RawWebSocketEvent {
  event: string
  data: Record<string, unknown>
  broadcast: {
    omit_users: Record<string, boolean> | null
    user_id: string
    channel_id: string
    team_id: string
    connection_id?: string
    omit_connection_id?: string
    contains_sanitized_data?: boolean
    contains_sensitive_data?: boolean
  }
  seq: number
}

/** A raw WebSocket response frame (`seq_reply`). */
export interface RawWebSocketResponse {
  status: 'OK' | 'FAIL'
  seq_reply?: number
  data?: Record<string, unknown>
  error?: AppErrorBody
}
