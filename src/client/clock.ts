/**
 * Internal: one coarse timer for all the request timeouts of a wire, instead of a timer per
 * request. Deadlines are checked every `tick` ms (a tenth of the shortest timeout seen, between
 * 10 ms and 500 ms), so a request times out up to one tick late. The interval runs only while
 * something is watched and never keeps the process alive.
 * @module
 */

/** @internal A watched deadline. */
export interface Deadline {
  readonly at: number
  readonly ms: number
  readonly fire: () => void
}

/** @internal */
export class CoarseClock {
  readonly #watched = new Set<Deadline>()
  #timer: ReturnType<typeof setInterval> | undefined
  #tick = 500

  /** Call `fire` if the deadline (`ms` from now) passes. */
  watch(ms: number, fire: () => void): Deadline {
    const d: Deadline = { at: Date.now() + ms, ms, fire }
    this.#watched.add(d)
    const tick = Math.min(500, Math.max(10, Math.floor(ms / 10)))
    if (!this.#timer || tick < this.#tick) {
      this.#tick = tick
      if (this.#timer) clearInterval(this.#timer)
      this.#timer = setInterval(() => this.#check(), tick)
      this.#timer.unref()
    }
    return d
  }

  unwatch(d: Deadline | undefined): void {
    if (!d) return
    this.#watched.delete(d)
    if (this.#watched.size === 0 && this.#timer) {
      clearInterval(this.#timer)
      this.#timer = undefined
      this.#tick = 500
    }
  }

  #check(): void {
    const now = Date.now()
    for (const d of this.#watched) {
      if (d.at <= now) {
        this.unwatch(d)
        d.fire()
      }
    }
  }
}
