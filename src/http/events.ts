/**
 * Turning decoded bodies into verified {@link ReceiverEvent}s: token checks for slash commands and
 * outgoing webhooks, signature checks for action context and dialog state, and light
 * normalisation of the wire fields. Internal to `src/http`.
 * @module
 */
import type {
  DialogSubmission,
  OutgoingWebhookRequest,
  PostActionRequest,
  SlashCommandRequest,
} from '../types/index.js'
import { tokenMatches, verifyActionContext, verifyDialogState } from './sign.js'

/**
 * A verified, parsed call from Mattermost, as handed to `dispatch`.
 *
 * - `command`: a slash command (token already checked). Repeated form keys (`user_mentions`,
 *   `user_mentions_ids`, `channel_mentions`, `channel_mentions_ids`) are arrays.
 * - `action`: a button click or menu choice. `actionId` and `context` are the verified ones the bot
 *   signed (Mattermost's `selected_option` added for menus); `payload.context` is the same object —
 *   unsigned fields sent next to `_mk` are dropped. A context bound to a post or channel is refused
 *   elsewhere, and after its expiry.
 * - `dialog`: a dialog submission (or cancellation); `state` is the verified, decoded state. It is
 *   refused when its signed callback id differs from the submission's `callback_id`, or expired.
 * - `webhook`: an outgoing webhook (token already checked); `timestamp` is in milliseconds in both
 *   encodings (Mattermost sends seconds in form bodies).
 *
 * @example
 * ```ts
 * const dispatch = async (ev: ReceiverEvent) => {
 *   if (ev.kind === 'command') return { text: `You ran ${ev.payload.command}` }
 *   if (ev.kind === 'action') return { ephemeral_text: `You chose ${String(ev.context.selected_option)}` }
 * }
 * ```
 */
export type ReceiverEvent =
  | { kind: 'command'; payload: SlashCommandRequest }
  | { kind: 'action'; payload: PostActionRequest; context: Record<string, unknown>; actionId: string }
  | { kind: 'dialog'; payload: DialogSubmission; state: unknown }
  | { kind: 'webhook'; payload: OutgoingWebhookRequest }

/** An HTTP problem: status and a message saying what to do. */
export interface Problem {
  status: number
  error: string
  headers?: Record<string, string>
}

type Tokens = readonly string[] | (() => readonly string[])

/** What the verifiers need from the receiver options. */
export interface Verifiers {
  commandTokens?: Tokens
  webhookTokens?: Tokens
  verifyCommandToken?: (token: string, req: SlashCommandRequest) => boolean | Promise<boolean>
  signingSecret: string
  /** Called with a token that passed, so it can be registered as a secret. */
  accepted(token: string): void
}

/** Resolve a token list option. */
const tokenList = (t: Tokens | undefined): readonly string[] => (typeof t === 'function' ? t() : (t ?? []))

const str = (v: unknown): string => (Array.isArray(v) ? String(v[0] ?? '') : v == null ? '' : String(v))
const arr = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)])
const isProblem = (v: unknown): v is Problem => typeof v === 'object' && v !== null && 'error' in v

const BAD_COMMAND_TOKEN: Problem = {
  status: 401,
  error:
    'Invalid slash-command token. Copy the token Mattermost shows for this command into the receiver config (commandTokens).',
}

/** The token of `Authorization: Token <t>`, or undefined (other schemes, e.g. OAuth, are ignored). */
export function headerToken(authorization: string): string | undefined {
  const m = /^token\s+(\S+)\s*$/i.exec(authorization)
  return m?.[1]
}

/**
 * Early check before the body is read: when the request carries `Authorization: Token` and only a
 * static token list is configured, a wrong token is rejected without parsing anything.
 */
export function precheckCommandToken(token: string | undefined, v: Verifiers): Problem | undefined {
  if (token === undefined || v.verifyCommandToken) return undefined
  return tokenMatches(token, tokenList(v.commandTokens)) ? undefined : BAD_COMMAND_TOKEN
}

/** Verify and normalise a slash command. */
export async function commandEvent(
  fields: Record<string, unknown>,
  fromHeader: string | undefined,
  v: Verifiers,
): Promise<ReceiverEvent | Problem> {
  const token = fromHeader ?? str(fields.token)
  const payload: SlashCommandRequest = {
    token: str(fields.token),
    team_id: str(fields.team_id),
    team_domain: str(fields.team_domain),
    channel_id: str(fields.channel_id),
    channel_name: str(fields.channel_name),
    user_id: str(fields.user_id),
    user_name: str(fields.user_name),
    command: str(fields.command),
    text: str(fields.text),
    trigger_id: str(fields.trigger_id),
    root_id: str(fields.root_id),
    response_url: str(fields.response_url),
  }
  for (const k of ['user_mentions', 'user_mentions_ids', 'channel_mentions', 'channel_mentions_ids'] as const)
    if (fields[k] !== undefined) payload[k] = arr(fields[k])
  let ok = token !== '' && tokenMatches(token, tokenList(v.commandTokens))
  if (!ok && token !== '' && v.verifyCommandToken) ok = (await v.verifyCommandToken(token, payload)) === true
  if (!ok) return BAD_COMMAND_TOKEN
  v.accepted(token)
  if (!payload.command.startsWith('/') || !payload.user_id || !payload.channel_id)
    return {
      status: 400,
      error: 'A slash command needs the fields command (starting with /), user_id and channel_id.',
    }
  return { kind: 'command', payload }
}

/** Verify and normalise an outgoing webhook. */
export function webhookEvent(
  fields: Record<string, unknown>,
  form: boolean,
  v: Verifiers,
): ReceiverEvent | Problem {
  const token = str(fields.token)
  if (!token || !tokenMatches(token, tokenList(v.webhookTokens)))
    return {
      status: 401,
      error:
        'Invalid outgoing-webhook token. Copy the token Mattermost shows for this webhook into webhookTokens.',
    }
  v.accepted(token)
  const ts = Number(str(fields.timestamp)) || 0
  const payload: OutgoingWebhookRequest = {
    token,
    team_id: str(fields.team_id),
    team_domain: str(fields.team_domain),
    channel_id: str(fields.channel_id),
    channel_name: str(fields.channel_name),
    timestamp: form ? ts * 1000 : ts,
    user_id: str(fields.user_id),
    user_name: str(fields.user_name),
    post_id: str(fields.post_id),
    text: str(fields.text),
    trigger_word: str(fields.trigger_word),
    file_ids: Array.isArray(fields.file_ids) ? fields.file_ids.map(String).join(',') : str(fields.file_ids),
  }
  return { kind: 'webhook', payload }
}

/** Verify the signed `_mk` field of an action's context and the bindings it carries. */
export function actionEvent(
  fields: Record<string, unknown>,
  v: Verifiers,
  now = Date.now(),
): ReceiverEvent | Problem {
  const raw = fields.context
  const ctx = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {}
  if (ctx._mk === undefined)
    return {
      status: 401,
      error:
        'The action context carries no signature (_mk). Build buttons and menus with the bot (bot.button / bot.menu) or sign the context with signActionContext.',
    }
  const env = verifyActionContext(ctx._mk, v.signingSecret)
  if (!env)
    return {
      status: 403,
      error:
        'The action context signature is invalid (forged, or the signing secret changed since the post was made).',
    }
  if (typeof fields.user_id !== 'string' || !fields.user_id)
    return { status: 400, error: 'An action request needs user_id.' }
  // A signed context copied into another post or channel (anyone may post attachments) is refused.
  if (env.p !== undefined && env.p !== fields.post_id)
    return { status: 403, error: 'This button was signed for another post.' }
  if (env.ch !== undefined && env.ch !== fields.channel_id)
    return { status: 403, error: 'This button was signed for another channel.' }
  if (env.e !== undefined && now > env.e) return { status: 403, error: 'This button has expired.' }
  const context: Record<string, unknown> = { ...env.c }
  if (ctx.selected_option !== undefined) context.selected_option = ctx.selected_option
  const payload = { ...(fields as unknown as PostActionRequest), context }
  return { kind: 'action', payload, context, actionId: env.a }
}

/** Verify the signed `state` of a dialog submission: its callback id and its expiry. */
export function dialogEvent(
  fields: Record<string, unknown>,
  v: Verifiers,
  now = Date.now(),
): ReceiverEvent | Problem {
  const signed = fields.state
  if (signed === undefined || signed === '')
    return {
      status: 401,
      error:
        'The dialog state carries no signature. Open dialogs with the bot (ctx.openDialog) or sign state with signDialogState.',
    }
  const env = verifyDialogState(signed, v.signingSecret)
  if (!env)
    return {
      status: 403,
      error:
        'The dialog state signature is invalid (forged, or the signing secret changed since the dialog opened).',
    }
  if (typeof fields.user_id !== 'string' || !fields.user_id)
    return { status: 400, error: 'A dialog submission needs user_id.' }
  // Routing uses callback_id, which Mattermost passes through unsigned: it must be the signed one.
  if (env.cb !== fields.callback_id)
    return { status: 403, error: 'This dialog state was signed for another dialog (callback_id).' }
  if (now > env.e) return { status: 403, error: 'This dialog has expired; open it again.' }
  const sub = fields.submission
  const payload = {
    ...(fields as unknown as DialogSubmission),
    submission:
      sub && typeof sub === 'object' && !Array.isArray(sub) ? (sub as DialogSubmission['submission']) : {},
    cancelled: fields.cancelled === true,
  }
  return { kind: 'dialog', payload, state: env.s }
}

export { isProblem }
