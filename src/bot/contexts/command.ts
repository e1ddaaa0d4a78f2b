/**
 * A slash command: `CommandContext`.
 * @module
 */
import { respond } from '../../http/respond.js'
import type { CommandResponse, SlashCommandRequest } from '../../types/index.js'
import type { ArgValue } from '../args.js'
import { type BotRuntime, Context, type DialogSpec } from './base.js'

/**
 * A slash command — for `bot.command`. Answer by returning a string (shown only to the user) or a
 * `CommandResponse`, or with `ctx.ephemeral()` / `ctx.inChannel()`.
 *
 * @example
 * ```ts
 * bot.command('echo', { args: [{ name: 'text', rest: true, required: true }] }, ctx => ctx.inChannel(String(ctx.params.text)))
 * ```
 */
export class CommandContext extends Context {
  readonly kind = 'command' as const
  /** The request Mattermost sent. */
  readonly command: SlashCommandRequest
  /** Positional arguments (quotes honoured). */
  args: string[] = []
  /** Named arguments and flags from the command's spec (with defaults). */
  params: Record<string, ArgValue | undefined> = {}
  /** The answer for Mattermost (set by helpers or by returning a value). */
  response: CommandResponse | string | undefined
  constructor(rt: BotRuntime, command: SlashCommandRequest, receivedAt?: number) {
    super(rt, receivedAt)
    this.command = command
  }
  get userId(): string {
    return this.command.user_id
  }
  get channelId(): string {
    return this.command.channel_id
  }
  override get rootId(): string {
    return this.command.root_id ?? ''
  }
  /** The trigger without the slash, lower case (`deploy`). */
  get name(): string {
    return this.command.command.replace(/^\//, '').toLowerCase()
  }
  /** The text after the trigger. */
  get text(): string {
    return this.command.text
  }
  /** Answer only to the user who ran the command. */
  ephemeral(text: string, extra: Omit<CommandResponse, 'text' | 'response_type'> = {}): void {
    this.response = { ...extra, response_type: 'ephemeral', text }
  }
  /** Answer in the channel, visible to everyone (posted as the user, marked as from the command). */
  inChannel(answer: string | Omit<CommandResponse, 'response_type'>): void {
    this.response = {
      ...(typeof answer === 'string' ? { text: answer } : answer),
      response_type: 'in_channel',
    }
  }
  /**
   * Open a dialog (within 30 s of the command). `state` comes back verified as `ctx.dialogState`.
   * @throws {MatterkitError} `MK_ERR_TRIGGER_EXPIRED` after 30 s.
   */
  openDialog(dialog: DialogSpec, state?: unknown, now?: number): Promise<void> {
    return this.openDialogWith(this.command.trigger_id, dialog, state, now)
  }
  /** Answer later through the command's `response_url` (valid 30 min, 5 times). */
  async respond(body: CommandResponse | string): Promise<void> {
    await respond(this.command.response_url, body, { client: this.client })
  }
}
