/**
 * Malformed percent-encoding in any path is a 4xx, never a 500: Go's net/http refuses a
 * request line whose path does not unescape with a plain 400 before any handler runs.
 */
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type Seeded, startSeeded } from './helpers.js'

let s: Seeded
beforeAll(async () => {
  s = await startSeeded()
})
afterAll(async () => {
  await s.emu.stop()
})

/** A raw request, so the path goes on the wire exactly as written (fetch would re-encode it). */
function raw(method: string, path: string, token?: string): Promise<{ status: number; text: string }> {
  const u = new URL(s.emu.url)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      },
      res => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', c => {
          text += c
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      },
    )
    req.on('error', reject)
    req.end(method === 'POST' ? '{}' : undefined)
  })
}

describe('broken percent-escapes', () => {
  const paths: Array<[string, string]> = [
    ['GET', '/api/v4/posts/%E0%A4%A'],
    ['GET', '/api/v4/users/%'],
    ['GET', '/api/v4/teams/%zz'],
    ['GET', '/api/v4/channels/%zz/posts'],
    ['POST', '/hooks/%zz'],
  ]
  for (const [method, path] of paths)
    it(`${method} ${path} → 4xx, and the emulator keeps serving`, async () => {
      const r = await raw(method, path, method === 'GET' ? s.alice : undefined)
      expect(r.status).toBeGreaterThanOrEqual(400)
      expect(r.status).toBeLessThan(500)
      expect((await api(s.emu, s.alice, 'GET', '/api/v4/users/me')).status).toBe(200)
    })

  it('an escape that is valid but not UTF-8 (%E0%A4) is a 4xx', async () => {
    const r = await raw('GET', '/api/v4/posts/%E0%A4', s.alice)
    expect(r.status).toBeGreaterThanOrEqual(400)
    expect(r.status).toBeLessThan(500)
  })
})
