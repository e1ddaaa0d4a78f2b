/**
 * Session storage for `ctx.session()`: memory (default) or a JSON file, with a TTL.
 * @module
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/** A key-value store for sessions. */
export interface SessionStorage {
  get(key: string): Promise<unknown>
  set(key: string, value: unknown, ttlMs?: number): Promise<void>
  delete(key: string): Promise<void>
}

/** In-memory storage (lost on restart). */
export class MemoryStorage implements SessionStorage {
  protected data = new Map<string, { value: unknown; expires: number }>()
  async get(key: string): Promise<unknown> {
    const e = this.data.get(key)
    if (!e) return undefined
    if (e.expires && e.expires < Date.now()) {
      this.data.delete(key)
      return undefined
    }
    return e.value
  }
  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    this.data.set(key, { value, expires: ttlMs ? Date.now() + ttlMs : 0 })
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key)
  }
}

/**
 * Storage in one JSON file, written atomically after each change.
 *
 * @example
 * ```ts
 * const bot = new Bot({ url, token, session: { storage: new FileStorage('.matterkit/sessions.json') } })
 * ```
 */
export class FileStorage extends MemoryStorage {
  #loaded: Promise<void> | undefined
  #writing: Promise<void> = Promise.resolve()
  constructor(readonly path: string) {
    super()
  }
  #load(): Promise<void> {
    this.#loaded ??= readFile(this.path, 'utf8').then(
      t => {
        for (const [k, v] of Object.entries(
          JSON.parse(t) as Record<string, { value: unknown; expires: number }>,
        ))
          this.data.set(k, v)
      },
      () => {},
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
    this.#writing = this.#writing.then(async () => {
      await mkdir(dirname(this.path), { recursive: true })
      const tmp = `${this.path}.tmp`
      await writeFile(tmp, JSON.stringify(Object.fromEntries(this.data)))
      await rename(tmp, this.path)
    })
    return this.#writing
  }
}
