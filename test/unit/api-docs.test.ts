// docs/api.md is generated from the public entry points; it must match the code it describes.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

it('docs/api.md is up to date (npm run docs)', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const r = spawnSync(process.execPath, ['scripts/api-docs.mjs', '--check'], { cwd: root, encoding: 'utf8' })
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
})
