/**
 * `Resync`: runs the REST backfill after a lost resume. Passes are serialised and retried with
 * backoff; while one is pending, live events are held so that order per channel holds.
 * @module
 */
import { backoffDelay, sleep } from '../core/time.js'
import type { RawWebSocketEvent } from '../types/index.js'
import type { ResyncInfo } from './backfill.js'

/** What a `Resync` needs from its stream. */
export interface ResyncHost {
  /** Server time up to which posts are known delivered. */
  lastPostAt(): number
  /** One backfill pass from `since` (exclusive). */
  pass(since: number): Promise<ResyncInfo>
  /** Deliver a held live event. */
  deliver(raw: RawWebSocketEvent): void
  passed(info: ResyncInfo): void
  failed(err: Error): void
  stopped(): boolean
}

/** Backfill scheduling for one realtime stream. */
export class Resync {
  #host: ResyncHost
  /** While a resync is pending: the earliest `lastPostAt` from which it must backfill. */
  #from: number | undefined
  #run: Promise<void> | undefined
  #again = false
  #held: RawWebSocketEvent[] = []
  #active = false

  constructor(host: ResyncHost) {
    this.#host = host
  }

  /** Whether live events must be held (a backfill is pending). */
  get active(): boolean {
    return this.#active
  }

  /** Keep a live event until the backfill is done. */
  hold(raw: RawWebSocketEvent): void {
    this.#held.push(raw)
  }

  /** A resume was lost: backfill from the first gap (a second loss during a pass adds a pass). */
  start(): void {
    const at = this.#host.lastPostAt()
    // A pass that fails part-way, or a second lost resume, must still start from the first gap.
    this.#from = Math.min(this.#from ?? at, at)
    if (this.#run) {
      this.#again = true
      return
    }
    this.#active = true
    this.#run = this.#loop().finally(() => {
      this.#run = undefined
      // A lost resume reported between the loop's last check and here needs one more pass.
      if (this.#again && !this.#host.stopped()) {
        this.start()
        return
      }
      this.#active = false
      this.#from = undefined
      for (const m of this.#held.splice(0)) this.#host.deliver(m)
    })
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false
      for (let attempt = 0; !this.#host.stopped(); attempt++) {
        try {
          this.#host.passed(await this.#host.pass((this.#from ?? this.#host.lastPostAt()) - 1))
          break
        } catch (err) {
          this.#host.failed(err as Error)
          await sleep(backoffDelay(attempt, { initialMs: 100, maxMs: 5000 }), undefined, true)
        }
      }
    } while (this.#again && !this.#host.stopped())
  }
}
