/**
 * Text matching for listeners (strings, RegExps, predicates) and @-mention detection.
 * @module
 */

/**
 * What a text listener matches: a string (the whole text, case-insensitive, surrounding spaces
 * ignored), a RegExp (groups land in `ctx.match`), a predicate on the text, or a list of these.
 *
 * @example
 * ```ts
 * const t: Trigger = [/^deploy (\w+)$/i, 'ship it', text => text.length > 500]
 * ```
 */
export type Trigger = string | RegExp | ((text: string) => boolean) | readonly Trigger[]

/**
 * Match `text` against a trigger: `null` when it does not match, else a match array (for a string
 * or predicate, `[text]`).
 *
 * @example
 * ```ts
 * matchTrigger(/^add (\d+) (\d+)$/, 'add 2 3')?.[1] // '2'
 * matchTrigger('Ping', ' ping ') // ['ping']
 * ```
 */
export function matchTrigger(trigger: Trigger, text: string): RegExpMatchArray | null {
  if (typeof trigger === 'string') {
    const t = text.trim()
    return t.toLowerCase() === trigger.toLowerCase() ? toMatch(t) : null
  }
  if (trigger instanceof RegExp) {
    if (trigger.global || trigger.sticky) trigger.lastIndex = 0
    return trigger.exec(text)
  }
  if (typeof trigger === 'function') return trigger(text) ? toMatch(text) : null
  for (const t of trigger) {
    const m = matchTrigger(t, text)
    if (m) return m
  }
  return null
}

const toMatch = (text: string): RegExpMatchArray => {
  const m = [text] as RegExpMatchArray
  m.index = 0
  m.input = text
  return m
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')
const cache = new Map<string, RegExp>()

/** The regex finding `@username` as Mattermost does: not inside a word, a trailing `.` allowed. */
function mentionRe(username: string): RegExp {
  let re = cache.get(username)
  if (!re) {
    re = new RegExp(`(^|[^\\w@.-])@${escapeRe(username)}(?![\\w-]|\\.[\\w-])`, 'i')
    cache.set(username, re)
  }
  return re
}

/**
 * Whether `text` @-mentions `username` (case-insensitive; `@bob` does not match `@bobby` nor
 * `@bob.smith`; `@bob.` at the end of a sentence does).
 *
 * @example
 * ```ts
 * mentions('hi @matterbot, status?', 'matterbot') // true
 * mentions('mail me@matterbot.io', 'matterbot')   // false
 * ```
 */
export function mentions(text: string, username: string): boolean {
  return mentionRe(username).test(text)
}

/**
 * Remove the first @-mention of `username` (and a following `:` or `,`) and trim.
 *
 * @example
 * ```ts
 * stripMention('@matterbot: deploy api', 'matterbot') // 'deploy api'
 * ```
 */
export function stripMention(text: string, username: string): string {
  const re = mentionRe(username)
  const m = re.exec(text)
  if (!m) return text.trim()
  const start = m.index + (m[1] ?? '').length
  const rest = text.slice(start + 1 + username.length).replace(/^[:,]?\s*/, '')
  return `${text.slice(0, start)}${rest}`.replace(/\s{2,}/g, ' ').trim()
}
