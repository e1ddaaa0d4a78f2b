// Start-up cost of importing the package: `node -e 0` and `import('matterkit')` run interleaved
// (one of each per round, so load on the machine hits both alike); the median of the per-round
// differences is the figure.
import { execFileSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { median, ms, report, row } from './lib.mjs'

const cwd = new URL('..', import.meta.url)
const time = args => {
  const s = performance.now()
  execFileSync(process.execPath, args, { cwd })
  return performance.now() - s
}
{
  const rounds = Number(process.env.STARTUP_ROUNDS ?? 21)
  const base = []
  const imp = []
  const diff = []
  time(['-e', '0']) // warm the file cache
  time(['--input-type=module', '-e', "await import('matterkit')"])
  for (let i = 0; i < rounds; i++) {
    const b = time(['-e', '0'])
    const m = time(['--input-type=module', '-e', "await import('matterkit')"])
    base.push(b)
    imp.push(m)
    diff.push(m - b)
  }
  const added = median(diff)
  row(
    "import('matterkit') added start-up",
    ms(added),
    `node -e 0 = ${ms(median(base))} (median of ${rounds} interleaved rounds)`,
    '≤ 40 ms',
    added <= 40,
  )
}

report()
