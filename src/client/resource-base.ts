/**
 * Shared pieces of the endpoint groups: the `Requester` primitive and small helpers.
 * @module
 */

import type { Readable } from 'node:stream'
import type { RequestOptions } from './transport.js'
/** The one primitive every group is built on. */
export interface Requester {
  request<T>(method: string, path: string, opts?: RequestOptions): Promise<T>
  stream(method: string, path: string, opts?: RequestOptions): Promise<{ body: Readable }>
  /** Post to an absolute URL outside /api/v4 (incoming webhooks). */
  postAbsolute(url: string, body: unknown): Promise<string>
  readonly baseUrl: string
}

export const enc = encodeURIComponent
export type Opts = { signal?: AbortSignal }
export const o = (opts?: Opts): RequestOptions => (opts?.signal ? { signal: opts.signal } : {})

/** Page parameters: `perPage` is capped by the server at 200. */
export interface PageParams {
  page?: number
  perPage?: number
}
