/**
 * The emulator in a child process, so a test can SIGKILL it. src/emulator is bundled with
 * rolldown the way scripts/build.mjs does it (the test runs today's source, not a stale dist/);
 * the child starts `startEmulator({ persist, persistWith })` and prints `{ url, seed }` as one line.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Seed } from '../../src/emulator/index.js'

/** A built runner script; `remove()` deletes its directory. */
export interface ChildBuild {
  entry: string
  remove(): void
}

/** Bundle src/emulator into a temporary directory (once per test file). */
export async function buildChild(): Promise<ChildBuild> {
  const { build } = await import('rolldown')
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const out = mkdtempSync(join(tmpdir(), 'mk-emu-child-'))
  symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'), 'dir')
  await build({
    cwd: root,
    input: { emulator: 'src/emulator/index.ts' },
    platform: 'node',
    external: id => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0'),
    tsconfig: 'tsconfig.build.json',
    output: { dir: out, format: 'esm', entryFileNames: '[name].js' },
    logLevel: 'silent',
  })
  const entry = join(out, 'run.mjs')
  writeFileSync(
    entry,
    [
      "import { startEmulator } from './emulator.js'",
      'const [persist, persistWith] = process.argv.slice(2)',
      'const emu = await startEmulator({ port: 0, persist, persistWith })',
      "process.stdout.write(JSON.stringify({ url: emu.url, seed: emu.seed }) + '\\n')",
      "process.on('SIGTERM', () => emu.stop().then(() => process.exit(0)))",
      '',
    ].join('\n'),
  )
  return { entry, remove: () => rmSync(out, { recursive: true, force: true }) }
}

/** A running child emulator. */
export interface ChildEmulator {
  url: string
  seed: Seed
  child: ChildProcess
  exited: Promise<{ code: number | null; signal: string | null }>
  stderr(): string
}

/** Start the runner on `dir`; rejects with the child's stderr when it exits before printing. */
export async function startChild(
  build: ChildBuild,
  dir: string,
  using: 'sqlite' | 'journal',
): Promise<ChildEmulator> {
  const child = spawn(process.execPath, [build.entry, dir, using], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString()
  })
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString()
  })
  const exited = new Promise<{ code: number | null; signal: string | null }>(resolve =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const end = Date.now() + 15_000
  while (!out.includes('\n')) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > end) {
      child.kill('SIGKILL')
      throw new Error(`child emulator did not start: ${err || out}`)
    }
    await new Promise(r => setTimeout(r, 10))
  }
  const info = JSON.parse(out.slice(0, out.indexOf('\n'))) as { url: string; seed: Seed }
  return { ...info, child, exited, stderr: () => err }
}
