/**
 * Streaming a model's answer into posts. An external bot cannot use the Agents plugin's
 * plugin-only streaming events, so it edits one post; each edit costs the server an edit-history
 * row and a `post_edited` broadcast to the channel (`app/post.go`, `UpdatePost`), so edits are
 * few: at most one in flight, whatever arrived meanwhile coalesced into the next, at an interval
 * that slows down when the server says few requests are left. An answer that outgrows a post
 * continues in a new post of the same thread, cut where `splitMessage` cuts.
 * @module
 */
import { TextDecoder } from 'node:util'
import type { CreatePost } from '../client/resources-posts.js'
import { ArgumentError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { Post } from '../types/index.js'
import { POST_MESSAGE_MAX_RUNES, splitMessage } from './split.js'

/**
 * What `ctx.stream()` accepts: text chunks as an `AsyncIterable<string>` or a `ReadableStream`,
 * or the streams of the common SDKs, recognised by shape (no dependency on them): the OpenAI
 * SDK's chat-completions and responses streams, the Vercel AI SDK's `streamText()` result (its
 * `textStream`, or `fullStream` parts), Anthropic's message stream.
 *
 * @example
 * ```ts
 * async function* words(): AsyncGenerator<string> {
 *   yield 'Hello, '
 *   yield 'world'
 * }
 * const source: StreamSource = words()
 * ```
 */
export type StreamSource =
  | AsyncIterable<unknown>
  | ReadableStream<unknown>
  | { textStream: AsyncIterable<string> }
  | { fullStream: AsyncIterable<unknown> }

/**
 * Options of `ctx.stream()`.
 *
 * @example
 * ```ts
 * const options: StreamOptions = { intervalMs: 500, signal: AbortSignal.timeout(60_000) }
 * ```
 */
export interface StreamOptions {
  /** Least time between two edits of the post (default 1000 ms; doubled while few requests are left). */
  intervalMs?: number
  /** Stop the answer: the source is told to stop (`return()`, its `abort()`), and the post says so. */
  signal?: AbortSignal
  /**
   * Mark the posts as written by a model (default true): the server's `ai_generated_by` prop,
   * which Mattermost shows as AI-generated, and `unsafe_links` (no previews of links it wrote).
   */
  generated?: boolean
  /** A Stop button on the post for the one who asked (default true, when buttons can reach the bot). */
  stopButton?: boolean
  /** The Stop button's label (default `Stop`). */
  stopLabel?: string
}

/** What a finished stream did. */
export interface StreamResult {
  /** The whole text the source produced (the posts hold it, split at post boundaries). */
  text: string
  /** The posts it wrote, in order. */
  posts: Post[]
  /** How it ended: the source finished, it was stopped, or the source threw. */
  end: 'done' | 'stopped' | 'error'
}

/** @internal What the streamer needs from its context. */
export interface StreamTarget {
  create(body: CreatePost): Promise<Post>
  /** Edit a post's message; resolves to the requests left in the rate-limit window (or undefined). */
  edit(postId: string, message: string, props?: Record<string, unknown>): Promise<number | undefined>
  typing(): Promise<void>
  channelId: string
  rootId: string
  botId: string
  log: Logger
}

/** The note that ends a stopped answer. */
const STOPPED_NOTE = '\n\n_(stopped)_'
/** The note that ends an answer whose source threw. */
const ERROR_NOTE = '\n\n_(the answer was cut short by an error)_'

interface Chunks {
  iterator: AsyncIterator<string>
  /** Tell the source to stop producing (close its connection). */
  cancel(): void
}

/** Turn any accepted source into text chunks, or say what it is not. */
function textChunks(source: unknown): Chunks {
  if (source === null || typeof source !== 'object')
    throw new ArgumentError(
      `ctx.stream() needs a stream of text, got ${source === null ? 'null' : typeof source}.`,
    )
  const s = source as Record<string | symbol, unknown>
  // The SDKs' own handles to stop the HTTP response (OpenAI's `controller`, Anthropic's `abort()`).
  const stopSdk = (): void => {
    try {
      ;(s.controller as AbortController | undefined)?.abort?.()
      if (typeof s.abort === 'function') (s.abort as () => void)()
    } catch {}
  }
  if (isAsyncIterable(s.textStream)) return fromIterable(s.textStream, stopSdk)
  if (isAsyncIterable(s.fullStream)) return fromIterable(s.fullStream, stopSdk)
  // A web ReadableStream is async-iterable in Node; its iterator's return() cancels it.
  if (isAsyncIterable(source)) return fromIterable(source, stopSdk)
  throw new ArgumentError(
    'ctx.stream() needs an AsyncIterable of text, a ReadableStream, or an SDK stream (OpenAI, Vercel AI SDK, Anthropic); this object is none of them.',
  )
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return (
    v !== null &&
    typeof v === 'object' &&
    typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  )
}

function fromIterable(it: AsyncIterable<unknown>, stopSdk: () => void): Chunks {
  const inner = it[Symbol.asyncIterator]()
  const decoder = new TextDecoder()
  return {
    iterator: {
      async next() {
        for (;;) {
          const r = await inner.next()
          if (r.done) return { done: true, value: undefined }
          const text = textOf(r.value, decoder)
          if (text) return { done: false, value: text }
        }
      },
    },
    cancel: () => {
      stopSdk()
      void Promise.resolve(inner.return?.()).catch(() => {})
    },
  }
}

/** The text in one item of a stream; '' for items that carry none (roles, usage, tool calls). */
function textOf(item: unknown, decoder: TextDecoder): string {
  if (typeof item === 'string') return item
  if (item instanceof Uint8Array) return decoder.decode(item, { stream: true })
  if (item === null || typeof item !== 'object') return ''
  const o = item as Record<string, unknown>
  // OpenAI chat completions: { choices: [{ delta: { content } }] }
  const choice = (o.choices as { delta?: { content?: unknown } }[] | undefined)?.[0]
  if (choice && typeof choice.delta?.content === 'string') return choice.delta.content
  // OpenAI responses: { type: 'response.output_text.delta', delta }
  if (o.type === 'response.output_text.delta' && typeof o.delta === 'string') return o.delta
  // Anthropic: { type: 'content_block_delta', delta: { type: 'text_delta', text } }
  const delta = o.delta as { type?: string; text?: unknown } | undefined
  if (o.type === 'content_block_delta' && delta?.type === 'text_delta' && typeof delta.text === 'string')
    return delta.text
  // Vercel AI SDK fullStream: { type: 'text-delta', text } (v5) or { textDelta } (v4)
  if (o.type === 'text-delta')
    return typeof o.text === 'string' ? o.text : typeof o.textDelta === 'string' ? o.textDelta : ''
  return ''
}

const runes = (s: string): number => {
  let n = 0
  for (const _ of s) n++
  return n
}

/**
 * Write `source` into posts of `target`'s thread: "typing…" until the first text, then one post
 * edited as text arrives, continued in new posts before the size limit.
 * @internal
 */
export async function streamInto(
  target: StreamTarget,
  source: StreamSource,
  options: StreamOptions = {},
  extraProps: Record<string, unknown> = {},
): Promise<StreamResult> {
  const chunks = textChunks(source)
  const base = Math.max(50, options.intervalMs ?? 1000)
  const marks: Record<string, unknown> =
    options.generated === false ? {} : { ai_generated_by: target.botId, unsafe_links: 'true' }
  const posts: Post[] = []
  let whole = ''
  let text = '' // the current post's text
  let size = 0 // its runes, counted as chunks arrive (not by walking the whole text each time)
  let sent = '' // what the server holds for the current post
  let post: Post | undefined
  let interval = base
  let last = 0
  let inflight: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined
  let failure: unknown
  // While a post is being closed (a roll-over or the end), no edit may start beside it.
  let held = false

  const write = async (message: string, final: boolean): Promise<void> => {
    const props = final ? marks : { ...marks, ...extraProps }
    if (!post) {
      post = await target.create({
        channel_id: target.channelId,
        message,
        ...(target.rootId ? { root_id: target.rootId } : {}),
        props,
      })
      posts.push(post)
    } else {
      const left = await target.edit(post.id, message, final ? props : undefined)
      // Few requests left in the server's window: edit half as often until it recovers.
      interval = left !== undefined && left < 10 ? base * 2 : base
    }
    sent = message
  }
  // One edit in flight at most; what arrives meanwhile goes in the next one.
  const flush = (): void => {
    if (held || inflight || text === sent || failure) return
    const wait = last + interval - Date.now()
    if (wait > 0) {
      timer ??= setTimeout(() => {
        timer = undefined
        flush()
      }, wait)
      return
    }
    const snapshot = text
    inflight = write(snapshot, false)
      .catch(err => {
        // The client already waited out 429s; a request that still failed is tried again later
        // with all the text so far, so nothing is lost.
        target.log.warn({ err }, 'stream: an edit failed; trying again at the next interval')
      })
      .finally(() => {
        inflight = undefined
        last = Date.now()
        flush()
      })
  }
  // Close the current post with `head` and start the next one with `rest`.
  const hold = async (): Promise<void> => {
    held = true
    clearTimeout(timer)
    timer = undefined
    while (inflight) await inflight
  }
  const rollOver = async (): Promise<void> => {
    while (size > POST_MESSAGE_MAX_RUNES) {
      const [head, ...rest] = splitMessage(text, POST_MESSAGE_MAX_RUNES)
      await hold()
      text = head as string
      await write(text, true)
      post = undefined
      sent = ''
      text = rest.join('\n')
      size = runes(text)
    }
    held = false
  }

  let typing: NodeJS.Timeout | undefined
  const showTyping = (): void => void target.typing().catch(() => {})
  showTyping()
  typing = setInterval(showTyping, 4000)
  let end: StreamResult['end'] = 'done'
  const onAbort = (): void => chunks.cancel()
  options.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    for (;;) {
      if (options.signal?.aborted) {
        end = 'stopped'
        break
      }
      let r: IteratorResult<string>
      try {
        r = await chunks.iterator.next()
      } catch (err) {
        if (options.signal?.aborted) {
          end = 'stopped'
          break
        }
        end = 'error'
        failure = err
        break
      }
      if (r.done) break
      if (typing) {
        clearInterval(typing)
        typing = undefined
      }
      whole += r.value
      text += r.value
      size += runes(r.value)
      if (size > POST_MESSAGE_MAX_RUNES) await rollOver()
      flush()
    }
    if (options.signal?.aborted) end = 'stopped'
  } finally {
    clearInterval(typing)
    options.signal?.removeEventListener('abort', onAbort)
    if (end !== 'done') chunks.cancel()
  }
  await hold()
  if (end === 'stopped') text += STOPPED_NOTE
  if (end === 'error') text += ERROR_NOTE
  size = runes(text)
  if (end === 'error') {
    target.log.warn({ err: failure }, 'stream: the source threw; the answer ends with a note')
  }
  if (text) {
    await rollOver()
    held = true
    // The last write holds exactly the whole text (and drops props meant only while streaming).
    if (text !== sent || !post || Object.keys(extraProps).length > 0) await write(text, true)
  }
  if (end === 'error') throw failure
  return { text: whole, posts, end }
}
