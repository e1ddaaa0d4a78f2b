/**
 * Wire model types of posts, reactions, files, message attachments and interactive actions.
 * @module
 */
import type { Id, Millis, User } from './models.js'

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

/** model.ThreadResponse: a collapsed reply thread as one user sees it. */
export interface UserThread {
  /** The root post's id. */
  id: Id
  reply_count: number
  last_reply_at: Millis
  last_viewed_at: Millis
  participants: User[]
  post: Post
  unread_replies: number
  unread_mentions: number
  is_urgent?: boolean
  delete_at: Millis
}

/** model.Threads: one page of a user's threads in a team, with totals. */
export interface UserThreadList {
  total: number
  total_unread_threads: number
  total_unread_mentions: number
  total_unread_urgent_mentions?: number
  threads: UserThread[]
}
