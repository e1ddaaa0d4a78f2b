import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { AuthError } from '../../src/client/errors.js'
import { safeLogger } from '../../src/core/logger.js'
import { globalSecrets } from '../../src/core/redact.js'

// A real pino writing JSON lines into memory.
function capture(): { log: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      out.push(String(chunk))
      done()
    },
  })
  const log = pino({ level: 'debug' }, sink)
  return {
    log,
    lines: () =>
      out
        .join('')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map(l => JSON.parse(l)),
  }
}

describe('logging through pino', () => {
  it('logs errors under err as real errors (stack, code, status), still redacted', () => {
    const secret = 'xoxsecrettoken1234567890abcd'
    globalSecrets.add(secret)
    const { log, lines } = capture()
    const err = new AuthError(`token ${secret} is invalid`, {
      status: 401,
      serverId: 'api.context.session_expired.app_error',
      requestId: 'req123',
      method: 'GET',
      path: '/users/me',
    })
    safeLogger(log, { matterkit: 'client' }).error({ err }, 'call failed')
    const [rec] = lines()
    const e = rec!.err as Record<string, unknown>
    expect(e.type).toBe('AuthError')
    expect(typeof e.stack).toBe('string')
    expect(e.stack).toContain('AuthError')
    expect(e.code).toBe('MK_ERR_UNAUTHORIZED')
    expect(e.status).toBe(401)
    expect(e.serverId).toBe('api.context.session_expired.app_error')
    expect(e.requestId).toBe('req123')
    expect(JSON.stringify(rec)).not.toContain(secret)
    expect(rec!.matterkit).toBe('client')
  })

  it("child() uses the user's own child(), and matterkit's key leaves `component` to the user", () => {
    const { log, lines } = capture()
    const userLog = log.child({ component: 'payments' })
    const childSpy = vi.spyOn(userLog, 'child')
    safeLogger(userLog, { matterkit: 'bot' }).child?.({ channel: 'c1' }).info({ n: 1 }, 'hello')
    const [rec] = lines()
    expect(rec).toMatchObject({ component: 'payments', matterkit: 'bot', channel: 'c1', n: 1, msg: 'hello' })
    expect(childSpy).toHaveBeenCalledWith({ matterkit: 'bot', channel: 'c1' })
  })
})
