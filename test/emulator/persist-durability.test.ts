/**
 * With `persist`, a 2xx means "on disk": kill -9 the emulator in the middle of a burst of
 * concurrent posts, restart it on the same directory, and every post that was answered 201 is
 * there (issue 13; adversary report D3).
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildChild, type ChildBuild, type ChildEmulator, startChild } from './child-emulator.js'

let build: ChildBuild
const dirs: string[] = []
beforeAll(async () => {
  build = await buildChild()
}, 60_000)
afterAll(() => {
  build?.remove()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** POST a JSON body; resolves with status and parsed body, rejects when the connection dies. */
function call(
  agent: Agent,
  emu: ChildEmulator,
  path: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const text = JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(
      `${emu.url}${path}`,
      {
        method: 'POST',
        agent,
        headers: {
          Authorization: `Bearer ${emu.seed.users.bot.token}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(text),
        },
      },
      res => {
        const parts: Buffer[] = []
        res.on('data', (b: Buffer) => parts.push(b))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString()) }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(text)
  })
}

/** `total` posts, `inFlight` at a time; SIGKILL the child at the `killAt`-th 201. The acked ids. */
async function burst(emu: ChildEmulator, total: number, inFlight: number, killAt: number): Promise<string[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight })
  const acked: string[] = []
  let next = 0
  let dead = false
  const worker = async (): Promise<void> => {
    while (next < total && !dead) {
      const i = next++
      try {
        const r = await call(agent, emu, '/api/v4/posts', {
          channel_id: emu.seed.channels.townSquare.id,
          message: `burst ${i}`,
        })
        if (r.status !== 201) throw new Error(`status ${r.status}`)
        // every 201 counts, also those read after the kill: the server sent them before it died
        acked.push((r.body as { id: string }).id)
        if (acked.length === killAt) {
          emu.child.kill('SIGKILL')
          dead = true
        }
      } catch (err) {
        if (!dead) throw err
      }
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  agent.destroy()
  await emu.exited
  return acked
}

describe.each(['sqlite', 'journal'] as const)('persist with %s: kill -9 during a burst', using => {
  it('loses no acknowledged post', async () => {
    const dir = mkdtempSync(join(tmpdir(), `mk-emu-durable-${using}-`))
    dirs.push(dir)
    const acked: string[] = []
    // two crashes in a row: the second also proves that a directory left by a kill restarts
    for (const killAt of [1200, 1800]) {
      const emu = await startChild(build, dir, using)
      acked.push(...(await burst(emu, 3000, 32, killAt)))
    }
    expect(acked.length).toBeGreaterThanOrEqual(3000)
    const emu = await startChild(build, dir, using)
    try {
      const agent = new Agent({ keepAlive: true })
      const present = new Set<string>()
      for (let i = 0; i < acked.length; i += 1000) {
        const r = await call(agent, emu, '/api/v4/posts/ids', acked.slice(i, i + 1000))
        for (const p of r.body as Array<{ id: string }>) present.add(p.id)
      }
      agent.destroy()
      const missing = acked.filter(id => !present.has(id))
      expect({ acked: acked.length, missing: missing.length }).toEqual({ acked: acked.length, missing: 0 })
    } finally {
      emu.child.kill('SIGTERM')
      await emu.exited
    }
  }, 60_000)
})
