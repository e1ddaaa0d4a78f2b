import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'

let emu: Emulator
let url = ''
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': req.url === '/json' ? 'application/json' : 'text/plain' })
  res.end()
})
beforeAll(async () => {
  emu = await startEmulator()
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.close()
  await emu.stop()
})

async function call(
  path: string,
  token: string,
  body: unknown,
): Promise<{ status: number; json: { id?: string } }> {
  const res = await fetch(`${emu.url}/api/v4${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json()) as { id?: string } }
}

it('an empty JSON command response fails like on the real server; an empty text/plain one is fine', async () => {
  const admin = emu.seed.users.admin.token
  for (const [trigger, path] of [
    ['emptyjson', '/json'],
    ['emptytext', '/text'],
  ]) {
    expect(
      (await call('/commands', admin, { team_id: emu.seed.team.id, trigger, url: url + path, method: 'P' }))
        .status,
    ).toBe(201)
  }
  const ch = emu.seed.channels.townSquare.id
  const bad = await call('/commands/execute', emu.seed.users.alice.token, {
    channel_id: ch,
    command: '/emptyjson',
  })
  expect(bad.status).toBe(500)
  expect(bad.json.id).toBe('api.command.execute_command.failed_empty.app_error')
  const ok = await call('/commands/execute', emu.seed.users.alice.token, {
    channel_id: ch,
    command: '/emptytext',
  })
  expect(ok.status).toBe(200)
})
