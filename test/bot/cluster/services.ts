/**
 * Real parts for the cluster tests: a `redis-server` on a free loopback port and bot replicas as
 * child processes, each stopped by pid.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

/** A free TCP port on loopback (Redis' `port 0` turns TCP off, so we pick one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

export interface RedisServer {
  url: string
  port: number
  pid: number
  /** Its data directory (pass it back with `appendOnly` to restart with the same data). */
  dir: string
  stop(): Promise<void>
}

/** Start `redis-server` (no persistence) and wait until it accepts connections. */
export async function startRedis(
  opts: { password?: string; port?: number; appendOnly?: boolean; dir?: string } = {},
): Promise<RedisServer> {
  const port = opts.port ?? (await freePort())
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'mk-redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir]
  args.push('--appendonly', opts.appendOnly ? 'yes' : 'no')
  if (opts.appendOnly) args.push('--appendfsync', 'always')
  if (opts.password) args.push('--requirepass', opts.password)
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    proc.once('error', err =>
      reject(
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? new Error(
              'redis-server is not installed: apt-get install -y redis-server (the cluster tests start a real one)',
            )
          : err,
      ),
    )
    let out = ''
    const onData = (b: Buffer): void => {
      out += b.toString()
      if (out.includes('Ready to accept connections')) resolve()
    }
    proc.stdout?.on('data', onData)
    proc.once('exit', code => reject(new Error(`redis-server exited with ${code}: ${out}`)))
  })
  proc.stdout?.resume()
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : ''
  return {
    url: `redis://${auth}127.0.0.1:${port}/0`,
    port,
    dir,
    pid: proc.pid as number,
    stop: () => stopProcess(proc),
  }
}

export interface Replica {
  pid: number
  proc: ChildProcess
  /** What the replica wrote to stderr so far. */
  stderr(): string
  /** The lines it printed on stdout (the fixture prints one per handler run). */
  lines: string[]
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** Start one bot replica (test/bot/cluster/replica.mjs) and wait until it is started. */
export async function startReplica(env: Record<string, string>): Promise<Replica> {
  const proc = spawn(process.execPath, [join(import.meta.dirname, 'replica.mjs')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let err = ''
  const out: string[] = []
  proc.stderr?.on('data', b => {
    err += b.toString()
  })
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! })
    lines.on('line', l => {
      out.push(l)
      if (l.includes('"ready":true')) resolve()
    })
    proc.once('exit', code => reject(new Error(`replica exited with ${code}: ${err}`)))
  })
  return { pid: proc.pid as number, proc, stderr: () => err, lines: out, stop: sig => stopProcess(proc, sig) }
}

/** Signal a process by pid and wait for it to exit (SIGKILL after 10 s). */
export function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve()
  return new Promise(resolve => {
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000)
    proc.once('exit', () => {
      clearTimeout(t)
      resolve()
    })
    process.kill(proc.pid as number, signal)
  })
}
