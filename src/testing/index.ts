/**
 * `matterkit/testing`: a test harness for bots, built on the emulator.
 *
 * @example
 * ```ts
 * import { startTestServer } from 'matterkit/testing'
 * await using t = await startTestServer()
 * await t.post('townSquare', 'ping')
 * await t.waitForPost({ user: 'bot', text: 'pong' })
 * ```
 * @module
 */
export { TestTimeoutError } from './errors.js'
export {
  type ActOptions,
  type OpenedDialog,
  type PostOptions,
  startTestServer,
  type TestServer,
  type TestServerOptions,
  type UserRef,
  type WaitOptions,
} from './harness.js'
export type { PostMatch, PostPredicate } from './match.js'
