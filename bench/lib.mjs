// Shared helpers of the bench files. Each bench/<area>.mjs runs alone (`node bench/<area>.mjs`
// prints its own table) or under bench/run.mjs, which runs every area in its own process and
// prints one table.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'

const rows = []

/** Record one row of the table: our figure, the reference (same run) and the target (`pass: null`: a row for information, no target). */
export const row = (name, ours, reference, target, pass) => {
  rows.push({ name, ours, reference, target, pass: pass === null ? '—' : pass ? 'yes' : 'NO' })
  console.error(`  ${name}: ${ours} (ref ${reference})`)
}
export const median = a => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]
export const pct = (a, p) =>
  [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((a.length * p) / 100))]
export const ms = n => `${n.toFixed(1)} ms`

/** Run `create(i)` n times with `conc` workers; returns operations per second. */
export async function throughput(n, conc, create) {
  let i = 0
  const s = performance.now()
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (i < n) {
        i++
        await create(i)
      }
    }),
  )
  return n / ((performance.now() - s) / 1000)
}

/** Start `code` (an ES module body) in a child node process; resolves with its first stdout JSON line. */
export function child(code, args = []) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...args, '--input-type=module', '-e', code], {
      cwd: new URL('..', import.meta.url),
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let buf = ''
    p.stdout.on('data', d => {
      buf += d
      const line = buf.split('\n')[0]
      if (buf.includes('\n')) resolve({ proc: p, info: JSON.parse(line) })
    })
    p.on('error', reject)
    p.on('exit', code => reject(new Error(`bench child exited with ${code} before reporting`)))
  })
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc). */
export const cpuOf = pid => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) * 10
}

/** Resident set size of a process, in MB. */
export const rssOf = pid =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024

/** Print the rows: as a table when run alone, as one JSON line for bench/run.mjs. */
export function report() {
  if (process.env.MATTERKIT_BENCH_JSON) {
    console.log(`BENCH_ROWS ${JSON.stringify(rows)}`)
  } else {
    console.log(table(rows))
  }
  process.exit(0)
}

export function table(all) {
  const lines = [
    '',
    '| benchmark | matterkit | reference (same run) | target | met |',
    '|---|---|---|---|---|',
  ]
  for (const r of all) lines.push(`| ${r.name} | ${r.ours} | ${r.reference} | ${r.target} | ${r.pass} |`)
  return lines.join('\n')
}
