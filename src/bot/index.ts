/** The bot framework. @module */
export {
  type ArgValue,
  type CommandArg,
  type CommandFlag,
  type CommandSpec,
  CommandUsageError,
  commandHelp,
  commandHint,
  type ParsedCommand,
  parseArgs,
  parseCommand,
  tokenize,
} from './args.js'
export { Bot } from './bot.js'
export { compose, type Middleware, type NextFunction } from './compose.js'
export { BotError, Composer, type Handler, type MiddlewareLike } from './composer.js'
export { ActionContext } from './contexts/action.js'
export {
  type AnyContext,
  type ButtonOptions,
  Context,
  type DialogSpec,
  type Message,
  type UpdateKind,
  type UploadInput,
} from './contexts/base.js'
export { CommandContext } from './contexts/command.js'
export { DialogContext } from './contexts/dialog.js'
export { EventContext } from './contexts/event.js'
export { JobContext } from './contexts/job.js'
export { MessageContext, type WaitOptions } from './contexts/message.js'
export { WebhookContext } from './contexts/webhook.js'
export { type FilterOptions, isMention, PostFilter } from './filters.js'
export { type AttachmentInput, attachment, field } from './interactive.js'
export { matchTrigger, mentions, stripMention, type Trigger } from './matchers.js'
export type { BotOptions, SessionOptions, StartOptions, StopResult } from './options.js'
export { KeyedQueue } from './queue.js'
export { type Cron, parseCron, runAt } from './schedule.js'
export { FileStorage, MemoryStorage, type SessionData, type SessionStorage } from './session.js'
