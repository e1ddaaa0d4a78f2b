/**
 * The cluster's shared state behind one small interface: event claims (leases), job ticks, locks,
 * replica liveness, conversation routing and session values. `MemoryClusterStore` is one process
 * (what a bot without `cluster` does); `RedisClusterStore` (redis-store.ts) is the real engine.
 * @module
 */

/**
 * What a claim found: run it, someone else holds a live lease, it is handled, it is routed to a
 * waiting replica, or its lane is busy on another live replica (try again soon, in order).
 */
export type ClaimResult = 'won' | 'held' | 'done' | 'routed' | 'busy'

/** The shared state of a cluster of bot replicas (the store namespaces the keys). */
export interface ClusterStore {
  /**
   * Claim `key` for `owner` for `leaseMs`, atomically. `waitKey` names a conversation wait: when
   * another live replica waits there, the result is `'routed'` and nothing is claimed. `laneKey`
   * is the lock of the event's lane (channel or thread): held by another live replica, the result
   * is `'busy'`; else `owner` takes it for `leaseMs` along with the event.
   */
  claim(key: string, owner: string, leaseMs: number, waitKey?: string, laneKey?: string): Promise<ClaimResult>
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
  /**
   * Say that `replica` is alive for `ttlMs`, and with `member` that it takes a share of the lanes;
   * resolves to every live member, sorted, and the shared rate-limit pause (epoch ms, 0 for none).
   */
  heartbeat(replica: string, ttlMs: number, member: boolean): Promise<Heartbeat>
  /** `replica` leaves (drain): the others take its lanes at their next heartbeat. */
  leave(replica: string): Promise<void>
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

/** What a heartbeat reads back. */
export interface Heartbeat {
  members: string[]
  /** Until when a replica asked all to hold their requests after a 429 (epoch ms; 0: no pause). */
  pausedUntil: number
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

  async claim(
    key: string,
    owner: string,
    leaseMs: number,
    waitKey?: string,
    laneKey?: string,
  ): Promise<ClaimResult> {
    const waiter = waitKey ? this.#read(waitKey) : undefined
    if (waiter && waiter !== owner && this.#read(`alive:${waiter}`)) return 'routed'
    const v = this.#read(key)
    if (v === 'done') return 'done'
    if (v !== undefined && v !== owner) return 'held'
    if (laneKey) {
      const holder = this.#read(laneKey)
      if (holder && holder !== owner && this.#read(`alive:${holder}`)) return 'busy'
      this.#write(laneKey, owner, leaseMs)
    }
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
  async heartbeat(replica: string, ttlMs: number, member: boolean): Promise<Heartbeat> {
    this.#write(`alive:${replica}`, '1', ttlMs)
    if (member) this.#write(`member:${replica}`, '1', ttlMs)
    const members = [...this.#data.keys()]
      .filter(k => k.startsWith('member:') && this.#read(k) !== undefined)
      .map(k => k.slice('member:'.length))
      .sort()
    return { members, pausedUntil: Number(this.#read('ratelimit:until') ?? 0) }
  }
  async leave(replica: string): Promise<void> {
    this.#data.delete(`alive:${replica}`)
    this.#data.delete(`member:${replica}`)
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
