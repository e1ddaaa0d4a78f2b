/** The bot framework. @module */
export { Bot, BotError, type BotOptions, type Handler, parseArgs, type StartOptions } from './bot.js'
export { compose, type Middleware, type NextFunction } from './compose.js'
export { Context, type Message, type UpdateKind } from './context.js'
export { type Cron, parseCron } from './schedule.js'
export { FileStorage, MemoryStorage, type SessionStorage } from './session.js'
