/**
 * A small typed event emitter. Listener errors never break the emitter: they are reported to
 * the `onListenerError` callback (default: rethrown asynchronously so they surface).
 *
 * @example
 * ```ts
 * const em = new TypedEmitter<{ ready: [id: string] }>()
 * em.on('ready', id => console.log(id))
 * em.emit('ready', 'abc')
 * ```
 * @module
 */

/** Map from event name to the tuple of listener arguments. */
export type EventMap = { [event: string]: unknown[] }

/** A listener for event `K` of map `M`. */
export type Listener<M extends EventMap, K extends keyof M> = (...args: M[K]) => unknown

/** A minimal strongly typed event emitter. */
export class TypedEmitter<M extends EventMap> {
  #listeners = new Map<keyof M, Array<{ fn: Listener<M, keyof M>; once: boolean }>>()
  /** Called when a listener throws or rejects. */
  protected onListenerError: (err: unknown, event: keyof M) => void = err => {
    queueMicrotask(() => {
      throw err
    })
  }

  /** Add a listener. Returns a function that removes it. */
  on<K extends keyof M>(event: K, fn: Listener<M, K>): () => void {
    const list = this.#listeners.get(event) ?? []
    list.push({ fn: fn as unknown as Listener<M, keyof M>, once: false })
    this.#listeners.set(event, list)
    return () => this.off(event, fn)
  }

  /** Add a listener that runs at most once. */
  once<K extends keyof M>(event: K, fn: Listener<M, K>): () => void {
    const list = this.#listeners.get(event) ?? []
    list.push({ fn: fn as unknown as Listener<M, keyof M>, once: true })
    this.#listeners.set(event, list)
    return () => this.off(event, fn)
  }

  /** Remove a listener. */
  off<K extends keyof M>(event: K, fn: Listener<M, K>): void {
    const list = this.#listeners.get(event)
    if (!list) return
    const i = list.findIndex(l => l.fn === (fn as unknown))
    if (i >= 0) list.splice(i, 1)
  }

  /** Number of listeners for `event`. */
  listenerCount<K extends keyof M>(event: K): number {
    return this.#listeners.get(event)?.length ?? 0
  }

  /** Call every listener of `event`. Returns true when there was at least one. */
  emit<K extends keyof M>(event: K, ...args: M[K]): boolean {
    const list = this.#listeners.get(event)
    if (!list || list.length === 0) return false
    const snapshot = list.length === 1 ? list : [...list]
    for (const l of snapshot) {
      if (l.once) this.off(event, l.fn as unknown as Listener<M, K>)
      try {
        const r = (l.fn as (...a: M[K]) => unknown)(...args)
        if (r && typeof (r as Promise<void>).then === 'function') {
          ;(r as Promise<void>).catch(err => this.onListenerError(err, event))
        }
      } catch (err) {
        this.onListenerError(err, event)
      }
    }
    return true
  }

  /** Resolve with the arguments of the next `event` (rejects when `signal` aborts). */
  waitFor<K extends keyof M>(event: K, signal?: AbortSignal): Promise<M[K]> {
    return new Promise((resolve, reject) => {
      const off = this.once(event, ((...args: M[K]) => {
        signal?.removeEventListener('abort', onAbort)
        resolve(args)
      }) as Listener<M, K>)
      const onAbort = (): void => {
        off()
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Remove every listener. */
  removeAllListeners(): void {
    this.#listeners.clear()
  }
}
