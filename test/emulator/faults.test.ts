import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { api } from './helpers.js'

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator()
})
afterEach(() => emu.faults.reset())
afterAll(() => emu.stop())

describe('REST faults', () => {
  it('failNext(n, 429): plain-text 429 with the real headers, then normal service', async () => {
    emu.faults.failNext(2, 429, { retryAfterSec: 3 })
    for (let i = 0; i < 2; i++) {
      const r = await api(emu, emu.seed.users.bot.token, 'GET', '/api/v4/users/me')
      expect(r.status).toBe(429)
      expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(r.text).toBe('limit exceeded\n')
      expect(r.headers.get('retry-after')).toBe('3')
      expect(r.headers.get('x-ratelimit-limit')).toBe('101')
      expect(r.headers.get('x-ratelimit-remaining')).toBe('0')
    }
    expect((await api(emu, emu.seed.users.bot.token, 'GET', '/api/v4/users/me')).status).toBe(200)
  })

  it('failNext(n, 503, { path }): AppError JSON only for matching paths', async () => {
    emu.faults.failNext(1, 503, { path: /\/posts$/ })
    expect((await api(emu, emu.seed.users.bot.token, 'GET', '/api/v4/users/me')).status).toBe(200)
    const r = await api(emu, emu.seed.users.bot.token, 'POST', '/api/v4/posts', {
      channel_id: emu.seed.channels.townSquare.id,
      message: 'x',
    })
    expect(r.status).toBe(503)
    expect(r.headers.get('content-type')).toBe('application/json')
    expect(r.body).toMatchObject({ id: 'api.context.server_busy.app_error', status_code: 503 })
    const again = await api(emu, emu.seed.users.bot.token, 'POST', '/api/v4/posts', {
      channel_id: emu.seed.channels.townSquare.id,
      message: 'x',
    })
    expect(again.status).toBe(201)
  })

  it('slow(ms) delays every response until reset', async () => {
    emu.faults.slow(150)
    const t0 = Date.now()
    expect((await api(emu, undefined, 'GET', '/api/v4/system/ping')).status).toBe(200)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140)
  })
})

describe('rate limiting', () => {
  it('GCRA with burst: X-RateLimit-* on every response, plain-text 429 with Retry-After beyond it', async () => {
    const limited = await startEmulator({ rateLimit: { perSecond: 1, burst: 3 } })
    try {
      const seen: number[] = []
      let last: Awaited<ReturnType<typeof api>> | undefined
      for (let i = 0; i < 6; i++) {
        last = await api(limited, limited.seed.users.bot.token, 'GET', '/api/v4/users/me')
        seen.push(last.status)
        expect(last.headers.get('x-ratelimit-limit')).toBe('4')
        expect(last.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/)
      }
      expect(seen.slice(0, 4)).toEqual([200, 200, 200, 200])
      expect(seen.slice(4)).toEqual([429, 429])
      expect(last!.text).toBe('limit exceeded\n')
      expect(last!.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      // the whole handler tree is limited: hooks and the websocket upgrade too
      const hook = await api(limited, undefined, 'POST', `/hooks/${'a'.repeat(26)}`, { text: 'x' })
      expect(hook.status).toBe(429)
    } finally {
      await limited.stop()
    }
  })

  it('varyByUser keys the limit by token', async () => {
    const limited = await startEmulator({ rateLimit: { perSecond: 1, burst: 1, varyByUser: true } })
    try {
      const { alice, bob } = limited.seed.users
      const a = [] as number[]
      for (let i = 0; i < 3; i++) a.push((await api(limited, alice.token, 'GET', '/api/v4/users/me')).status)
      expect(a).toEqual([200, 200, 429])
      expect((await api(limited, bob.token, 'GET', '/api/v4/users/me')).status).toBe(200)
    } finally {
      await limited.stop()
    }
  })
})

describe('log option', () => {
  it('one line per request, path only: no tokens, no query strings', async () => {
    const lines: string[] = []
    const logged = await startEmulator({ log: l => lines.push(l) })
    try {
      const token = logged.seed.users.bot.token
      await api(logged, token, 'GET', '/api/v4/users/me?access_token=secretvalue')
      await api(logged, token, 'GET', '/api/v4/nope')
      await new Promise(r => setTimeout(r, 20))
      expect(lines.some(l => /^GET \/api\/v4\/nope 404 \d+ms$/.test(l))).toBe(true)
      expect(lines.some(l => /^GET \/api\/v4\/users\/me 200 \d+ms$/.test(l))).toBe(true)
      expect(lines.join('\n')).not.toContain(token)
      expect(lines.join('\n')).not.toContain('secretvalue')
    } finally {
      await logged.stop()
    }
  })
})
