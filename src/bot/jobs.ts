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

/** Scheduled jobs, started and stopped with the bot. */
export class Jobs {
  #jobs: Array<{ start(): void; stop(): void }> = []
  #log: Logger
  #stopped: () => boolean

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
    const tick = this.#guard(String(interval), run)
    this.#jobs.push({
      // Not unref'd: a bot with only jobs must stay up while started; stop() clears it.
      start: () => {
        timer = setInterval(tick, ms)
      },
      stop: () => clearInterval(timer),
    })
  }

  /** Run on a 5-field cron schedule (or a macro such as `@daily`), in local time or `timezone`. */
  cron(expression: string, run: JobRunner, options: CronOptions = {}): void {
    const cron = parseCron(expression, options)
    const tick = this.#guard(expression, run)
    let cancel = (): void => {}
    const arm = (): void => {
      cancel = runAt(cron.next(new Date()), () => {
        tick()
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
