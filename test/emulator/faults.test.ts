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
    // Behaviour, not a duration: a caller whose deadline is shorter than the delay gives up,
    // and after reset the same call with a generous deadline answers.
    emu.faults.slow(30_000)
    const ping = (ms: number) => fetch(`${emu.url}/api/v4/system/ping`, { signal: AbortSignal.timeout(ms) })
    await expect(ping(200)).rejects.toMatchObject({ name: 'TimeoutError' })
    emu.faults.reset()
    expect((await ping(10_000)).status).toBe(200)
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

describe('advanceClock', () => {
  it('the pending_post_id window (30 s) ends: the same pending id then makes a new post', async () => {
    const body = {
      channel_id: emu.seed.channels.townSquare.id,
      message: 'once',
      pending_post_id: 'clock-pending-id-1',
    }
    const bot = emu.seed.users.bot.token
    const a = (await api(emu, bot, 'POST', '/api/v4/posts', body)).body
    expect((await api(emu, bot, 'POST', '/api/v4/posts', body)).body.id).toBe(a.id)
    emu.faults.advanceClock(30_001)
    const b = (await api(emu, bot, 'POST', '/api/v4/posts', body)).body
    expect(b.id).not.toBe(a.id)
    expect(b.create_at).toBeGreaterThanOrEqual(a.create_at + 30_001) // timestamps follow the clock
  })

  it('an inactive connection resumes within 5 min, not after: then a new connection_id', async () => {
    const { default: WebSocket } = await import('ws')
    const token = emu.seed.users.alice.token
    const hello = (query = '') =>
      new Promise<{ ws: InstanceType<typeof WebSocket>; id: string }>((resolve, reject) => {
        const ws = new WebSocket(`${emu.url.replace('http', 'ws')}/api/v4/websocket${query}`, {
          headers: { Authorization: `Bearer ${token}` },
        })
        ws.once('message', raw => {
          const m = JSON.parse(String(raw)) as { event: string; data: { connection_id: string } }
          resolve({ ws, id: m.event === 'hello' ? m.data.connection_id : '' })
        })
        ws.once('error', reject)
      })
    const first = await hello()
    first.ws.terminate()
    await new Promise(r => setTimeout(r, 50))
    emu.faults.advanceClock(4 * 60_000)
    const resumed = await new Promise<{ ws: InstanceType<typeof WebSocket>; got: string }>(resolve => {
      const ws = new WebSocket(
        `${emu.url.replace('http', 'ws')}/api/v4/websocket?connection_id=${first.id}&sequence_number=1`,
        { headers: { Authorization: `Bearer ${token}` } },
      )
      let got = 'resumed'
      ws.on('message', raw => {
        if ((JSON.parse(String(raw)) as { event?: string }).event === 'hello') got = 'hello'
      })
      setTimeout(() => resolve({ ws, got }), 300)
    })
    expect(resumed.got).toBe('resumed') // a resume sends no new hello
    resumed.ws.terminate()
    await new Promise(r => setTimeout(r, 50))
    emu.faults.advanceClock(5 * 60_000 + 1)
    const fresh = await hello(`?connection_id=${first.id}&sequence_number=1`)
    expect(fresh.id).toMatch(/^[a-z0-9]{26}$/)
    expect(fresh.id).not.toBe(first.id)
    fresh.ws.terminate()
  })
})
