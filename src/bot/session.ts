/**
 * Sessions: `ctx.session`, one object per user, channel or thread, loaded before the handlers and
 * saved after them, in a pluggable storage with a TTL.
 * @module
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { parseDuration } from '../core/time.js'
import { SESSION } from './contexts/base.js'

/**
 * The shape of `ctx.session`. Add your fields by declaration merging:
 *
 * @example
 * ```ts
 * declare module 'matterkit' { interface SessionData { count?: number } }
 * bot.message('count', ctx => ctx.reply(String((ctx.session.count = (ctx.session.count ?? 0) + 1))))
 * ```
 */
export interface SessionData {
  [key: string]: unknown
}

/**
 * A key-value store for sessions. `ttlMs` (when given) is how long the value lives after this write.
 *
 * @example
 * ```ts
 * class RedisStorage implements SessionStorage {
 *   get = (k: string) => redis.get(k).then(v => (v ? JSON.parse(v) : undefined))
 *   set = async (k: string, v: unknown, ttl?: number) => void (await redis.set(k, JSON.stringify(v), ttl ? { PX: ttl } : {}))
 *   delete = async (k: string) => void (await redis.del(k))
 * }
 * ```
 */
export interface SessionStorage {
  get(key: string): Promise<unknown>
  set(key: string, value: unknown, ttlMs?: number): Promise<void>
  delete(key: string): Promise<void>
  /**
   * Optional, for storages shared by several processes: take the key's lock before it is read
   * and resolve with its release, called after the write. Without it, two processes updating one
   * session at once can lose an update. The cluster mode's storage has it.
   */
  lock?(key: string): Promise<() => Promise<void>>
}

interface Entry {
  value: unknown
  /** Expiry time in ms since the epoch; 0 = never. */
  expires: number
}

/**
 * In-memory storage (lost on restart). Expired entries are dropped on read and swept on writes.
 *
 * @example
 * ```ts
 * const bot = new Bot({ url, token, session: { storage: new MemoryStorage(), ttl: '1d' } })
 * ```
 */
export class MemoryStorage implements SessionStorage {
  protected readonly data = new Map<string, Entry>()
  #writes = 0
  constructor(protected readonly now: () => number = Date.now) {}
  async get(key: string): Promise<unknown> {
    const e = this.data.get(key)
    if (!e) return undefined
    if (e.expires && e.expires <= this.now()) {
      this.data.delete(key)
      return undefined
    }
    return e.value
  }
  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    this.data.set(key, { value, expires: ttlMs ? this.now() + ttlMs : 0 })
    if (++this.#writes % 1000 === 0) this.sweep()
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key)
  }
  /** Drop expired entries. */
  protected sweep(): void {
    const t = this.now()
    for (const [k, e] of this.data) if (e.expires && e.expires <= t) this.data.delete(k)
  }
}

/**
 * Storage in one JSON file, written atomically (temp file + rename) after each change; writes are
 * serialised. Suited to small bots; use your own {@link SessionStorage} for large ones.
 *
 * @example
 * ```ts
 * const bot = new Bot({ url, token, session: { storage: new FileStorage('.matterkit/sessions.json') } })
 * ```
 */
export class FileStorage extends MemoryStorage {
  #loaded: Promise<void> | undefined
  #writing: Promise<void> = Promise.resolve()
  constructor(
    readonly path: string,
    now: () => number = Date.now,
  ) {
    super(now)
  }
  #load(): Promise<void> {
    this.#loaded ??= readFile(this.path, 'utf8').then(
      t => {
        const obj = JSON.parse(t) as Record<string, Entry>
        for (const [k, v] of Object.entries(obj)) this.data.set(k, v)
        this.sweep()
      },
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
      },
    )
    return this.#loaded
  }
  override async get(key: string): Promise<unknown> {
    await this.#load()
    return super.get(key)
  }
  override async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    await this.#load()
    await super.set(key, value, ttlMs)
    await this.#flush()
  }
  override async delete(key: string): Promise<void> {
    await this.#load()
    await super.delete(key)
    await this.#flush()
  }
  #flush(): Promise<void> {
    const run = async (): Promise<void> => {
      await mkdir(dirname(this.path), { recursive: true })
      const tmp = `${this.path}.${process.pid}.tmp`
      await writeFile(tmp, JSON.stringify(Object.fromEntries(this.data)), { mode: 0o600 })
      await rename(tmp, this.path)
    }
    this.#writing = this.#writing.then(run, run)
    return this.#writing
  }
}

/** What `Sessions.load` found, for `save`. @internal */
export interface LoadedSession {
  key: string
  before: string
  /** The storage's lock on the key, released after the save (or when a handler threw). */
  release?: () => Promise<void>
}

/** Options the session manager needs (see `SessionOptions` of the bot). @internal */
interface ManagerOptions {
  scope?: 'user' | 'channel' | 'thread' | ((ctx: never) => string | undefined)
  storage?: SessionStorage
  ttl?: number | string
  initial?: () => SessionData
}

/** A context as far as sessions care. */
interface SessionCtx {
  kind: string
  userId: string
  channelId: string
  rootId: string
  threadId?: string
  [SESSION]: { data: SessionData | undefined; enabled: boolean; cleared: boolean }
}

/**
 * Loads `ctx.session` before the handlers and saves it after them (only when it changed, or to
 * refresh its TTL). @internal
 *
 * @example
 * ```ts
 * const sessions = new Sessions({ scope: 'channel' })
 * const loaded = await sessions.load(ctx)
 * // … handlers …
 * if (loaded) await sessions.save(ctx, loaded)
 * ```
 */
export class Sessions {
  #storage: SessionStorage
  readonly #ttlMs: number | undefined
  readonly #o: ManagerOptions
  constructor(options: ManagerOptions) {
    this.#o = options
    this.#storage = options.storage ?? new MemoryStorage()
    this.#ttlMs = options.ttl === undefined ? undefined : parseDuration(options.ttl)
  }

  /** Whether the user chose the storage (cluster mode then leaves it alone). */
  get hasOwnStorage(): boolean {
    return this.#o.storage !== undefined
  }

  /** Switch to a shared storage (cluster mode, at start). */
  useStorage(storage: SessionStorage): void {
    this.#storage = storage
  }

  /** The storage key of a context's session, or `undefined` when the scope does not apply. */
  key(ctx: SessionCtx): string | undefined {
    const scope = this.#o.scope ?? 'user'
    if (typeof scope === 'function') return (scope as (c: SessionCtx) => string | undefined)(ctx)
    if (scope === 'user') return ctx.userId ? `user:${ctx.userId}` : undefined
    if (scope === 'channel') return ctx.channelId ? `channel:${ctx.channelId}` : undefined
    const thread = ctx.threadId ?? (ctx.rootId || ctx.channelId)
    return thread ? `thread:${thread}` : undefined
  }

  async load(ctx: SessionCtx): Promise<LoadedSession | undefined> {
    const slot = ctx[SESSION]
    slot.enabled = true
    const key = this.key(ctx)
    if (!key) return undefined
    const release = await this.#storage.lock?.(key)
    let stored: SessionData | undefined
    try {
      stored = (await this.#storage.get(key)) as SessionData | undefined
    } catch (err) {
      await release?.()
      throw err
    }
    slot.data = stored ?? this.#o.initial?.() ?? {}
    return {
      key,
      before: stored === undefined ? '' : JSON.stringify(stored),
      ...(release ? { release } : {}),
    }
  }

  async save(ctx: SessionCtx, loaded: LoadedSession): Promise<void> {
    const slot = ctx[SESSION]
    if (slot.cleared) return this.#storage.delete(loaded.key)
    const after = JSON.stringify(slot.data)
    if (after !== loaded.before || this.#ttlMs) await this.#storage.set(loaded.key, slot.data, this.#ttlMs)
  }
}
