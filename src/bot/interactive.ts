/**
 * Builders for message attachments and dialog elements. Buttons and menus are built by the bot
 * (`bot.button`, `ctx.button`, `ctx.menu`) because they carry a signed context and the receiver's
 * URL.
 * @module
 */
import type { DialogElement, MessageAttachment, MessageAttachmentField } from '../types/index.js'

/**
 * Attachment input: Mattermost's `MessageAttachment`, with `fields` also accepted as an object
 * (`{ title: value }`, all short) — handy for reports.
 *
 * @example
 * ```ts
 * const a: AttachmentInput = { title: 'Status', fields: { open: 3, closed: 7 } }
 * ```
 */
export type AttachmentInput = Omit<MessageAttachment, 'fields'> & {
  fields?: MessageAttachmentField[] | Record<string, string | number> | null
}

/**
 * Build a message attachment (field values become strings, as Mattermost stores them).
 *
 * @example
 * ```ts
 * await ctx.reply({ message: 'Daily report', props: { attachments: [attachment({ color: 'good', fields: { open: 3, closed: 7 } })] } })
 * ```
 */
export function attachment(input: AttachmentInput): MessageAttachment {
  const { fields, ...rest } = input
  if (!fields) return { ...rest }
  const list = Array.isArray(fields)
    ? fields.map(f => ({ ...f, value: String(f.value) }))
    : Object.entries(fields).map(([title, value]) => ({ title, value: String(value), short: true }))
  return { ...rest, fields: list }
}

type ElementOptions = Omit<DialogElement, 'name' | 'display_name' | 'type' | 'options'>

/**
 * Dialog element builders.
 *
 * @example
 * ```ts
 * await ctx.openDialog({ callback_id: 'deploy', title: 'Deploy', elements: [
 *   field.text('service', 'Service', { placeholder: 'api' }),
 *   field.select('env', 'Environment', ['staging', 'production']),
 *   field.bool('force', 'Skip checks', { optional: true }),
 * ] })
 * ```
 */
export const field = {
  /** A one-line text input (`subtype`: `email`, `number`, `tel`, `url`, `password`). */
  text: (name: string, label: string, o: ElementOptions = {}): DialogElement => ({
    ...o,
    name,
    display_name: label,
    type: 'text',
  }),
  /** A multi-line text input. */
  textarea: (name: string, label: string, o: ElementOptions = {}): DialogElement => ({
    ...o,
    name,
    display_name: label,
    type: 'textarea',
  }),
  /** A drop-down; choices as strings or `{ text, value }`. */
  select: (
    name: string,
    label: string,
    choices: ReadonlyArray<string | { text: string; value: string }>,
    o: ElementOptions = {},
  ): DialogElement => ({
    ...o,
    name,
    display_name: label,
    type: 'select',
    options: choices.map(c => (typeof c === 'string' ? { text: c, value: c } : c)),
  }),
  /** A checkbox. */
  bool: (name: string, label: string, o: ElementOptions = {}): DialogElement => ({
    ...o,
    name,
    display_name: label,
    type: 'bool',
  }),
  /** Radio buttons. */
  radio: (
    name: string,
    label: string,
    choices: ReadonlyArray<string | { text: string; value: string }>,
    o: ElementOptions = {},
  ): DialogElement => ({
    ...o,
    name,
    display_name: label,
    type: 'radio',
    options: choices.map(c => (typeof c === 'string' ? { text: c, value: c } : c)),
  }),
}
