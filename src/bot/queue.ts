/**
 * Ordering and concurrency for handlers: tasks with the same key (a channel or a thread) run one
 * after the other, in arrival order; different keys run concurrently up to a global limit.
 * @module
 */
import { ArgumentError } from '../core/errors.js'

type Task = () => Promise<void>

/**
 * A keyed FIFO queue with a global concurrency limit and a drain with a deadline.
 *
 * @example
 * ```ts
 * const q = new KeyedQueue(8)
 * q.push('channel-a', async () => { … })   // runs now
 * q.push('channel-a', async () => { … })   // runs after the first one
 * q.push('channel-b', async () => { … })   // runs beside channel-a
 * const { drained } = await q.drain(5000)
 * ```
 */
export class KeyedQueue {
  readonly #limit: number
  readonly #lanes = new Map<string, Task[]>()
  readonly #ready: string[] = []
  #running = 0
  #idle: Array<() => void> = []
  readonly #onError: (err: unknown) => void

  constructor(concurrency = 16, onError: (err: unknown) => void = () => {}) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new ArgumentError(`concurrency must be a positive integer, got ${concurrency}`)
    this.#limit = concurrency
    this.#onError = onError
  }

  /** Tasks waiting or running. */
  get size(): number {
    let n = 0
    for (const lane of this.#lanes.values()) n += lane.length
    return n
  }

  /** Tasks running right now. */
  get running(): number {
    return this.#running
  }

  /** Add a task behind the others with the same key. A task's error goes to `onError`. */
  push(key: string, task: Task): void {
    const lane = this.#lanes.get(key)
    if (lane) {
      lane.push(task)
      return
    }
    this.#lanes.set(key, [task])
    this.#ready.push(key)
    this.#pump()
  }

  #pump(): void {
    while (this.#running < this.#limit && this.#ready.length) {
      const key = this.#ready.shift() as string
      const task = (this.#lanes.get(key) as Task[])[0] as Task
      this.#running++
      void this.#run(key, task)
    }
    if (this.#running === 0 && this.#lanes.size === 0) for (const r of this.#idle.splice(0)) r()
  }

  async #run(key: string, task: Task): Promise<void> {
    try {
      await task()
    } catch (err) {
      this.#onError(err)
    }
    this.#running--
    const lane = this.#lanes.get(key) as Task[]
    lane.shift()
    if (lane.length) this.#ready.push(key)
    else this.#lanes.delete(key)
    this.#pump()
  }

  /** Resolve when the queue is empty, or at the deadline (`drained: false`, with what was left). */
  drain(timeoutMs: number): Promise<{ drained: boolean; pending: number }> {
    if (this.#lanes.size === 0) return Promise.resolve({ drained: true, pending: 0 })
    return new Promise(resolve => {
      const done = (): void => {
        clearTimeout(timer)
        resolve({ drained: true, pending: 0 })
      }
      const timer = setTimeout(() => {
        this.#idle = this.#idle.filter(r => r !== done)
        resolve({ drained: false, pending: this.size })
      }, timeoutMs)
      this.#idle.push(done)
    })
  }
}
