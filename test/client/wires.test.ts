import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { AbortError, AuthError, Client, TimeoutError } from '../../src/index.js'

let emu: Emulator
let slow: Server
let slowUrl: string
beforeAll(async () => {
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
      // the slow server answers after 2 s: with a 0 timeout the call waits for it
      await expect(c.request('GET', '/users/me')).resolves.toBe('{}')
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
})
