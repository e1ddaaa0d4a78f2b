/**
 * A thread as messages a chat model takes, as the Agents plugin builds them
 * (`conversations/conversations.go`): the bot's posts are the assistant, everyone else is the
 * user, and when several people speak each line says who (`@alice: …`). Files and attachments
 * become short notes, since a model cannot open them.
 * @module
 */
import type { Client } from '../realtime/client.js'
import type { Post } from '../types/index.js'

/**
 * One message of a thread, oldest first.
 *
 * @example
 * ```ts
 * const m: HistoryMessage = { role: 'user', content: 'hi', name: 'alice', postId: 'p1', createAt: 0 }
 * ```
 */
export interface HistoryMessage {
  role: 'user' | 'assistant' | 'system'
  content: string
  /** The author's username (absent for `system`). */
  name?: string
  /** The post it comes from ('' for `system`). */
  postId: string
  createAt: number
}

/**
 * Options of `ctx.history()`.
 *
 * @example
 * ```ts
 * const options: HistoryOptions = { system: 'You are terse.', budget: 8000 }
 * ```
 */
export interface HistoryOptions {
  /** A system message put first (it counts against the budget, and is never dropped). */
  system?: string
  /** Keep the newest messages that fit (oldest dropped first); default: the whole thread. */
  budget?: number
  /** The size of a message's content against `budget` (default: its length; pass a token counter). */
  measure?: (content: string) => number
}

/** @internal Build the history of the thread `rootId` as `botId` sees it. */
export async function threadHistory(
  client: Client,
  botId: string,
  rootId: string,
  options: HistoryOptions = {},
): Promise<HistoryMessage[]> {
  // No perPage: the server returns the whole thread (api4/post.go keeps that default for mobile).
  const list = await client.posts.thread(rootId)
  const posts = Object.values(list.posts)
    .filter(p => !p.delete_at && !p.type.startsWith('system_'))
    .sort((a, b) => a.create_at - b.create_at || a.id.localeCompare(b.id))
  const people = [...new Set(posts.filter(p => p.user_id !== botId).map(p => p.user_id))]
  const users = new Map<string, string>()
  const ids = [...new Set(posts.map(p => p.user_id))]
  if (ids.length) for (const u of await client.users.getByIds(ids)) users.set(u.id, u.username)
  const several = people.length > 1
  const messages: HistoryMessage[] = posts.map(p => {
    const name = users.get(p.user_id) ?? p.user_id
    const assistant = p.user_id === botId
    const text = [p.message, ...notes(p)].filter(Boolean).join('\n')
    return {
      role: assistant ? 'assistant' : 'user',
      content: !assistant && several ? `@${name}: ${text}` : text,
      name,
      postId: p.id,
      createAt: p.create_at,
    }
  })
  const system: HistoryMessage[] =
    options.system === undefined
      ? []
      : [{ role: 'system', content: options.system, postId: '', createAt: posts[0]?.create_at ?? 0 }]
  if (options.budget === undefined) return [...system, ...messages]
  const measure = options.measure ?? ((s: string) => s.length)
  let left = options.budget - system.reduce((n, m) => n + measure(m.content), 0)
  const kept: HistoryMessage[] = []
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as HistoryMessage
    left -= measure(m.content)
    if (left < 0) break
    kept.unshift(m)
  }
  return [...system, ...kept]
}

/** Short notes for what a model cannot read in a post: its files and message attachments. */
function notes(p: Post): string[] {
  const out: string[] = []
  for (const f of p.metadata?.files ?? []) out.push(`[file: ${f.name}]`)
  if (!p.metadata?.files?.length && p.file_ids?.length) out.push(`[${p.file_ids.length} file(s)]`)
  const atts = (p.props?.attachments ?? []) as { title?: string; text?: string; fallback?: string }[]
  for (const a of Array.isArray(atts) ? atts : []) {
    const what = a.title || a.fallback || a.text
    if (what) out.push(`[attachment: ${String(what).slice(0, 200)}]`)
  }
  return out
}
