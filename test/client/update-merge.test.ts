import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client } from '../../src/realtime/client.js'

// The real server's PUT /commands/{id} and PUT /hooks/*/{id} replace the whole object (they need
// team_id / channel_id and the rest). The emulator is lenient here, so this small server records
// what the client sends instead.
const stored = {
  command: {
    id: 'c'.repeat(26),
    team_id: 't'.repeat(26),
    trigger: 'deploy',
    url: 'http://old',
    method: 'P' as const,
  },
  hook: { id: 'h'.repeat(26), channel_id: 'x'.repeat(26), display_name: 'old', description: 'keep me' },
}
const puts: Array<{ url: string; body: Record<string, unknown> }> = []
const read = (req: IncomingMessage): Promise<string> =>
  new Promise(r => {
    let s = ''
    req.on('data', c => (s += c))
    req.on('end', () => r(s))
  })
const server = createServer(async (req, res) => {
  const body = await read(req)
  res.setHeader('content-type', 'application/json')
  if (req.method === 'PUT') {
    const parsed = JSON.parse(body) as Record<string, unknown>
    puts.push({ url: req.url ?? '', body: parsed })
    res.end(JSON.stringify(parsed))
  } else if (req.url?.startsWith('/api/v4/commands/')) res.end(JSON.stringify(stored.command))
  else if (req.url?.startsWith('/api/v4/hooks/incoming/')) res.end(JSON.stringify(stored.hook))
  else res.end(JSON.stringify({ status: 'OK' }))
})
let mm: Client
beforeAll(async () => {
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  mm = new Client({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token: 'tok',
    verifyServer: false,
  })
})
afterAll(async () => {
  await mm.close()
  server.close()
})

describe('partial updates send the whole object', () => {
  it('commands.update merges a partial patch into the current command', async () => {
    puts.length = 0
    await mm.commands.update(stored.command.id, { url: 'http://new' })
    expect(puts[0]?.body).toEqual({ ...stored.command, url: 'http://new' })
  })
  it('commands.update sends a full command as given', async () => {
    puts.length = 0
    await mm.commands.update(stored.command.id, { ...stored.command, trigger: 'ship' })
    expect(puts[0]?.body).toEqual({ ...stored.command, trigger: 'ship' })
  })
  it('webhooks.incoming.update merges a partial patch into the current hook', async () => {
    puts.length = 0
    await mm.webhooks.incoming.update(stored.hook.id, { display_name: 'new' })
    expect(puts[0]?.body).toEqual({ ...stored.hook, display_name: 'new' })
  })
})
