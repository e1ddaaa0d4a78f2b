/**
 * The cluster's shared state behind one small interface: event claims (leases), job ticks, locks,
 * replica liveness, conversation routing and session values. `MemoryClusterStore` is one process
 * (what a bot without `cluster` does); `RedisClusterStore` (redis-store.ts) is the real engine.
 * @module
 */

/** What a claim found: run it, someone else holds a live lease, it is handled, or it is routed to a waiting replica. */
export type ClaimResult = 'won' | 'held' | 'done' | 'routed'

/** The shared state of a cluster of bot replicas (the store namespaces the keys). */
export interface ClusterStore {
  /**
   * Claim `key` for `owner` for `leaseMs`, atomically. `waitKey` names a conversation wait: when
   * another live replica waits there, the result is `'routed'` and nothing is claimed.
   */
  claim(key: string, owner: string, leaseMs: number, waitKey?: string): Promise<ClaimResult>
  /** Extend a lease still held by `owner`; false when it was lost. */
  renew(key: string, owner: string, leaseMs: number): Promise<boolean>
  /** Mark `key` handled for `keepMs` (no replica runs it again meanwhile). */
  finish(key: string, keepMs: number): Promise<void>
  /** Give a lease back without handling (drain), so another replica may take it at once. */
  release(key: string, owner: string): Promise<void>
  /** Try to take a lock once; true when `owner` now holds it for `ttlMs`. */
  lock(key: string, owner: string, ttlMs: number): Promise<boolean>
  /** Release a lock held by `owner`. */
  unlock(key: string, owner: string): Promise<void>
  /** Say that `replica` is alive for `ttlMs` (routing and takeover read it). */
  heartbeat(replica: string, ttlMs: number): Promise<void>
  /** Route posts of `waitKey` to `replica` for `ttlMs` (undefined ttl: remove the route). */
  route(waitKey: string, replica: string, ttlMs: number | undefined): Promise<void>
  /** Set a number key to `value` if that is larger (the cluster's shared resume point). */
  raise(key: string, value: number): Promise<void>
  get(key: string): Promise<string | undefined>
  set(key: string, value: string, ttlMs?: number): Promise<void>
  delete(key: string): Promise<void>
  /** A round trip (readiness). */
  ping(): Promise<void>
  close(): Promise<void>
}

interface Held {
  value: string
  expires: number
}

/** One process's cluster state: every claim is won, and it behaves as a bot without `cluster`. */
export class MemoryClusterStore implements ClusterStore {
  readonly #data = new Map<string, Held>()
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  #read(key: string): string | undefined {
    const e = this.#data.get(key)
    if (!e) return undefined
    if (e.expires && e.expires <= this.#now()) {
      this.#data.delete(key)
      return undefined
    }
    return e.value
  }

  #write(key: string, value: string, ttlMs?: number): void {
    this.#data.set(key, { value, expires: ttlMs ? this.#now() + ttlMs : 0 })
  }

  async claim(key: string, owner: string, leaseMs: number, waitKey?: string): Promise<ClaimResult> {
    const waiter = waitKey ? this.#read(waitKey) : undefined
    if (waiter && waiter !== owner && this.#read(`alive:${waiter}`)) return 'routed'
    const v = this.#read(key)
    if (v === 'done') return 'done'
    if (v !== undefined && v !== owner) return 'held'
    this.#write(key, owner, leaseMs)
    return 'won'
  }
  async renew(key: string, owner: string, leaseMs: number): Promise<boolean> {
    if (this.#read(key) !== owner) return false
    this.#write(key, owner, leaseMs)
    return true
  }
  async finish(key: string, keepMs: number): Promise<void> {
    this.#write(key, 'done', keepMs)
  }
  async release(key: string, owner: string): Promise<void> {
    if (this.#read(key) === owner) this.#data.delete(key)
  }
  async lock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const v = this.#read(key)
    if (v !== undefined && v !== owner) return false
    this.#write(key, owner, ttlMs)
    return true
  }
  async unlock(key: string, owner: string): Promise<void> {
    await this.release(key, owner)
  }
  async heartbeat(replica: string, ttlMs: number): Promise<void> {
    this.#write(`alive:${replica}`, '1', ttlMs)
  }
  async route(waitKey: string, replica: string, ttlMs: number | undefined): Promise<void> {
    if (ttlMs === undefined) {
      if (this.#read(waitKey) === replica) this.#data.delete(waitKey)
    } else this.#write(waitKey, replica, ttlMs)
  }
  async raise(key: string, value: number): Promise<void> {
    if (!(Number(this.#read(key) ?? 0) >= value)) this.#write(key, String(value))
  }
  async get(key: string): Promise<string | undefined> {
    return this.#read(key)
  }
  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#write(key, value, ttlMs)
  }
  async delete(key: string): Promise<void> {
    this.#data.delete(key)
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}
