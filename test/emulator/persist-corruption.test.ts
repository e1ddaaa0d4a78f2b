/**
 * A damaged `persist` directory stops start-up with a CorruptStateError that names the file and
 * where, and leaves the file as it was; nothing is dropped, compacted or seeded anew (issue 13;
 * adversary report D9). The one exception is a journal's torn last line: cut, kept beside it, and
 * reported.
 */

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CorruptStateError, startEmulator } from '../../src/emulator/index.js'
import { api } from './helpers.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const FILES = { sqlite: 'state.sqlite', journal: 'state.journal' } as const

/** A directory holding a seed and `n` posts, written by a clean stop. */
async function made(
  using: 'sqlite' | 'journal',
  n: number,
): Promise<{ dir: string; file: string; ids: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), `mk-emu-corrupt-${using}-`))
  dirs.push(dir)
  const emu = await startEmulator({ persist: dir, persistWith: using })
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const r = await api(emu, emu.seed.users.bot.token, 'POST', '/api/v4/posts', {
      channel_id: emu.seed.channels.townSquare.id,
      message: `post ${i} ${'x'.repeat(1000)}`,
    })
    ids.push(r.body.id)
  }
  await emu.stop()
  return { dir, file: join(dir, FILES[using]), ids }
}

/** Start on `dir`, expect a CorruptStateError, and check that the directory is as it was. */
async function refused(dir: string, using: 'sqlite' | 'journal'): Promise<CorruptStateError> {
  const file = join(dir, FILES[using])
  const before = readFileSync(file)
  const listing = readdirSync(dir)
  const err = await startEmulator({ persist: dir, persistWith: using }).then(
    emu => {
      void emu.stop()
      throw new Error('the emulator started on damaged state')
    },
    (e: unknown) => e,
  )
  if (process.env.SHOW_ERRORS) console.log(String(err))
  expect(err).toBeInstanceOf(CorruptStateError)
  const e = err as CorruptStateError
  expect(e.code).toBe('MK_ERR_CORRUPT_STATE')
  expect(e.file).toBe(file)
  expect(e.message).toContain(file)
  expect(e.message).toMatch(/changed nothing: move the file .* away to start fresh, or restore a backup/)
  expect(readFileSync(file).equals(before)).toBe(true)
  expect(readdirSync(dir)).toEqual(listing)
  return e
}

describe('journal', () => {
  it('garbage in the middle: refused, naming the first damaged line and its byte offset', async () => {
    const { dir, file } = await made('journal', 30)
    const bytes = readFileSync(file)
    const start = Math.floor(bytes.length / 2)
    bytes.fill('#', start, start + 1024)
    writeFileSync(file, bytes)
    const lineStart = bytes.lastIndexOf(10, start - 1) + 1
    const line = bytes.subarray(0, lineStart).filter(b => b === 10).length + 1
    const e = await refused(dir, 'journal')
    expect({ line: e.line, offset: e.offset }).toEqual({ line, offset: lineStart })
    expect(e.message).toContain(`line ${line}, byte ${lineStart}`)
  })

  it('a damaged seed line: refused, no second seed', async () => {
    const { dir, file } = await made('journal', 3)
    const text = readFileSync(file, 'utf8')
    const at = text.indexOf('["meta","seed"')
    expect(at).toBeGreaterThanOrEqual(0)
    writeFileSync(file, `${text.slice(0, at + 20)}\u0000\u0000${text.slice(at + 22)}`)
    const e = await refused(dir, 'journal')
    expect(e.offset).toBe(at)
  })

  it('a row whose value is not JSON (the line itself is): refused', async () => {
    const { dir, file } = await made('journal', 3)
    const text = readFileSync(file, 'utf8')
    // drop one escaped quote inside the seed's value: the line still parses, the value does not
    const at = text.indexOf('\\"team\\"')
    writeFileSync(file, text.slice(0, at) + text.slice(at + 2))
    const e = await refused(dir, 'journal')
    expect(e.message).toMatch(/row value is not valid JSON/)
  })

  it('the seed row missing: refused rather than seeded again', async () => {
    const { dir, file } = await made('journal', 3)
    const lines = readFileSync(file, 'utf8').split('\n')
    writeFileSync(file, lines.filter(l => !l.startsWith('["meta","seed"')).join('\n'))
    const e = await refused(dir, 'journal')
    expect(e.message).toMatch(/no seed row/)
  })

  it('a torn last line (cut mid-line): cut with a warning, its bytes kept, every complete line loaded', async () => {
    const { dir, file, ids } = await made('journal', 30)
    const original = readFileSync(file)
    const cut = Math.floor(original.length * 0.6)
    const lineStart = original.lastIndexOf(10, cut - 1) + 1
    writeFileSync(file, original.subarray(0, cut))
    const warnings: string[] = []
    const emu = await startEmulator({ persist: dir, persistWith: 'journal', log: l => warnings.push(l) })
    try {
      const torn = join(dir, `state.journal.torn-${lineStart}`)
      expect(warnings.join('\n')).toContain(`byte ${lineStart}`)
      expect(warnings.join('\n')).toContain(torn)
      expect(readFileSync(torn).equals(original.subarray(lineStart, cut))).toBe(true)
      // the journal is the original's complete lines, not compacted or otherwise rewritten
      expect(readFileSync(file).equals(original.subarray(0, lineStart))).toBe(true)
      const kept = original.subarray(0, lineStart).toString()
      const present = await api(emu, emu.seed.users.bot.token, 'POST', '/api/v4/posts/ids', ids)
      const expected = ids.filter(id => kept.includes(`["post","${id}"`))
      expect(expected.length).toBeGreaterThan(0)
      expect((present.body as Array<{ id: string }>).map(p => p.id).sort()).toEqual(expected.sort())
    } finally {
      await emu.stop()
    }
  })
})

describe('sqlite', () => {
  it('8 KB of garbage in the middle: refused', async () => {
    const { dir, file } = await made('sqlite', 40)
    const bytes = readFileSync(file)
    expect(bytes.length).toBeGreaterThan(16_384)
    const start = Math.floor(bytes.length / 2)
    for (let i = start; i < start + 8192 && i < bytes.length; i++) bytes[i] = (i * 7919) & 255
    writeFileSync(file, bytes)
    expect((await refused(dir, 'sqlite')).message).toMatch(/SQLite/)
  })

  it('truncated to half: refused', async () => {
    const { dir, file } = await made('sqlite', 40)
    const bytes = readFileSync(file)
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)))
    await refused(dir, 'sqlite')
  })

  it('not a database: refused', async () => {
    const { dir, file } = await made('sqlite', 3)
    writeFileSync(file, Buffer.alloc(8192, 'not a database '))
    expect((await refused(dir, 'sqlite')).message).toMatch(/not a database/)
  })

  it('a row whose value is not JSON: refused, naming the row', async () => {
    const { dir, file } = await made('sqlite', 3)
    type Db = {
      prepare(sql: string): { run(...a: unknown[]): unknown }
      close(): void
    }
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => Db
    const db = new Database(file)
    db.prepare("UPDATE rows SET value = '{broken' WHERE kind = 'meta' AND key = 'seed'").run()
    db.close()
    expect(existsSync(`${file}-wal`)).toBe(false)
    const e = await refused(dir, 'sqlite')
    expect(e.message).toContain('(row meta seed)')
  })
})
