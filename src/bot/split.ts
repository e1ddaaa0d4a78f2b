/**
 * Splitting a long message into posts Mattermost accepts: at paragraph or line boundaries, and
 * never leaving a code fence open across posts (it is closed and reopened with its language).
 * @module
 */

/**
 * The most runes (code points) a post's message may have.
 * server/public/model/post.go: PostMessageMaxRunesV2 = 16383, counted with utf8.RuneCountInString.
 */
export const POST_MESSAGE_MAX_RUNES = 16383

const runes = (s: string): number => {
  let n = 0
  for (const _ of s) n++
  return n
}

/** A fence opener (CommonMark: up to 3 spaces, then 3+ backticks or tildes, then the info string). */
const OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/
const CLOSE = /^ {0,3}(`{3,}|~{3,})\s*$/

/** For each line index, the fence opener line open before it (or undefined). */
function fenceStates(lines: readonly string[]): (string | undefined)[] {
  const out: (string | undefined)[] = []
  let opener: string | undefined
  let marker = ''
  for (const line of lines) {
    out.push(opener)
    if (opener === undefined) {
      const m = OPEN.exec(line)
      // A backtick fence's info string may not contain backticks (CommonMark 4.5).
      if (m && !(m[1]?.startsWith('`') && m[2]?.includes('`'))) {
        opener = line
        marker = m[1] ?? ''
      }
    } else {
      const m = CLOSE.exec(line)
      if (m?.[1] && m[1][0] === marker[0] && m[1].length >= marker.length) opener = undefined
    }
  }
  out.push(opener)
  return out
}

const closerOf = (opener: string): string => (OPEN.exec(opener)?.[1] ?? '```').trim()

/**
 * Split `text` into parts of at most `limit` runes. Joining the parts with `\n`, after removing
 * the fence closers/reopeners added at the cuts, gives `text` back (a single line longer than a
 * post is the exception: it is cut inside, without a newline).
 *
 * @example
 * ```ts
 * splitMessage('a'.repeat(20_000)).length // 2
 * ```
 */
export function splitMessage(text: string, limit = POST_MESSAGE_MAX_RUNES): string[] {
  if (runes(text) <= limit) return [text]
  const lines = text.split('\n')
  const fence = fenceStates(lines)
  const len = lines.map(runes)
  const parts: string[] = []
  let start = 0
  while (start < lines.length) {
    const opener = fence[start]
    const head = opener === undefined ? 0 : runes(opener) + 1
    // The size of lines [start, end) as a part, with the closer it would need.
    const size = (end: number): number => {
      let n = head + end - start - 1
      for (let i = start; i < end; i++) n += len[i] ?? 0
      const open = fence[end]
      return open === undefined || end === lines.length ? n : n + 1 + closerOf(open).length
    }
    let maxEnd = start
    while (maxEnd < lines.length && size(maxEnd + 1) <= limit) maxEnd++
    if (maxEnd === start) {
      // One line longer than a post: cut it (at a space in its second half when there is one).
      const cps = Array.from(lines[start] ?? '')
      const close = opener === undefined ? '' : `\n${closerOf(opener)}`
      const room = Math.max(1, limit - head - close.length)
      const space = cps.lastIndexOf(' ', room - 1)
      const cut = space >= room / 2 ? space + 1 : room
      parts.push(`${opener === undefined ? '' : `${opener}\n`}${cps.slice(0, cut).join('')}${close}`)
      lines[start] = cps.slice(cut).join('')
      len[start] = cps.length - cut
      continue
    }
    let end = maxEnd
    if (end < lines.length) {
      const half = limit / 2
      const pick = (ok: (e: number) => boolean): number | undefined => {
        for (let e = maxEnd; e > start; e--) if (size(e) >= half && ok(e)) return e
        return undefined
      }
      end =
        pick(e => lines[e - 1] === '' && fence[e] === undefined) ??
        pick(e => fence[e] === undefined) ??
        maxEnd
    }
    const open = end < lines.length ? fence[end] : undefined
    const body = lines.slice(start, end).join('\n')
    parts.push(
      `${opener === undefined ? '' : `${opener}\n`}${body}${open === undefined ? '' : `\n${closerOf(open)}`}`,
    )
    start = end
  }
  return parts
}
