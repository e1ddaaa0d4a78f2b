import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

// Imports point one way: cli → bot → http/realtime → client → core; emulator stands apart.
const ALLOWED: Record<string, string[]> = {
  core: ['core'],
  types: ['types'],
  client: ['client', 'core', 'types'],
  realtime: ['realtime', 'client', 'core', 'types'],
  http: ['http', 'client', 'core', 'types'],
  bot: ['bot', 'http', 'realtime', 'client', 'core', 'types'],
  emulator: ['emulator', 'types'],
  testing: ['testing', 'emulator', 'types', 'core', 'client', 'realtime'],
  cli: ['cli', 'bot', 'http', 'realtime', 'client', 'core', 'types', 'emulator', 'testing'],
}

const SRC = join(import.meta.dirname, '../../src')

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap(f => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : []
  })
}

describe('import direction', () => {
  it('no layer imports upward or across into the emulator', () => {
    const violations: string[] = []
    for (const file of walk(SRC)) {
      const rel = relative(SRC, file)
      const layer = rel.includes('/') ? rel.split('/')[0]! : 'root'
      if (layer === 'root') continue
      const allowed = ALLOWED[layer]
      expect(allowed, `unknown layer ${layer}`).toBeDefined()
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
        const target = relative(SRC, join(file, '..', m[1]!))
        const targetLayer = target.split('/')[0]!
        if (!allowed!.includes(targetLayer)) violations.push(`${rel} → ${target}`)
      }
    }
    expect(violations).toEqual([])
  })

  it('no source imports the package by name (that would bypass the layer rules)', () => {
    const violations: string[] = []
    for (const file of walk(SRC)) {
      const text = readFileSync(file, 'utf8')
      // Statements only (TSDoc `@example`s do import 'matterkit'): lines that start with import/export.
      const re =
        /^\s*(?:import|export)\b[^\n]*?(?:from\s*|import\s*\(\s*|import\s+)'(matterkit(?:\/[^']*)?)'/gm
      for (const m of text.matchAll(re)) violations.push(`${relative(SRC, file)} → ${m[1]}`)
    }
    expect(violations).toEqual([])
  })
})
