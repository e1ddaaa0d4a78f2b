/**
 * `EventQueue`: the pull side of the realtime stream (`for await (const ev of rt)`). Events are
 * queued only while someone iterates, so a stream used through `on()` keeps nothing.
 * @module
 */

/** An unbounded async queue that ends once closed. */
export class EventQueue<T> {
  #queue: T[] = []
  #waiters: Array<(r: IteratorResult<T>) => void> = []
  #iterating = false
  #closed = false
  #failure: Error | undefined

  /** Hand an event to a waiting iterator, or queue it while one is active. */
  push(value: T): void {
    if (this.#waiters.length) this.#waiters.shift()!({ value, done: false })
    else if (this.#iterating) this.#queue.push(value)
  }

  /** Reopen after `close()` (a new `connect()`). */
  reopen(): void {
    this.#closed = false
    this.#failure = undefined
  }

  /** End every pending and future `next()` once the queue is drained. */
  close(): void {
    this.#closed = true
    for (const w of this.#waiters.splice(0)) w({ value: undefined, done: true })
  }

  /** End the stream because it failed: once drained, `next()` rejects with `err` instead of ending. */
  fail(err: Error): void {
    this.#failure = err
    this.#closed = true
    for (const w of this.#waiters.splice(0))
      w({ value: undefined, done: true, failure: err } as IteratorResult<T>)
  }

  iterator(): AsyncIterator<T> {
    this.#iterating = true
    return {
      next: () => {
        if (this.#queue.length) return Promise.resolve({ value: this.#queue.shift()!, done: false })
        if (this.#failure) return Promise.reject(this.#failure)
        if (this.#closed) return Promise.resolve({ value: undefined, done: true })
        return new Promise((resolve, reject) =>
          this.#waiters.push(r => {
            const failure = (r as { failure?: Error }).failure
            if (failure) reject(failure)
            else resolve(r)
          }),
        )
      },
      return: async () => {
        this.#iterating = false
        return { value: undefined, done: true }
      },
    }
  }
}
