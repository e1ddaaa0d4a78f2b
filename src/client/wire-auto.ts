/**
 * Internal: pick the wire. `auto` starts on `node:http` (nothing to load, about 20 MB less
 * memory) and moves to undici, for good, once the client is busy: `AUTO_IN_FLIGHT` requests in
 * flight at once, or `AUTO_PER_SECOND` requests within one second. undici is 1.2–1.9× faster per
 * request (docs/decisions.md), which matters only when requests come quickly.
 * @module
 */

import type { HttpStack, Wire, WireOptions, WireRequest, WireResponse, WireText } from './wire.js'
import { NodeWire } from './wire-node.js'
import { UndiciWire } from './wire-undici.js'

/** @internal In-flight requests at which `auto` moves to undici. */
export const AUTO_IN_FLIGHT = 8
/** @internal Requests started within one second at which `auto` moves to undici. */
export const AUTO_PER_SECOND = 20

/** @internal */
export class AutoWire implements Wire {
  readonly #node: NodeWire
  readonly #undici: UndiciWire
  #inFlight = 0
  #second = 0
  #inSecond = 0
  #switched = false
  #switching = false

  constructor(opts: WireOptions) {
    this.#node = new NodeWire(opts)
    this.#undici = new UndiciWire(opts)
  }

  request(req: WireRequest): Promise<WireResponse> {
    return this.#switched ? this.#undici.request(req) : this.#onNode(() => this.#node.request(req))
  }

  requestText(req: WireRequest): Promise<WireText> {
    return this.#switched ? this.#undici.requestText(req) : this.#onNode(() => this.#node.requestText(req))
  }

  async #onNode<T>(send: () => Promise<T>): Promise<T> {
    const second = Math.floor(Date.now() / 1000)
    if (second !== this.#second) {
      this.#second = second
      this.#inSecond = 0
    }
    this.#inFlight++
    this.#inSecond++
    const busy = this.#inFlight >= AUTO_IN_FLIGHT || this.#inSecond >= AUTO_PER_SECOND
    if (busy && !this.#switching) {
      this.#switching = true
      this.#undici.ready().then(
        () => {
          this.#switched = true
        },
        () => {
          this.#switching = false
        },
      )
    }
    try {
      return await send()
    } finally {
      this.#inFlight--
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#node.close(), this.#undici.close()])
  }
}

/** @internal The wire for an `http` option. */
export function createWire(stack: HttpStack, opts: WireOptions): Wire {
  if (stack === 'node') return new NodeWire(opts)
  if (stack === 'undici') return new UndiciWire(opts)
  return new AutoWire(opts)
}
