// Start-up cost of importing the package.
import { execFileSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { median, ms, report, row } from './lib.mjs'

function timeNode(args, runs = 15) {
  const t = []
  for (let i = 0; i < runs; i++) {
    const s = performance.now()
    execFileSync(process.execPath, args, { cwd: new URL('..', import.meta.url) })
    t.push(performance.now() - s)
  }
  return median(t)
}
{
  const base = timeNode(['-e', '0'])
  const withImport = timeNode(['--input-type=module', '-e', "await import('matterkit')"])
  const added = withImport - base
  row("import('matterkit') added start-up", ms(added), `node -e 0 = ${ms(base)}`, '≤ 40 ms', added <= 40)
}

report()
