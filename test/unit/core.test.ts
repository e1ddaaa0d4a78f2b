import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { consoleLogger } from '../../src/core/logger.js'
import { REDACTED, redact, redactString, SecretRegistry } from '../../src/core/redact.js'
import { backoffDelay, parseDuration, sleep } from '../../src/core/time.js'
import { normaliseServerUrl } from '../../src/core/url.js'
import { ConfigError, MatterkitError } from '../../src/index.js'

describe('normaliseServerUrl', () => {
  it('adds https, strips slashes, keeps subpaths, maps ws', () => {
    expect(normaliseServerUrl('chat.example.com/').api).toBe('https://chat.example.com/api/v4')
    expect(normaliseServerUrl('http://h:8065/mm//').websocket).toBe('ws://h:8065/mm/api/v4/websocket')
    expect(normaliseServerUrl('https://h/mm/api/v4/').base).toBe('https://h/mm')
    expect(normaliseServerUrl('wss://h/').base).toBe('https://h')
  })
  it('rejects empty, bad schemes and credentials with a ConfigError', () => {
    expect(() => normaliseServerUrl('')).toThrow(ConfigError)
    expect(() => normaliseServerUrl('ftp://x')).toThrow(/Unsupported URL scheme/)
    expect(() => normaliseServerUrl('https://u:p@h')).toThrow(/credentials/)
  })
})

describe('redaction', () => {
  it('redacts secret keys deeply and known values anywhere', () => {
    const reg = new SecretRegistry()
    reg.add('s3cr3t-token-value')
    const out = redact(
      {
        headers: { Authorization: 'Bearer abc', 'X-Other': 'x s3cr3t-token-value y' },
        password: 'pw',
        ok: 1,
      },
      reg,
    )
    expect(out).toEqual({
      headers: { Authorization: REDACTED, 'X-Other': `x ${REDACTED} y` },
      password: REDACTED,
      ok: 1,
    })
    expect(redactString('GET /x?access_token=abcdef&y=1', reg)).toBe(`GET /x?access_token=${REDACTED}&y=1`)
    expect(redactString('Authorization: Bearer abcdefghijklmnop', reg)).not.toContain('abcdefghijklmnop')
  })
  it('console logger never prints secrets', () => {
    const lines: string[] = []
    const log = consoleLogger('debug', l => lines.push(l))
    log.debug({ token: 'zzzzzzzzzzzz', body: '{"password":"hunter22"}' }, 'login')
    expect(lines.join('\n')).not.toMatch(/zzzzzzzzzzzz|hunter22/)
  })
  it('console logger shows a plain error under err by its name and message', () => {
    const lines: string[] = []
    consoleLogger('warn', l => lines.push(l)).warn({ err: new TypeError('model went away') }, 'stream ended')
    expect(lines[0]).toContain('"err":{"name":"TypeError","message":"model went away"}')
  })
})

describe('errors', () => {
  it('has a code, a name and a safe JSON form', () => {
    const e = new ConfigError('bad')
    expect(e).toBeInstanceOf(MatterkitError)
    expect(e.code).toBe('MK_ERR_INVALID_CONFIG')
    expect(e.name).toBe('ConfigError')
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({ code: 'MK_ERR_INVALID_CONFIG', message: 'bad' })
    expect(inspect(e)).toContain('ConfigError')
  })
  it('instanceof survives a foreign copy via the brand', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('matterkit.error')]: true })
    expect(foreign instanceof MatterkitError).toBe(true)
    expect(new Error('y') instanceof MatterkitError).toBe(false)
  })
})

describe('time', () => {
  it('parses durations', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration(10)).toBe(10)
    expect(() => parseDuration('soon')).toThrow(/Invalid duration/)
  })
  it('backoff is capped and jittered', () => {
    expect(backoffDelay(10, { initialMs: 100, maxMs: 1000, jitter: 'none' })).toBe(1000)
    expect(backoffDelay(2, { initialMs: 100, jitter: 'full' }, () => 0.5)).toBe(200)
  })
  it('sleep aborts', async () => {
    const ac = new AbortController()
    const p = sleep(10_000, ac.signal)
    ac.abort()
    await expect(p).rejects.toMatchObject({ code: 'MK_ERR_ABORTED' })
  })
})

describe('every HTTP error class fixes its own code', () => {
  it('constructed from a message and the request, each carries its MK_ERR_ code', async () => {
    const e = await import('../../src/client/errors.js')
    const info = { method: 'GET', path: '/x', status: 0, serverId: '', requestId: '' }
    const table: Array<[new (m: string, i: typeof info) => { code: string }, string]> = [
      [e.BadRequestError, 'MK_ERR_BAD_REQUEST'],
      [e.AuthError, 'MK_ERR_UNAUTHORIZED'],
      [e.ForbiddenError, 'MK_ERR_FORBIDDEN'],
      [e.NotFoundError, 'MK_ERR_NOT_FOUND'],
      [e.PayloadTooLargeError, 'MK_ERR_PAYLOAD_TOO_LARGE'],
      [e.ServerError, 'MK_ERR_SERVER'],
      [e.NotImplementedError, 'MK_ERR_NOT_IMPLEMENTED'],
    ]
    for (const [Cls, code] of table) expect(new Cls('boom', info).code).toBe(code)
  })
})
