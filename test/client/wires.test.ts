import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { AbortError, AuthError, Client, NetworkError, TimeoutError } from '../../src/index.js'

let emu: Emulator
let slow: Server
let slowUrl: string
let odd: Server
let oddUrl: string
let oddSockets = 0
beforeAll(async () => {
  // A loopback server with the awkward answers: a body cut after the headers, a big body in
  // many chunks, repeated headers, and keep-alive sockets it closes right after answering.
  odd = createServer((req, res) => {
    const path = req.url ?? ''
    if (path.endsWith('/system/ping')) {
      res.setHeader('content-type', 'application/json')
      res.end('{"status":"OK"}')
    } else if (path.endsWith('/cut')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
      res.write('{"partial":')
      setTimeout(() => res.socket?.destroy(), 20)
    } else if (path.endsWith('/big')) {
      res.writeHead(200, { 'content-type': 'application/json' })
      const items = Array.from({ length: 20_000 }, (_, i) => ({ i, s: 'é✓'.repeat(3) }))
      const text = JSON.stringify(items)
      // written in pieces that split multi-byte characters
      const bytes = Buffer.from(text)
      for (let at = 0; at < bytes.length; at += 4093) res.write(bytes.subarray(at, at + 4093))
      res.end()
    } else if (path.endsWith('/cookies')) {
      res.setHeader('set-cookie', ['a=1', 'b=2'])
      res.setHeader('content-type', 'application/json')
      res.end('{"ok":true}')
    } else if (path.endsWith('/close-after')) {
      res.setHeader('content-type', 'application/json')
      res.end('{"ok":true}', () => setTimeout(() => res.socket?.destroy(), 10))
    } else {
      res.statusCode = 404
      res.end()
    }
  })
  odd.on('connection', () => {
    oddSockets++
  })
  await new Promise<void>(r => odd.listen(0, '127.0.0.1', r))
  oddUrl = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`

  emu = await startEmulator()
  // A loopback server that answers /system/ping at once and everything else after 2 s.
  slow = createServer((req, res) => {
    if (req.url?.endsWith('/system/ping')) {
      res.setHeader('content-type', 'application/json')
      res.end('{"status":"OK"}')
      return
    }
    const t = setTimeout(() => res.end('{}'), 2000)
    res.on('close', () => clearTimeout(t))
  })
  await new Promise<void>(r => slow.listen(0, '127.0.0.1', r))
  slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`
})
afterAll(async () => {
  odd.closeAllConnections()
  await new Promise(r => odd.close(r))
  slow.closeAllConnections()
  await new Promise(r => slow.close(r))
  await emu.stop()
})

describe.each(['node', 'undici', 'auto'] as const)('http: %s', http => {
  const client = (token = emu.seed.users.bot.token) => new Client({ url: emu.url, token, http })

  it('me, create post', async () => {
    const c = client()
    try {
      expect((await c.users.me()).username).toBe('matterbot')
      const post = await c.posts.create({
        channel_id: emu.seed.channels.townSquare.id,
        message: `hi ${http}`,
      })
      expect(post.message).toBe(`hi ${http}`)
      expect((await c.posts.get(post.id)).id).toBe(post.id)
    } finally {
      await c.close()
    }
  })

  it('streaming upload and download', async () => {
    const c = client()
    try {
      const channel_id = emu.seed.channels.townSquare.id
      const payload = Buffer.alloc(300_000, 7)
      const [info] = await c.files.upload(channel_id, [
        { name: 'a.bin', data: Readable.from([payload.subarray(0, 100_000), payload.subarray(100_000)]) },
      ])
      const chunks: Buffer[] = []
      for await (const ch of await c.files.download(info!.id)) chunks.push(ch as Buffer)
      expect(Buffer.concat(chunks).equals(payload)).toBe(true)
      const [raw] = [await c.files.uploadRaw(channel_id, 'r.bin', Buffer.from([1, 2, 3]))]
      expect(raw).toBeTruthy()
    } finally {
      await c.close()
    }
  })

  it('401 → AuthError', async () => {
    const c = client('not-a-token')
    try {
      await expect(c.users.me()).rejects.toBeInstanceOf(AuthError)
    } finally {
      await c.close()
    }
  })

  it('timeout → TimeoutError; AbortSignal → AbortError', async () => {
    const c = new Client({ url: slowUrl, token: 't', http, timeoutMs: 200, retry: false })
    try {
      await expect(c.request('GET', '/users/me')).rejects.toBeInstanceOf(TimeoutError)
      const ac = new AbortController()
      setTimeout(() => ac.abort(), 50)
      await expect(
        c.request('GET', '/users/me', { signal: ac.signal, timeoutMs: 5000 }),
      ).rejects.toBeInstanceOf(AbortError)
      // the client still works after both
      await expect(c.system.ping()).resolves.toBeTruthy()
    } finally {
      await c.close()
    }
  })

  it('timeoutMs: 0 turns the timeout off', async () => {
    const c = new Client({ url: slowUrl, token: 't', http, timeoutMs: 0, retry: false })
    try {
      // the slow server answers after 2 s: with a 0 timeout the call waits for it (its '{}' has
      // no content type, and a JSON body is read as JSON whatever its label)
      await expect(c.request('GET', '/users/me')).resolves.toEqual({})
    } finally {
      await c.close()
    }
  }, 10_000)

  it('commands.update merges a partial patch onto the full command', async () => {
    const c = new Client({
      url: emu.url,
      token: emu.seed.users.admin?.token ?? emu.seed.users.bot.token,
      http,
    })
    try {
      const [team] = await c.teams.forUser()
      const cmd = await c.commands.create({
        team_id: team!.id,
        trigger: `upd${http}`,
        url: 'http://127.0.0.1:9/hook',
      })
      const updated = await c.commands.update(cmd.id, { description: 'patched' })
      expect(updated.description).toBe('patched')
      expect(updated.trigger).toBe(`upd${http}`)
      expect(updated.url).toBe('http://127.0.0.1:9/hook')
      const again = await c.commands.update(cmd.id, { ...updated, display_name: 'full' })
      expect(again.display_name).toBe('full')
    } finally {
      await c.close()
    }
  })

  it('a body cut after the headers → NetworkError; big bodies in many chunks decode whole', async () => {
    const c = new Client({ url: oddUrl, token: 't', http, retry: false })
    try {
      const err = (await c.request('GET', '/cut').catch((e: unknown) => e)) as Error
      expect(err).toBeInstanceOf(NetworkError)
      expect(String(err.message)).toMatch(/reading the response/)
      const big = await c.request<Array<{ i: number; s: string }>>('GET', '/big')
      expect(big).toHaveLength(20_000)
      expect(big[19_999]).toEqual({ i: 19_999, s: 'é✓é✓é✓' })
      const full = await c.requestFull('GET', '/cookies')
      expect(full.headers['set-cookie']).toEqual(['a=1', 'b=2'])
      expect(full.data).toEqual({ ok: true })
    } finally {
      await c.close()
    }
  })

  it('an idempotent call on a keep-alive socket the server closed is sent again', async () => {
    const c = new Client({ url: oddUrl, token: 't', http, retry: false })
    try {
      for (let i = 0; i < 5; i++) {
        await expect(c.request('GET', '/close-after')).resolves.toEqual({ ok: true })
        await new Promise(r => setTimeout(r, 30))
      }
    } finally {
      await c.close()
    }
  })

  it('an AbortSignal already aborted rejects with AbortError and sends nothing', async () => {
    const c = new Client({ url: oddUrl, token: 't', http, retry: false })
    try {
      await c.request('GET', '/cookies')
      await new Promise(r => setTimeout(r, 20))
      const before = oddSockets
      await expect(c.request('GET', '/big', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
        AbortError,
      )
      expect(oddSockets).toBe(before)
    } finally {
      await c.close()
    }
  })
})

describe("http: 'auto'", () => {
  it('starts on node:http and moves to undici for good once many requests are in flight', async () => {
    // The stack shows in the raw header order: undici writes `host` first, node:http last.
    const seen: string[] = []
    const server = createServer((req, res) => {
      if (!req.url?.endsWith('/system/ping')) seen.push(req.rawHeaders[0] === 'host' ? 'undici' : 'node')
      res.setHeader('content-type', 'application/json')
      res.end(req.url?.endsWith('/system/ping') ? '{"status":"OK"}' : '{}')
    })
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
    const c = new Client({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token: 't',
      http: 'auto',
    })
    try {
      await c.request('GET', '/one')
      expect(seen).toEqual(['node'])
      await Promise.all(Array.from({ length: 16 }, () => c.request('GET', '/burst')))
      seen.length = 0
      await c.request('GET', '/after')
      await c.request('GET', '/after')
      expect(seen).toEqual(['undici', 'undici'])
    } finally {
      await c.close()
      server.closeAllConnections()
      await new Promise(r => server.close(r))
    }
  })
})
