// matterkit benchmarks: one command (`npm run bench`). Runs each area in its own process, one after
// the other, and prints one table: our figure beside the reference measured in the same run (or the
// issue's target, where it sets an absolute bar). Uses the built package (dist/) only.
// `npm run bench -- client realtime` runs only those areas.
import { spawnSync } from 'node:child_process'
import { table } from './lib.mjs'

const areas = ['startup', 'client', 'memory', 'realtime', 'emulator', 'persist', 'bot', 'cluster', 'stream']
const chosen = process.argv.slice(2).filter(a => areas.includes(a))
const all = []
for (const area of chosen.length ? chosen : areas) {
  console.error(`${area}:`)
  const r = spawnSync(process.execPath, [new URL(`./${area}.mjs`, import.meta.url).pathname], {
    env: { ...process.env, MATTERKIT_BENCH_JSON: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    timeout: 10 * 60_000,
  })
  const line = r.stdout.split('\n').find(l => l.startsWith('BENCH_ROWS '))
  if (!line) {
    all.push({
      name: `${area} (failed: exit ${r.status})`,
      ours: '—',
      reference: '—',
      target: '—',
      pass: 'NO',
    })
    continue
  }
  all.push(...JSON.parse(line.slice('BENCH_ROWS '.length)))
}
console.log(table(all))
