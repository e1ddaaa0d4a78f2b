/**
 * Wire model types of integrations: slash commands, webhooks, bots, tokens, emoji, preferences,
 * dialogs, and the requests Mattermost sends to integrations.
 * @module
 */
import type { Id, Millis } from './models.js'
import type { MessageAttachment, Post, PostActionOption, PostPriority, PostProps } from './posts.js'

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
