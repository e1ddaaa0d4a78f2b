/**
 * `Jobs`: the bot's schedules (`bot.every`, `bot.cron`). A run still going when the next is due
 * is skipped (and logged), and nothing runs while the bot is stopped.
 * @module
 */
import { MatterkitError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { parseDuration } from '../core/time.js'
import { type CronOptions, parseCron, runAt } from './schedule.js'

/** How a job's run reaches the bot (its context and middleware). */
export type JobRunner = (schedule: string) => Promise<void>

/** In cluster mode: whether this replica runs tick `tick` of job `job` (one replica per tick). */
export type TickClaim = (job: string, tick: number, ttlMs: number) => Promise<boolean>

/** Scheduled jobs, started and stopped with the bot. */
export class Jobs {
  #jobs: Array<{ start(): void; stop(): void }> = []
  #log: Logger
  #stopped: () => boolean
  /**
   * Set in cluster mode. Ticks are then aligned to the wall clock (every `interval` since the
   * epoch), so every replica's timer names the same tick, and one claim per tick picks the runner.
   */
  claim: TickClaim | undefined

  constructor(log: Logger, stopped: () => boolean) {
    this.#log = log
    this.#stopped = stopped
  }

  /** Run every interval (`'30s'`, `'1h'`, or ms). */
  every(interval: number | string, run: JobRunner): void {
    const ms = parseDuration(interval)
    if (ms < 10)
      throw new MatterkitError('MK_ERR_INVALID_ARGUMENT', `every(${interval}): use at least 10 ms.`)
    let timer: NodeJS.Timeout | undefined
    const name = `every:${this.#jobs.length}:${ms}`
    const tick = this.#guard(String(interval), run)
    const aligned = (): void => {
      const now = Date.now()
      const at = (Math.floor(now / ms) + 1) * ms
      timer = setTimeout(() => {
        this.#claimed(name, at / ms, ms, tick)
        aligned()
      }, at - now)
    }
    this.#jobs.push({
      // Not unref'd: a bot with only jobs must stay up while started; stop() clears it.
      start: () => {
        if (this.claim) aligned()
        else timer = setInterval(tick, ms)
      },
      stop: () => {
        clearInterval(timer)
        clearTimeout(timer)
      },
    })
  }

  /** Run on a 5-field cron schedule (or a macro such as `@daily`), in local time or `timezone`. */
  cron(expression: string, run: JobRunner, options: CronOptions = {}): void {
    const cron = parseCron(expression, options)
    const tick = this.#guard(expression, run)
    const name = `cron:${this.#jobs.length}:${expression}`
    let cancel = (): void => {}
    const arm = (): void => {
      const at = cron.next(new Date())
      cancel = runAt(at, () => {
        if (this.claim) this.#claimed(name, at.getTime(), 60_000, tick)
        else tick()
        arm()
      })
    }
    this.#jobs.push({ start: arm, stop: () => cancel() })
  }

  start(): void {
    for (const j of this.#jobs) j.start()
  }

  stop(): void {
    for (const j of this.#jobs) j.stop()
  }

  /** Run the tick if this replica claims it (the claim outlives any clock skew between replicas). */
  #claimed(name: string, tickId: number, periodMs: number, tick: () => void): void {
    if (this.#stopped() || !this.claim) return
    this.claim(name, tickId, Math.max(2 * periodMs, 60_000)).then(
      won => {
        if (won) tick()
      },
      err => this.#log.warn({ err, job: name }, 'job tick not run: the cluster store did not answer'),
    )
  }

  #guard(schedule: string, run: JobRunner): () => void {
    let running = false
    return () => {
      if (this.#stopped()) return
      if (running) {
        this.#log.warn({ schedule }, 'job skipped: the previous run is still going')
        return
      }
      running = true
      void run(schedule).finally(() => {
        running = false
      })
    }
  }
}
