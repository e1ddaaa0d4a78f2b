/**
 * `Cluster`: what lets N replicas of one bot act as one. Every replica keeps its socket and sees
 * every event; before any handler runs, the event is claimed in the shared store (a lease,
 * renewed while the handlers run, then marked done for `keepMs`). A replica that lost the claim
 * looks again when the lease could have expired, so an event whose holder died is taken over.
 * Each lane (a channel or a thread) belongs to one live replica (rendezvous hashing over the
 * members), which claims its events at once and runs them in order; the others claim them only
 * after the lease, as a takeover, so order holds across replicas while the members stay the same.
 * Jobs run once per tick (a claim per tick, as pluginapi's `cluster.Schedule` keeps "last run"),
 * sessions are read and written under a per-key lock, and a conversation wait routes its
 * follow-ups to the replica that waits. docs/cluster.md has the whole contract.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from '../../core/logger.js'
import { sleep } from '../../core/time.js'
import type { ResumeStore } from '../../realtime/resume-store.js'
import type { SessionStorage } from '../session.js'
import { ClusterMetrics } from './metrics.js'
import type { ClaimResult, ClusterStore, Heartbeat } from './store.js'

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
  /** Hold this replica's requests until `at` (epoch ms): another replica saw a 429 for the same token. */
  pause?: (at: number) => void
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
  readonly #pause: (at: number) => void
  #pausedUntil = 0
  readonly #leaseMs: number
  readonly #keepMs: number
  #draining = false
  #joined = false
  #storeDown = false
  #heartbeat: NodeJS.Timeout | undefined
  /** Events another replica holds: checked again when their lease may have run out. */
  readonly #watching = new Set<NodeJS.Timeout>()
  /** Events of lanes another replica owns, waiting for their lease (or for the lane to become ours). */
  readonly #deferred = new Map<NodeJS.Timeout, { lane: string; now: () => void }>()
  /** The live replicas at the last heartbeat, sorted. */
  #members: string[]
  /** Lane locks this replica may hold: lane → [events being claimed or run in it, when it last used it]. */
  readonly #lanes = new Map<string, [number, number]>()
  /** Conversation waits on this replica: their follow-ups are claimed here whoever owns the lane. */
  readonly #waits = new Map<string, number>()

  constructor(c: ClusterConfig) {
    this.store = c.store
    this.#log = c.log
    this.#pause = c.pause ?? (() => {})
    this.#leaseMs = c.leaseMs ?? 15_000
    this.#keepMs = c.keepMs ?? 6 * 3_600_000
    this.#members = []
  }

  /** Whether the store answered its last call (`/readyz`). */
  get storeUp(): boolean {
    return !this.#storeDown
  }
  get draining(): boolean {
    return this.#draining
  }

  /**
   * Say this replica is alive (routes and lane locks read it). It takes no lanes until {@link join}:
   * until its socket is open it receives no events, so lanes given to it would wait for a takeover.
   */
  async start(): Promise<void> {
    this.#beat(await this.store.heartbeat(this.replica, this.#leaseMs, false))
    // Every second at most: a joining or leaving replica moves lanes within a second, not a lease.
    this.#heartbeat = setInterval(
      () => {
        this.store.heartbeat(this.replica, this.#leaseMs, this.#joined).then(
          beat => {
            this.#up()
            this.#beat(beat)
            // An idle lane's lock has expired in the store by now: forget it.
            const old = Date.now() - this.#leaseMs
            for (const [lane, [running, at]] of this.#lanes)
              if (running === 0 && at < old) this.#lanes.delete(lane)
          },
          err => this.#down(err),
        )
      },
      Math.min(1000, this.#leaseMs / 3),
    )
    this.#heartbeat.unref()
  }

  /** Take a share of the lanes (the bot calls it once its socket is open). */
  async join(): Promise<void> {
    this.#joined = true
    this.#beat(await this.store.heartbeat(this.replica, this.#leaseMs, true))
  }

  /**
   * A 429 here: every replica holds its requests as long (they share the token's limit, so N
   * replicas retrying on their own would multiply the storm). The others learn it at their next
   * heartbeat, within a second.
   */
  rateLimited(retryAfterMs: number): void {
    const until = Date.now() + retryAfterMs
    this.#pausedUntil = Math.max(this.#pausedUntil, until)
    this.store.raise('ratelimit:until', until).catch(err => this.#down(err))
  }

  #beat(beat: Heartbeat): void {
    if (!this.#draining) this.#setMembers(beat.members)
    if (beat.pausedUntil > this.#pausedUntil && beat.pausedUntil > Date.now()) {
      this.#pausedUntil = beat.pausedUntil
      this.metrics.sharedPauses++
      this.#pause(beat.pausedUntil)
    }
  }

  /**
   * The live member that owns `lane`: the highest hash of (member, lane), so a member change moves
   * few lanes. With no member at all (every replica was down), each replica acts as the owner and
   * the lane lock keeps one at a time.
   */
  owner(lane: string): string {
    let best = this.replica
    let top = ''
    for (const m of this.#members) {
      const h = createHash('sha1').update(m).update('\n').update(lane).digest('hex')
      if (h > top) [best, top] = [m, h]
    }
    return best
  }

  #setMembers(members: string[]): void {
    const list = !this.#joined || members.includes(this.replica) ? members : [...members, this.replica].sort()
    if (list.join() === this.#members.join()) return
    this.#members = list
    this.metrics.replicas = list.length
    // Lanes that moved away: hand their locks over now (a running event hands its lane over when it ends).
    for (const [lane, [running]] of this.#lanes)
      if (running === 0 && this.owner(lane) !== this.replica) this.#releaseLane(lane)
    // Lanes that became ours: their waiting events are claimed now, in the order they came.
    for (const [timer, d] of this.#deferred)
      if (this.owner(d.lane) === this.replica) {
        clearTimeout(timer)
        this.#deferred.delete(timer)
        d.now()
      }
  }

  /**
   * An event arrived: its lane's owner queues its claim now (`queue`, in arrival order); the other
   * replicas wait for the lease and then take it over if nobody handled it. Deciding at arrival,
   * not in the queue's turn, keeps a backlog from deferring an event to a replica that joined after
   * it was sent (and never received it).
   */
  receive(
    key: string,
    run: ClaimedRun,
    queue: (task: () => Promise<void>) => void,
    waitKey?: string,
    lane?: string,
  ): void {
    if (this.#draining) return
    const local = waitKey !== undefined && this.#waits.has(waitKey)
    if (lane !== undefined && !local && this.owner(lane) !== this.replica)
      this.#defer(lane, key, run, queue, waitKey)
    else queue(() => this.handle(key, run, queue, waitKey, local ? undefined : lane))
  }

  /**
   * Claim `key` and run `run` if this replica wins. `requeue` puts a later attempt back in the
   * caller's queue (same lane order) when another replica holds the lease. `waitKey` routes a
   * conversation follow-up to the replica waiting for it. `lane` (a channel or thread) is claimed
   * at once only by its owner; the others wait for the lease, then take the event over if needed.
   */
  async handle(
    key: string,
    run: ClaimedRun,
    requeue: (again: () => Promise<void>) => void,
    waitKey?: string,
    lane?: string,
  ): Promise<void> {
    if (this.#draining) return
    if (lane === undefined) return this.#claimAndRun(key, run, requeue, waitKey)
    // The lane's lock is kept from the claim to the end of the run: a member change meanwhile
    // must not hand it over while this replica may still win (or runs) the lane's event.
    const use = this.#lanes.get(lane) ?? [0, 0]
    use[0]++
    use[1] = Date.now()
    this.#lanes.set(lane, use)
    try {
      await this.#claimAndRun(key, run, requeue, waitKey, lane)
    } finally {
      use[0]--
      if (use[0] === 0 && (this.#draining || this.owner(lane) !== this.replica)) this.#releaseLane(lane)
    }
  }

  async #claimAndRun(
    key: string,
    run: ClaimedRun,
    requeue: (again: () => Promise<void>) => void,
    waitKey?: string,
    lane?: string,
  ): Promise<void> {
    // The owner takes the lane's lock with the event: a replica that owned the lane before a member
    // change still running its last event makes this one wait ('busy'), so the order holds.
    const laneKey = lane !== undefined ? `lane:${lane}` : undefined
    const giveUp = Date.now() + this.#leaseMs
    let result: ClaimResult | undefined
    for (;;) {
      result = await this.#retry(() =>
        this.store.claim(`ev:${key}`, this.replica, this.#leaseMs, waitKey, laneKey),
      )
      if (result !== 'busy' || this.#draining || Date.now() > giveUp) break
      this.metrics.claim(result)
      await sleep(20 + Math.random() * 30)
      if (lane !== undefined && this.owner(lane) !== this.replica) {
        this.#defer(lane, key, run, requeue, waitKey)
        return
      }
    }
    if (result === undefined || this.#draining) return // draining: another replica claims it
    this.metrics.claim(result)
    if (result === 'done') return
    if (result !== 'won') {
      // Look again soon (a lease is renewed every third of it): if its holder died, the event is
      // ours to take over within about a lease and 2 s of the death.
      const timer = setTimeout(
        () => {
          this.#watching.delete(timer)
          if (this.#draining) return
          requeue(() => this.#takeOver(key, run, requeue, waitKey))
        },
        Math.min(2000, this.#leaseMs / 3) + Math.random() * 250,
      )
      timer.unref()
      this.#watching.add(timer)
      return
    }
    await this.#runClaimed(key, run, laneKey)
  }

  #releaseLane(lane: string): void {
    this.#lanes.delete(lane)
    this.store.unlock(`lane:${lane}`, this.replica).catch(err => this.#down(err))
  }

  /** Wait for the lease (then take over if nobody handled it), or until the lane becomes ours. */
  #defer(
    lane: string,
    key: string,
    run: ClaimedRun,
    queue: (task: () => Promise<void>) => void,
    waitKey?: string,
  ): void {
    const timer = setTimeout(
      () => {
        this.#deferred.delete(timer)
        // Nobody handled it within a lease: take it over, whoever owns the lane.
        if (!this.#draining) queue(() => this.#takeOver(key, run, queue, waitKey))
      },
      this.#leaseMs + 250 + Math.random() * 500,
    )
    timer.unref()
    // The lane became ours: claim it as its owner does, under the lane lock, so order holds.
    this.#deferred.set(timer, { lane, now: () => queue(() => this.handle(key, run, queue, waitKey, lane)) })
  }

  async #takeOver(
    key: string,
    run: ClaimedRun,
    requeue: (again: () => Promise<void>) => void,
    waitKey?: string,
  ): Promise<void> {
    const before = this.metrics.won
    await this.handle(key, run, requeue, waitKey) // no lane: claimed now, whoever owns it
    if (this.metrics.won > before) this.metrics.takenOver++
  }

  async #runClaimed(key: string, run: ClaimedRun, laneKey?: string): Promise<void> {
    const renew = setInterval(() => {
      this.store.renew(`ev:${key}`, this.replica, this.#leaseMs).then(
        held => {
          if (!held) this.#log.warn({ key }, 'cluster: lost the lease of a running event; it may run twice')
        },
        err => this.#down(err),
      )
      if (laneKey) this.store.renew(laneKey, this.replica, this.#leaseMs).catch(err => this.#down(err))
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
    const n = (this.#waits.get(waitKey) ?? 0) + (ttlMs === undefined ? -1 : 1)
    if (n > 0) this.#waits.set(waitKey, n)
    else this.#waits.delete(waitKey)
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
    if (this.#draining) return
    this.#draining = true
    for (const t of [...this.#watching, ...this.#deferred.keys()]) clearTimeout(t)
    this.#watching.clear()
    this.#deferred.clear()
    // Leave at once: the others own this replica's lanes from their next heartbeat.
    this.store.leave(this.replica).catch(() => {})
  }

  async close(): Promise<void> {
    this.drain()
    clearInterval(this.#heartbeat)
    await this.store.leave(this.replica).catch(() => {})
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
