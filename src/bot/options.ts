/**
 * The options of `Bot`, `bot.start()` and what `bot.stop()` reports.
 * @module
 */

import type { ClientOptions } from '../client/client.js'
import { ConfigError } from '../core/errors.js'
import { consoleLogger, parseLogLevel } from '../core/logger.js'
import type { ClusterOptions } from './cluster/cluster.js'
import type { AnyContext } from './contexts/base.js'
import type { FilterOptions } from './filters.js'
import type { SessionData, SessionStorage } from './session.js'

/**
 * Session options: `ctx.session` is one object per `scope` key, kept in `storage` for `ttl` after
 * its last change.
 *
 * @example
 * ```ts
 * const s: SessionOptions = { scope: 'channel', storage: new FileStorage('sessions.json'), ttl: '7d', initial: () => ({ count: 0 }) }
 * ```
 */
export interface SessionOptions {
  /** `'user'` (default), `'channel'`, `'thread'`, or a function giving the key (`undefined` = no session). */
  scope?: 'user' | 'channel' | 'thread' | ((ctx: AnyContext) => string | undefined)
  /** Default: a {@link MemoryStorage}. */
  storage?: SessionStorage
  /** Expiry after the last change (ms or `'1d'`); default: never. */
  ttl?: number | string
  /** The value of a new session (default `{}`). */
  initial?: () => SessionData
}

/**
 * Options of {@link Bot}: the client's (`url`, `token`, …) plus the bot's.
 *
 * @example
 * ```ts
 * const bot = new Bot({ url: 'https://chat.example.com', token, mentionOnly: true, allowedUsers: ['alice'], threadReplies: false })
 * ```
 */
export interface BotOptions extends Omit<ClientOptions, 'login'>, FilterOptions {
  /** One team (name or id): slash commands are registered there only, channel names are looked up there. Default: all the bot's teams. */
  team?: string
  /** HMAC key (≥ 16 chars) for button context and dialog state (default: derived from the token, so every replica and restart verifies what another signed). */
  signingSecret?: string
  /** `reply` to a root post answers in a thread under it (default true); false answers at the channel root. A reply inside a thread always stays in it; DMs are answered at the root. */
  threadReplies?: boolean
  /** Most handlers running at once (default 16). The same channel or thread always runs in order. */
  concurrency?: number
  /** Show "typing…" while a message handler runs longer than ~1 s (default true). */
  typingIndicator?: boolean
  /** Enable `ctx.session`. */
  session?: SessionOptions
  /**
   * Run on several replicas: each event is handled by one, each job tick runs once, sessions and
   * conversation waits are shared (docs/cluster.md). Env: `MATTERKIT_REDIS_URL`.
   */
  cluster?: ClusterOptions
  /** Tokens of slash commands registered outside the bot (e.g. by an admin in the System Console). */
  commandTokens?: string[]
  /** Tokens of outgoing webhooks pointing at this bot. */
  webhookTokens?: string[]
  /**
   * How long a command/action/dialog/webhook handler may take before the receiver answers
   * Mattermost empty-handed (default 2500 ms); a later answer goes through `response_url` (commands)
   * or REST (actions, webhooks).
   */
  ackTimeout?: number | string
}

/**
 * Options of {@link Bot.start}.
 *
 * @example
 * ```ts
 * await bot.start({ port: 3000, host: '0.0.0.0', publicUrl: 'https://bot.example.com' })
 * ```
 */
export interface StartOptions {
  /** Port of the HTTP receiver (default 0 = any free port). */
  port?: number
  /** Host to listen on (default `127.0.0.1`). */
  host?: string
  /** Base URL Mattermost uses to reach the receiver (default: the local receiver URL). */
  publicUrl?: string
  /** Create/update the bot's slash commands in its teams (default true). */
  registerCommands?: boolean
  /** Start the standalone HTTP server (default: when there are commands/actions/dialogs/webhooks). False when you mount `bot.receiver` in your own server. */
  listen?: boolean
}

/**
 * What {@link Bot.stop} reports.
 *
 * @example
 * ```ts
 * const { drained, pending } = await bot.stop({ timeout: '5s' })
 * ```
 */
export interface StopResult {
  /** All in-flight handlers finished before the deadline. */
  drained: boolean
  /** Handlers still running (or queued) at the deadline. */
  pending: number
}

const list = (v: string | undefined): string[] | undefined =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map(x => x.trim())
        .filter(Boolean)

/**
 * Bot options from the environment (see `Bot.fromEnv`); `overrides` win over the environment.
 *
 * @example
 * ```ts
 * const opts = optionsFromEnv({ threadReplies: false })
 * ```
 */
export function optionsFromEnv(
  overrides: Partial<BotOptions> = {},
  env: NodeJS.ProcessEnv = process.env,
): BotOptions {
  const url = overrides.url ?? env.MATTERMOST_URL
  const token = overrides.token ?? env.MATTERMOST_TOKEN
  if (!url || !token)
    throw new ConfigError(
      'Set MATTERMOST_URL (e.g. https://chat.example.com) and MATTERMOST_TOKEN (a bot access token: System Console → Integrations → Bot Accounts).',
    )
  const allowed = list(env.MATTERKIT_ALLOWED_USERS)
  const channels = list(env.MATTERKIT_CHANNELS)
  return {
    logger: consoleLogger(parseLogLevel(env.MATTERKIT_LOG, 'info')),
    ...(env.MATTERKIT_SIGNING_SECRET ? { signingSecret: env.MATTERKIT_SIGNING_SECRET } : {}),
    ...(allowed ? { allowedUsers: allowed.includes('*') ? '*' : allowed } : {}),
    ...(channels ? { channels } : {}),
    ...(env.MATTERMOST_TEAM ? { team: env.MATTERMOST_TEAM } : {}),
    ...(env.MATTERKIT_MENTION_ONLY === 'true' ? { mentionOnly: true } : {}),
    ...(env.MATTERKIT_REDIS_URL ? { cluster: { redis: env.MATTERKIT_REDIS_URL } } : {}),
    ...overrides,
    url,
    token,
  }
}
