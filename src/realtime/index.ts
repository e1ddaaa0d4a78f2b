/**
 * The realtime layer. Importing it adds `client.realtime()` to {@link Client}.
 * @module
 */
import { Client } from '../client/client.js'
import type { RealtimeOptions } from './options.js'
import { RealtimeClient } from './realtime.js'

declare module '../client/client.js' {
  interface Client {
    /**
     * Open a realtime event stream with this client's credentials.
     *
     * @example
     * ```ts
     * const rt = mm.realtime()
     * rt.on('posted', ev => console.log(ev.post.message))
     * await rt.connect()
     * ```
     */
    realtime(options?: RealtimeOptions): RealtimeClient
  }
}

Client.prototype.realtime = function realtime(this: Client, options?: RealtimeOptions): RealtimeClient {
  return new RealtimeClient(this, options)
}

export type { ResyncInfo } from './backfill.js'
export * from './events.js'
export * from './options.js'
export * from './realtime.js'
export * from './resume-store.js'
