/**
 * Internal: how layers above the client (realtime) read the session token without it ever being
 * a property of the client object.
 * @module
 */
import type { Logger } from '../core/logger.js'
import type { ServerUrl } from '../core/url.js'

/** What the realtime layer needs from a client. */
export interface Credentials {
  token: string | undefined
  url: ServerUrl
  tls: { ca?: string | Buffer; rejectUnauthorized: boolean }
  userAgent: string
  logger: Logger
}

const store = new WeakMap<object, () => Credentials>()

/** @internal */
export function setCredentials(client: object, get: () => Credentials): void {
  store.set(client, get)
}

/** @internal Read a client's current credentials. */
export function getCredentials(client: object): Credentials {
  const get = store.get(client)
  if (!get) throw new TypeError('Not a matterkit Client')
  return get()
}
