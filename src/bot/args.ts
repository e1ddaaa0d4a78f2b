/**
 * Slash-command arguments: tokenising with quotes, positional arguments and `--flags` checked
 * against a declared spec, and help text generated from the same spec.
 * @module
 */
import { MatterkitError } from '../core/errors.js'

/**
 * A positional argument of a command.
 *
 * @example
 * ```ts
 * const env: CommandArg = { name: 'env', choices: ['staging', 'production'], default: 'staging' }
 * ```
 */
export interface CommandArg {
  name: string
  description?: string
  /** Fail with usage when missing (default false). */
  required?: boolean
  /** Allowed values (case-sensitive). */
  choices?: readonly string[]
  /** `number` parses and checks the value (default `string`). */
  type?: 'string' | 'number'
  /** Takes the rest of the text, spaces included (last argument only). */
  rest?: boolean
  default?: string | number
}

/**
 * A `--flag` of a command.
 *
 * @example
 * ```ts
 * const force: CommandFlag = { type: 'boolean', short: 'f', description: 'skip checks' }
 * ```
 */
export interface CommandFlag {
  /** `boolean` (default): `--x` / `--no-x`; `string`/`number`: `--x value` or `--x=value`. */
  type?: 'boolean' | 'string' | 'number'
  description?: string
  /** One-letter alias: `-f`. */
  short?: string
  default?: string | number | boolean
}

/**
 * How a slash command is described: for parsing, the generated help and the autocomplete hint.
 *
 * @example
 * ```ts
 * bot.command('deploy', { description: 'Deploy a service', args: [{ name: 'service', required: true }],
 *   flags: { force: { short: 'f' } } }, ctx => ctx.ephemeral(`deploying ${ctx.params.service}`))
 * ```
 */
export interface CommandSpec {
  description?: string
  /** Autocomplete hint; generated from `args`/`flags` when absent. */
  hint?: string
  args?: readonly CommandArg[]
  flags?: Readonly<Record<string, CommandFlag>>
  /** Example invocations shown in the help, without the trigger (`'api --force'`). */
  examples?: readonly string[]
}

/**
 * A parsed argument value.
 *
 * @example
 * ```ts
 * const replicas = ctx.params.replicas satisfies ArgValue | undefined
 * ```
 */
export type ArgValue = string | number | boolean

/**
 * The result of {@link parseCommand}.
 *
 * @example
 * ```ts
 * const { args, params } = parseCommand({ args: [{ name: 'n', type: 'number' }] }, '3')
 * // args: ['3'], params: { n: 3 }
 * ```
 */
export interface ParsedCommand {
  /** Positional tokens as typed (quotes removed). */
  args: string[]
  /** Named values: declared arguments and flags (with defaults). */
  params: Record<string, ArgValue | undefined>
}

/**
 * Bad command input; the message says what is wrong, `usage` is the generated help.
 *
 * @example
 * ```ts
 * try { parseCommand(spec, text) } catch (e) { if (e instanceof CommandUsageError) console.log(e.usage) }
 * ```
 */
export class CommandUsageError extends MatterkitError {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super('MK_ERR_INVALID_ARGUMENT', message)
  }
}

/**
 * Split command text into tokens; `"double"` and `'single'` quotes group words.
 *
 * @example
 * ```ts
 * tokenize('say "hello world" now') // ['say', 'hello world', 'now']
 * ```
 */
export function tokenize(text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? (m[3] as string))
  return out
}

/** @deprecated use {@link tokenize}. Split command text into arguments, honouring quotes.
 * @example
 * ```ts
 * parseArgs('a "b c"') // ['a', 'b c']
 * ```
 */
export const parseArgs = tokenize

const num = (v: string, what: string, usage: string): number => {
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n))
    throw new CommandUsageError(`${what} must be a number, got "${v}".`, usage)
  return n
}

/**
 * Parse command text against a spec. Without `args`/`flags` in the spec, every token is positional
 * and nothing is checked.
 *
 * @throws {CommandUsageError} on a missing, unknown or invalid argument or flag.
 * @example
 * ```ts
 * parseCommand({ args: [{ name: 'service' }], flags: { force: {} } }, 'api --force')
 * // { args: ['api'], params: { service: 'api', force: true } }
 * ```
 */
export function parseCommand(spec: CommandSpec, text: string, trigger = 'command'): ParsedCommand {
  const usage = commandHelp(trigger, spec)
  const flags = spec.flags ?? {}
  const strict = spec.args !== undefined || spec.flags !== undefined
  const params: Record<string, ArgValue | undefined> = {}
  for (const [name, f] of Object.entries(flags))
    params[name] = f.default ?? ((f.type ?? 'boolean') === 'boolean' ? false : undefined)
  const positional: string[] = []
  const tokens = tokenize(text)
  let onlyPositional = !strict
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i] as string
    if (onlyPositional || !tok.startsWith('-') || tok === '-' || /^-\d/.test(tok)) {
      positional.push(tok)
      continue
    }
    if (tok === '--') {
      onlyPositional = true
      continue
    }
    const long = tok.startsWith('--')
    const eq = tok.indexOf('=')
    let key = long ? tok.slice(2, eq > 0 ? eq : undefined) : tok.slice(1, 2)
    let inline = eq > 0 ? tok.slice(eq + 1) : long || tok.length === 2 ? undefined : tok.slice(2)
    let negated = false
    if (!long) key = Object.entries(flags).find(([, f]) => f.short === key)?.[0] ?? `-${key}`
    else if (!(key in flags) && key.startsWith('no-') && key.slice(3) in flags) {
      key = key.slice(3)
      negated = true
    }
    const f = flags[key]
    if (!f) throw new CommandUsageError(`Unknown option ${tok.split('=')[0]}.`, usage)
    const type = f.type ?? 'boolean'
    if (type === 'boolean') {
      if (inline !== undefined && !/^(true|false)$/i.test(inline))
        throw new CommandUsageError(`--${key} takes no value.`, usage)
      params[key] = negated ? false : inline === undefined || inline.toLowerCase() === 'true'
      continue
    }
    if (inline === undefined) {
      inline = tokens[++i]
      if (inline === undefined) throw new CommandUsageError(`--${key} needs a value.`, usage)
    }
    params[key] = type === 'number' ? num(inline, `--${key}`, usage) : inline
  }
  const defs = spec.args ?? []
  let p = 0
  for (const a of defs) {
    let v: string | undefined
    if (a.rest) {
      v = positional.slice(p).join(' ') || undefined
      p = positional.length
    } else v = positional[p++]
    if (v === undefined) {
      if (a.required) throw new CommandUsageError(`Missing <${a.name}>.`, usage)
      params[a.name] = a.default
      continue
    }
    if (a.choices && !a.choices.includes(v))
      throw new CommandUsageError(`<${a.name}> must be one of ${a.choices.join(', ')}; got "${v}".`, usage)
    params[a.name] = a.type === 'number' ? num(v, `<${a.name}>`, usage) : v
  }
  if (spec.args !== undefined && p < positional.length)
    throw new CommandUsageError(`Unexpected argument "${positional[p]}".`, usage)
  return { args: positional, params }
}

const argLabel = (a: CommandArg): string => {
  const inner = a.choices ? a.choices.join('|') : a.rest ? `${a.name}...` : a.name
  return a.required ? `<${inner}>` : `[${inner}]`
}
const flagLabel = (name: string, f: CommandFlag): string =>
  `--${name}${(f.type ?? 'boolean') === 'boolean' ? '' : ` <${f.type}>`}`

/**
 * The autocomplete hint for a command: the spec's `hint`, or one built from its args and flags.
 *
 * @example
 * ```ts
 * commandHint({ args: [{ name: 'service', required: true }], flags: { force: {} } }) // '<service> [--force]'
 * ```
 */
export function commandHint(spec: CommandSpec): string {
  if (spec.hint !== undefined) return spec.hint
  const parts = (spec.args ?? []).map(argLabel)
  for (const [name, f] of Object.entries(spec.flags ?? {})) parts.push(`[${flagLabel(name, f)}]`)
  return parts.join(' ')
}

/**
 * Markdown help for one command, generated from its spec.
 *
 * @example
 * ```ts
 * commandHelp('deploy', { description: 'Deploy a service', args: [{ name: 'service', required: true }] })
 * // '`/deploy <service>` — Deploy a service\n…'
 * ```
 */
export function commandHelp(trigger: string, spec: CommandSpec): string {
  const hint = commandHint(spec)
  const lines = [
    `\`/${trigger}${hint ? ` ${hint}` : ''}\`${spec.description ? ` — ${spec.description}` : ''}`,
  ]
  for (const a of spec.args ?? []) {
    const extra = [
      a.description,
      a.default !== undefined ? `default: ${a.default}` : undefined,
      a.type === 'number' ? 'a number' : undefined,
    ].filter(Boolean)
    if (extra.length) lines.push(`- \`${a.name}\`: ${extra.join('; ')}`)
  }
  for (const [name, f] of Object.entries(spec.flags ?? {}))
    lines.push(
      `- \`${f.short ? `-${f.short}, ` : ''}${flagLabel(name, f)}\`${f.description ? `: ${f.description}` : ''}`,
    )
  for (const ex of spec.examples ?? []) lines.push(`- e.g. \`/${trigger} ${ex}\``)
  return lines.join('\n')
}

/** `title`, then one line per command with its arguments and description. */
export function commandsHelp(title: string, commands: ReadonlyMap<string, CommandSpec>): string {
  const lines = [...commands].map(
    ([t, s]) =>
      `\`/${t}${commandHint(s) ? ` ${commandHint(s)}` : ''}\`${s.description ? ` — ${s.description}` : ''}`,
  )
  return lines.length ? `${title} Commands:\n${lines.join('\n')}` : title
}
