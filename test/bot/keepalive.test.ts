// A started bot never exits on its own: bots run as child processes against an emulator that is
// itself a child process. The emulator is killed for 10 s and restarted on the same port with the
// same --persist directory (so the tokens survive); the bots must still be running, and answer or
// run their job again. After stop() a bot process ends by itself.
// Needs `npm run build` (the scripts import dist/ and the emulator runs through bin/).
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { Client } from '../../src/index.js'

const repo = resolve(import.meta.dirname, '../..')
const dist = pathToFileURL(join(repo, 'dist/index.js')).href
const bin = join(repo, 'bin/matterkit.js')
const children: ChildProcess[] = []
let dir = ''

interface Seed {
  url: string
  seed: { users: Record<string, { token: string; id: string }>; channels: { townSquare: { id: string } } }
}

/** Start the emulator CLI and read its seed (JSON on stdout). */
function emulator(port: number, state: string): Promise<{ proc: ChildProcess; seed: Seed }> {
  const proc = spawn(
    process.execPath,
    [bin, '--json', 'emulator', '--port', String(port), '--persist', state],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  children.push(proc)
  return new Promise((ok, fail) => {
    let out = ''
    proc.stdout?.on('data', d => {
      out += String(d)
      try {
        ok({ proc, seed: JSON.parse(out) as Seed })
      } catch {}
    })
    proc.once('exit', code => fail(new Error(`emulator exited (${code}) before printing its seed`)))
  })
}

const exited = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null
const stopped = (p: ChildProcess) =>
  exited(p) ? Promise.resolve() : new Promise<void>(r => p.once('exit', () => r()))

/** Run a bot script; resolves once it printed `started`. */
async function bot(name: string, body: string, env: Record<string, string>): Promise<ChildProcess> {
  const file = join(dir, `${name}.mjs`)
  await writeFile(file, `import { Bot } from ${JSON.stringify(dist)}\n${body}\n`)
  const proc = spawn(process.execPath, [file], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  children.push(proc)
  let out = ''
  proc.stdout?.on('data', d => void (out += String(d)))
  proc.stderr?.on('data', d => void (out += String(d)))
  await new Promise<void>((ok, fail) => {
    const t = setInterval(() => {
      if (out.includes('started')) {
        clearInterval(t)
        ok()
      } else if (exited(proc)) {
        clearInterval(t)
        fail(new Error(`${name} ended before starting: ${out}`))
      }
    }, 20)
  })
  return proc
}

async function until(fn: () => Promise<boolean>, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!(await fn().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 200))
  }
}

afterAll(async () => {
  for (const c of children) if (!exited(c)) c.kill('SIGKILL')
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('a started bot stays up while the server is down, and works again when it is back', () => {
  it('a message-only bot and a job-only bot survive a 10 s outage; a stopped bot exits by itself', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mk-keepalive-'))
    const state = join(dir, 'state')
    const first = await emulator(0, state)
    const { url, seed } = first.seed
    const port = Number(new URL(url).port)
    const env = {
      MM_URL: url,
      MM_TOKEN: seed.users.bot?.token ?? '',
      MM_CHANNEL: seed.channels.townSquare.id,
    }
    const messages = await bot(
      'messages',
      `const bot = new Bot({ url: process.env.MM_URL, token: process.env.MM_TOKEN, typingIndicator: false })
bot.message('ping-keepalive', ctx => ctx.reply('pong-keepalive'))
await bot.start()
console.log('started')`,
      env,
    )
    const jobs = await bot(
      'jobs',
      `const bot = new Bot({ url: process.env.MM_URL, token: process.env.MM_TOKEN })
let n = 0
bot.every('300ms', ctx => ctx.send(process.env.MM_CHANNEL, 'tick ' + ++n))
bot.cron('0 0 1 1 *', () => {})
bot.catch(() => {})
await bot.start()
console.log('started')`,
      env,
    )
    first.proc.kill('SIGTERM')
    await stopped(first.proc)
    // Outage: 10 s with no server. Both bots must still be running.
    await new Promise(r => setTimeout(r, 10_000))
    expect(exited(messages)).toBe(false)
    expect(exited(jobs)).toBe(false)

    const second = await emulator(port, state)
    const alice = new Client({ url, token: seed.users.alice?.token ?? '' })
    const since = Date.now()
    try {
      await alice.posts.create({ channel_id: env.MM_CHANNEL, message: 'ping-keepalive' })
      const messagesSince = async () => {
        const list = await alice.posts.forChannel(env.MM_CHANNEL, { perPage: 200 })
        return Object.values(list.posts).filter(p => p.create_at >= since)
      }
      await until(
        async () => (await messagesSince()).some(p => p.message === 'pong-keepalive'),
        'the answer',
        45_000,
      )
      await until(
        async () => (await messagesSince()).some(p => p.message.startsWith('tick ')),
        'a tick',
        45_000,
      )
    } finally {
      await alice.close()
    }

    // stop(): nothing is left to keep the process alive, so it ends on its own.
    const stopper = await bot(
      'stopper',
      `const bot = new Bot({ url: process.env.MM_URL, token: process.env.MM_TOKEN })
bot.message('x', () => {})
bot.every('1h', () => {})
bot.cron('0 0 1 1 *', () => {})
await bot.start()
console.log('started')
await bot.stop()`,
      env,
    )
    await until(async () => exited(stopper), 'the stopped bot to exit', 15_000)
    expect(stopper.exitCode).toBe(0)
    messages.kill('SIGKILL')
    jobs.kill('SIGKILL')
    second.proc.kill('SIGTERM')
    await stopped(second.proc)
  }, 120_000)
})
