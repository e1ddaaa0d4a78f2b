/**
 * matterkit: the TypeScript toolkit for Mattermost bots and integrations.
 *
 * The root lists every public name explicitly, grouped by job. Plumbing (queues, emitters,
 * redaction, back-off, URL parsing, event decoding) is internal: it can change without a major
 * version. Test helpers are in `matterkit/testing`, the local server in `matterkit/emulator`.
 *
 * @example
 * ```ts
 * import { Client } from 'matterkit'
 * const mm = new Client({ url: 'chat.example.com', token: process.env.MATTERMOST_TOKEN })
 * console.log((await mm.users.me()).username)
 * ```
 * @module
 */

export type { ArgValue, CommandArg, CommandFlag, CommandSpec, CommandUsageError } from './bot/args.js'
export type { AssistantOptions, AssistantOverlap } from './bot/assistant.js'
// ── The bot ──────────────────────────────────────────────────────────────────────────────────
export { Bot } from './bot/bot.js'
export type { ClusterOptions } from './bot/cluster/cluster.js'
export type { Middleware, NextFunction } from './bot/compose.js'
export { BotError, Composer, type Handler, type MiddlewareLike } from './bot/composer.js'
export type { ActionContext } from './bot/contexts/action.js'
// Contexts are built by the bot, never by users: their names are types.
export type {
  AnyContext,
  ButtonOptions,
  Context,
  DialogSpec,
  Message,
  UpdateKind,
  UploadInput,
} from './bot/contexts/base.js'
export type { CommandContext } from './bot/contexts/command.js'
export type { DialogContext } from './bot/contexts/dialog.js'
export type { EventContext } from './bot/contexts/event.js'
export type { JobContext } from './bot/contexts/job.js'
export type { MessageContext, WaitOptions } from './bot/contexts/message.js'
export type { WebhookContext } from './bot/contexts/webhook.js'
export type { FilterOptions } from './bot/filters.js'
export type { HistoryMessage, HistoryOptions } from './bot/history.js'
export { type AttachmentInput, attachment, field } from './bot/interactive.js'
export type { Trigger } from './bot/matchers.js'
export type { BotOptions, SessionOptions, StartOptions, StopResult } from './bot/options.js'
export type { CronOptions } from './bot/schedule.js'
export { FileStorage, MemoryStorage, type SessionData, type SessionStorage } from './bot/session.js'
export type { StreamOptions, StreamResult, StreamSource } from './bot/stream.js'
export type { ClientEvents, ClientOptions, LoginOptions, RestClient } from './client/client.js'
export {
  ApiError,
  AuthError,
  type BadRequestError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  type NotImplementedError,
  type NotMattermostError,
  type PayloadTooLargeError,
  ProtocolError,
  RateLimitedError,
  type RequestInfo,
  type ResponseTooLargeError,
  ServerError,
  TimeoutError,
} from './client/errors.js'
export type { PageParams } from './client/resource-base.js'
export type { CreatePost, UploadFile } from './client/resources-posts.js'
export type { Query, RateLimitInfo, RawResponse, RequestOptions, RetryOptions } from './client/transport.js'
export type { HttpStack } from './client/wire.js'
// ── Errors: catch a parent class, or switch on `err.code` ────────────────────────────────────
export { AbortError, ArgumentError, ConfigError, type ErrorCode, MatterkitError } from './core/errors.js'
export type { Logger, LogLevel } from './core/logger.js'
export {
  type ExpressLikeRequest,
  type ExpressLikeResponse,
  expressAdapter,
  type FastifyAdapter,
  type FastifyLikeInstance,
  type FastifyLikeReply,
  type FastifyLikeRequest,
  fastifyAdapter,
  fetchHandler,
  type HonoLikeContext,
  honoAdapter,
  nodeHandler,
} from './http/adapters.js'
export type { ReceiverEvent } from './http/events.js'
// ── The HTTP receiver (slash commands, buttons, dialogs, outgoing webhooks) ──────────────────
export { createReceiver } from './http/receiver.js'
export type {
  Receiver,
  ReceiverOptions,
  ReceiverReply,
  ReceiverRequest,
  ReceiverResponse,
  ReceiverServer,
} from './http/receiver-types.js'
export { respond } from './http/respond.js'
export { signActionContext, signDialogState } from './http/sign.js'
export type { ResyncInfo } from './realtime/backfill.js'
// ── The client and its realtime stream ───────────────────────────────────────────────────────
export { Client } from './realtime/client.js'
export {
  type ChannelMemberUpdatedEvent,
  type ChannelUpdatedEvent,
  type DecodeError,
  type DirectAddedEvent,
  type EphemeralMessageEvent,
  type EventBase,
  type HelloEvent,
  isEvent,
  type OpenDialogEvent,
  type PostDeletedEvent,
  type PostEditedEvent,
  type PostedEvent,
  type ReactionAddedEvent,
  type ReactionRemovedEvent,
  type RealtimeEvent,
  type RealtimeEventMap,
  type StatusChangeEvent,
  type TypingEvent,
  type UnknownEvent,
  type UserAddedEvent,
  type UserRemovedEvent,
} from './realtime/events.js'
export type { RealtimeClientEvents, RealtimeOptions, RealtimeState } from './realtime/options.js'
export { RealtimeClosedError } from './realtime/options.js'
export type { RealtimeClient } from './realtime/realtime.js'
export type { ResumeState, ResumeStore } from './realtime/resume-store.js'
export type {
  BotAccount,
  Command,
  CommandResponse,
  CustomEmoji,
  Dialog,
  DialogElement,
  DialogElementType,
  DialogSubmission,
  IncomingWebhook,
  IncomingWebhookPayload,
  OpenDialogRequest,
  OutgoingWebhook,
  OutgoingWebhookRequest,
  OutgoingWebhookResponse,
  PostActionRequest,
  PostActionResponse,
  Preference,
  SlashCommandRequest,
  SubmitDialogResponse,
  SystemPing,
  UserAccessToken,
} from './types/integrations.js'
// ── Mattermost's models, as the server sends them ────────────────────────────────────────────
export type {
  AppErrorBody,
  Channel,
  ChannelMember,
  ChannelType,
  Id,
  Millis,
  StatusOK,
  Team,
  TeamMember,
  User,
  UserAutocomplete,
  UserStatus,
  UserStatusValue,
} from './types/models.js'
export type {
  FileInfo,
  FileUploadResponse,
  MessageAttachment,
  MessageAttachmentField,
  Post,
  PostAction,
  PostActionOption,
  PostList,
  PostMetadata,
  PostPriority,
  PostProps,
  PostSearchResults,
  Reaction,
  UserThread,
  UserThreadList,
} from './types/posts.js'
export type { RawWebSocketEvent, RawWebSocketResponse } from './types/websocket.js'
