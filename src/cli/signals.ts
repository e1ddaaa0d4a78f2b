/**
 * The stop signals a long-running subcommand (`emulator`, `dev`, `listen`) waits for.
 * @module
 */

/**
 * Resolves on Ctrl-C (SIGINT) or SIGTERM (docker stop, systemd), so the caller can shut down
 * cleanly; aborting `signal` removes the listeners (and resolves) when the caller ends first.
 */
export function untilStopSignal(signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const done = (): void => {
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
    signal?.addEventListener('abort', done, { once: true })
  })
}
