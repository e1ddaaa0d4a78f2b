/**
 * `Cluster`: what lets N replicas of one bot act as one. Every replica keeps its socket and sees
 * every event; before any handler runs, the event is claimed in the shared store (a lease,
 * renewed while the handlers run, then marked done for `keepMs`). A replica that lost the claim
 * looks again when the lease could have expired, so an event whose holder died is taken over.
 * Jobs run once per tick (a claim per tick, as pluginapi's `cluster.Schedule` keeps "last run"),
 * sessions are read and written under a per-key lock, and a conversation wait routes its
 * follow-ups to the replica that waits. docs/cluster.md has the whole contract.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from '../../core/logger.js'
import { sleep } from '../../core/time.js'
import type { ResumeStore } from '../../realtime/resume-store.js'
import type { SessionStorage } from '../session.js'
import { ClusterMetrics } from './metrics.js'
import type { ClusterStore } from './store.js'

/**
 * Cluster mode of a bot: several replicas, each event handled once.
 *
 * @example
 * ```ts
 * const options: ClusterOptions = { redis: 'redis://127.0.0.1:6379/0', prefix: 'prod' }
 * ```
 */
export interface ClusterOptions {
  /** The Redis URL (`redis://[:password@]host:6379/0`, `rediss://` for TLS). */
  redis: string
  /** Extra key namespace (keys are already per bot user): for several deployments on one Redis. */
  prefix?: string
  /** Lease of a claimed event, renewed while its handlers run (default 15 000 ms). */
  leaseMs?: number
  /** How long a handled event is remembered (default 6 h: longer than any resume or backfill). */
  keepMs?: number
}

/** @internal */
export interface ClusterConfig {
  store: ClusterStore
  log: Logger
  leaseMs?: number
  keepMs?: number
}

/** @internal What a queued event does once it is claimed. */
export type ClaimedRun = () => Promise<void>

/** @internal One replica's view of the cluster. */
export class Cluster {
  readonly replica = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  readonly metrics = new ClusterMetrics()
  readonly store: ClusterStore
  readonly #log: Logger
  readonly #leaseMs: number
  readonly #keepMs: number
  #draining = false
  #storeDown = false
  #heartbeat: NodeJS.Timeout | undefined
  /** Events another replica holds: checked again when their lease may have run out. */
  readonly #watching = new Set<NodeJS.Timeout>()

  constructor(c: ClusterConfig) {
    this.store = c.store
    this.#log = c.log
    this.#leaseMs = c.leaseMs ?? 15_000
    this.#keepMs = c.keepMs ?? 6 * 3_600_000
  }

  /** Whether the store answered its last call (`/readyz`). */
  get storeUp(): boolean {
    return !this.#storeDown
  }
  get draining(): boolean {
    return this.#draining
  }

  async start(): Promise<void> {
    await this.store.heartbeat(this.replica, this.#leaseMs)
    this.#heartbeat = setInterval(() => {
      this.store.heartbeat(this.replica, this.#leaseMs).then(
        () => this.#up(),
        err => this.#down(err),
      )
    }, this.#leaseMs / 3)
    this.#heartbeat.unref()
  }

  /**
   * Claim `key` and run `run` if this replica wins. `requeue` puts a later attempt back in the
   * caller's queue (same channel order) when another replica holds the lease. `waitKey` routes a
   * conversation follow-up to the replica waiting for it.
   */
  async handle(
    key: string,
    run: ClaimedRun,
    requeue: (again: () => Promise<void>) => void,
    waitKey?: string,
  ): Promise<void> {
    if (this.#draining) return
    const result = await this.#retry(() =>
      this.store.claim(`ev:${key}`, this.replica, this.#leaseMs, waitKey),
    )
    if (result === undefined) return // draining while the store was away: another replica claims it
    this.metrics.claim(result)
    if (result === 'done') return
    if (result === 'held' || result === 'routed') {
      // Look again after the lease: if its holder died, the event is ours to take over.
      const timer = setTimeout(
        () => {
          this.#watching.delete(timer)
          if (this.#draining) return
          requeue(() => this.#takeOver(key, run, requeue, waitKey))
        },
        this.#leaseMs + 250 + Math.random() * 500,
      )
      timer.unref()
      this.#watching.add(timer)
      return
    }
    await this.#runClaimed(key, run)
  }

  async #takeOver(
    key: string,
    run: ClaimedRun,
    requeue: (again: () => Promise<void>) => void,
    waitKey?: string,
  ): Promise<void> {
    const before = this.metrics.won
    await this.handle(key, run, requeue, waitKey)
    if (this.metrics.won > before) this.metrics.takenOver++
  }

  async #runClaimed(key: string, run: ClaimedRun): Promise<void> {
    const renew = setInterval(() => {
      this.store.renew(`ev:${key}`, this.replica, this.#leaseMs).then(
        held => {
          if (!held) this.#log.warn({ key }, 'cluster: lost the lease of a running event; it may run twice')
        },
        err => this.#down(err),
      )
    }, this.#leaseMs / 3)
    renew.unref()
    const started = performance.now()
    try {
      await run()
      this.metrics.handled((performance.now() - started) / 1000)
    } catch (err) {
      this.metrics.failed++
      throw err
    } finally {
      clearInterval(renew)
      // A failed handler counts as handled too: retrying it on another replica would repeat its side effects.
      await this.#retry(() => this.store.finish(`ev:${key}`, this.#keepMs), true)
    }
  }

  /** Whether this replica runs a job's tick (one replica per tick across the cluster). */
  async claimTick(job: string, tick: number, ttlMs: number): Promise<boolean> {
    if (this.#draining) return false
    const won = await this.#retry(() => this.store.lock(`job:${job}:${tick}`, this.replica, ttlMs))
    this.metrics.leadsJobs = won === true ? 1 : 0
    return won === true
  }

  /** Run `fn` under a cluster-wide lock (waits for it up to `waitMs`). */
  async withLock<T>(name: string, fn: () => Promise<T>, waitMs = 30_000): Promise<T> {
    const key = `lock:${name}`
    const deadline = Date.now() + waitMs
    while (!(await this.store.lock(key, this.replica, this.#leaseMs))) {
      if (Date.now() > deadline)
        throw new Error(`cluster: could not take the lock ${name} within ${waitMs} ms`)
      await sleep(20 + Math.random() * 30)
    }
    try {
      return await fn()
    } finally {
      await this.store.unlock(key, this.replica).catch(() => {})
    }
  }

  /** Route follow-ups of `waitKey` here while a `waitForReply` waits (undefined: stop). */
  route(waitKey: string, ttlMs: number | undefined): Promise<void> {
    return this.store.route(`wait:${waitKey}`, this.replica, ttlMs).catch(err => this.#down(err))
  }

  /** Session values shared by the replicas, each key read and written under a lock. */
  sessionStorage(): SessionStorage {
    return {
      get: async key => {
        const v = await this.store.get(`session:${key}`)
        return v === undefined ? undefined : JSON.parse(v)
      },
      set: (key, value, ttlMs) => this.store.set(`session:${key}`, JSON.stringify(value), ttlMs),
      delete: key => this.store.delete(`session:${key}`),
      lock: async key => {
        const lockKey = `lock:session:${key}`
        const owner = `${this.replica}:${randomBytes(4).toString('hex')}`
        const deadline = Date.now() + 30_000
        while (!(await this.store.lock(lockKey, owner, this.#leaseMs))) {
          if (Date.now() > deadline) throw new Error(`cluster: session ${key} stayed locked for 30 s`)
          await sleep(5 + Math.random() * 20)
        }
        return async () => {
          await this.store.unlock(lockKey, owner)
        }
      },
    }
  }

  /**
   * The cluster's shared resume point: the newest post any replica saw. A replica starting while
   * all others were down resumes from there (less a minute, since "seen" is not "handled"): the
   * realtime client's REST backfill fetches what was missed, and those posts are claimed like live
   * ones, so each is handled once and the done-marks skip what was already handled.
   */
  resumeStore(): ResumeStore {
    return {
      load: async () => {
        const at = Number((await this.store.get('resume:lastPostAt')) ?? 0)
        if (!at) return undefined
        // A well-formed id no server knows (the server closes the socket on a malformed one, api4/websocket.go):
        // it starts a new connection, which the client treats as a lost resume, and backfills.
        return {
          connectionId: randomBytes(13).toString('hex'),
          lastSeq: 0,
          lastPostAt: Math.max(1, at - 60_000),
        }
      },
      save: async state => {
        if (state.lastPostAt > 0) await this.store.raise('resume:lastPostAt', state.lastPostAt)
      },
    }
  }

  /** Stop claiming; handlers already running finish (the bot waits for them). */
  drain(): void {
    this.#draining = true
    for (const t of this.#watching) clearTimeout(t)
    this.#watching.clear()
  }

  async close(): Promise<void> {
    this.drain()
    clearInterval(this.#heartbeat)
    await this.store.delete(`alive:${this.replica}`).catch(() => {})
    await this.store.close()
  }

  /** Call the store until it answers (Redis away: claims pause, nothing is dropped). */
  async #retry<T>(call: () => Promise<T>, evenDraining = false): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const v = await call()
        this.#up()
        return v
      } catch (err) {
        this.#down(err)
        if (this.#draining && !evenDraining) return undefined
        if (this.#draining && attempt > 20) return undefined
        await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)), undefined, true)
      }
    }
  }

  /** The store's connection went away (`up` false) or came back. */
  storeState(up: boolean, err?: unknown): void {
    if (up) this.#up()
    else this.#down(err)
  }

  #down(err: unknown): void {
    if (this.#storeDown) return
    this.#storeDown = true
    this.#log.error({ err }, 'cluster: the Redis store is unreachable; claiming paused until it is back')
  }
  #up(): void {
    if (!this.#storeDown) return
    this.#storeDown = false
    this.#log.info({}, 'cluster: the Redis store is back; claiming resumed')
  }
}
