/**
 * `Client`: the Mattermost client users construct. It is the REST client plus `realtime()`, so
 * opening a stream needs no side-effect import, and the client layer stays free of the realtime one.
 * @module
 */
import { RestClient } from '../client/client.js'
import type { RealtimeOptions } from './options.js'
import { RealtimeClient } from './realtime.js'

/**
 * A Mattermost client: typed REST v4 resources and a lossless realtime stream.
 *
 * @example
 * ```ts
 * import { Client } from 'matterkit'
 * const mm = new Client({ url: 'chat.example.com', token: process.env.MATTERMOST_TOKEN })
 * const me = await mm.users.me()
 * const rt = mm.realtime()
 * rt.on('posted', ev => console.log(`${me.username} saw: ${ev.post.message}`))
 * await rt.connect()
 * ```
 */
export class Client extends RestClient {
  /**
   * Open a realtime event stream with this client's credentials (call `connect()` on it).
   *
   * @example
   * ```ts
   * const rt = mm.realtime({ resumeStore: new FileResumeStore('.matterkit/resume.json') })
   * for await (const ev of rt) console.log(ev.event)
   * ```
   */
  realtime(options?: RealtimeOptions): RealtimeClient {
    return new RealtimeClient(this, options)
  }
}
