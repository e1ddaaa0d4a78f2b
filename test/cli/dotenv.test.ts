import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadDotEnv } from '../../src/cli/config.js'

describe('.env loading', () => {
  it("parses as Node's --env-file does (multi-line quoted values, export, comments) and keeps existing vars", () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mk-env-')), '.env')
    writeFileSync(
      file,
      [
        '# a comment',
        'export MATTERMOST_URL=http://127.0.0.1:8065 # trailing comment',
        'MATTERMOST_TOKEN="abc"',
        'CERT="-----BEGIN-----',
        'line two',
        '-----END-----"',
        'KEPT=from-file',
      ].join('\n'),
    )
    const env: NodeJS.ProcessEnv = { KEPT: 'from-env' }
    loadDotEnv(file, env)
    expect(env.MATTERMOST_URL).toBe('http://127.0.0.1:8065')
    expect(env.MATTERMOST_TOKEN).toBe('abc')
    expect(env.CERT).toBe('-----BEGIN-----\nline two\n-----END-----')
    expect(env.KEPT).toBe('from-env')
  })
})
