import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as root from '../../src/index.js'

const SRC = join(import.meta.dirname, '../../src')
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap(f => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : []
  })

describe('the root export', () => {
  it('lists a small set of runtime values and no plumbing', () => {
    const names = Object.keys(root)
    expect(names.length).toBeLessThanOrEqual(32)
    for (const plumbing of [
      'KeyedQueue',
      'TypedEmitter',
      'sleep',
      'backoffDelay',
      'anySignal',
      'decodeEvent',
      'redact',
      'redactString',
      'SecretRegistry',
      'globalSecrets',
      'normaliseServerUrl',
      'settlesWithin',
      'parseCron',
    ])
      expect(names).not.toContain(plumbing)
  })

  it('names every export explicitly (no export *)', () => {
    expect(readFileSync(join(SRC, 'index.ts'), 'utf8')).not.toMatch(/export (type )?\*/)
  })

  it('gives Client.realtime() without patching a prototype', () => {
    const client = new root.Client({ url: 'http://127.0.0.1:9', token: 'x'.repeat(26) })
    expect(typeof client.realtime).toBe('function')
    expect(Object.hasOwn(root.Client.prototype, 'realtime')).toBe(true)
    const patches = walk(SRC).filter(f => /\.prototype\.\w+\s*=/.test(readFileSync(f, 'utf8')))
    expect(patches).toEqual([])
  })
})
