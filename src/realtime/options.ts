/**
 * Public types of the realtime client: options, states, events, and its closing error.
 * @module
 */
import { MatterkitError } from '../core/errors.js'
import type { ResyncInfo } from './backfill.js'
import type { RealtimeEvent, RealtimeEventMap } from './events.js'
import type { ResumeStore } from './resume-store.js'

/** Connection state. */
export type RealtimeState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'

/** Options of {@link RealtimeClient}. */
export interface RealtimeOptions {
  /**
   * Where resume state is kept: memory (the default), a JSON file path (written atomically, so a
   * restarted process resumes too), or your own {@link ResumeStore}.
   */
  resumeStore?: ResumeStore | string
  /** REST backfill after a lost resume (default true). */
  backfill?: boolean | { maxChannels?: number; maxPostsPerChannel?: number }
  /** App-level ping interval (default 30 000 ms). */
  pingIntervalMs?: number
  /** A ping unanswered for this long means the link is dead (default 10 000 ms). */
  pingTimeoutMs?: number
  /** Reconnect backoff (full jitter). */
  backoff?: { initialMs?: number; maxMs?: number }
  /** Timeout of actions awaiting a reply (default 10 000 ms). */
  actionTimeoutMs?: number
  /**
   * How long `connect()` waits for the stream to open (a valid `hello`, or a resume) before it
   * rejects with `TimeoutError` and the client closes (default 30 000 ms). Later reconnects,
   * once open, are retried for ever.
   */
  connectTimeoutMs?: number
}

/** Events of a {@link RealtimeClient}. */
export type RealtimeClientEvents = { [K in keyof RealtimeEventMap]: [RealtimeEventMap[K]] } & {
  event: [RealtimeEvent]
  state: [RealtimeState]
  resynced: [ResyncInfo]
  error: [Error]
}

/** The realtime connection closed for good (bad token, or `close()`). */
export class RealtimeClosedError extends MatterkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MK_ERR_REALTIME_CLOSED', message, options)
  }
}
