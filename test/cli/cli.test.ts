import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { runStart } from '../../src/cli/start.js'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'

let emu: Emulator
const dir = mkdtempSync(join(tmpdir(), 'mkcli-'))
beforeAll(async () => {
  emu = await startEmulator()
  process.env.MATTERKIT_CONFIG = join(dir, 'config.json')
  delete process.env.MATTERMOST_URL
  delete process.env.MATTERMOST_TOKEN
})
afterAll(() => emu.stop())

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(args, {
    out: s => out.push(s),
    err: s => err.push(s),
    stdin: async () => 'from stdin\n',
  })
  return { code, out: out.join('\n'), err: err.join('\n') }
}
const as = (who: 'bot' | 'alice' | 'admin') => ['--url', emu.url, '--token', emu.seed.users[who].token]

describe('cli', () => {
  it('--help and usage errors', async () => {
    const h = await run('--help')
    expect(h.code).toBe(0)
    expect(h.out).toMatch(/doctor/)
    expect((await run('nope')).code).toBe(2)
    expect((await run('whoami')).code).toBe(2)
  })
  it('whoami (human and --json); bad token exits 3', async () => {
    expect((await run(...as('bot'), 'whoami')).out).toMatch(/@matterbot .* \[bot\]/)
    expect(JSON.parse((await run(...as('alice'), '--json', 'whoami')).out).username).toBe('alice')
    expect((await run('--url', emu.url, '--token', 'badtokenbadtoken', 'whoami')).code).toBe(3)
  })
  it('send by display name, @user and stdin; listen sees it', async () => {
    const listening = run(...as('alice'), '--json', 'listen', '--event', 'posted', '--count', '2')
    await new Promise(r => setTimeout(r, 300))
    expect((await run(...as('bot'), 'send', 'Town Square', 'hello', 'cli')).code).toBe(0)
    expect((await run(...as('bot'), 'send', 'off-topic')).code).toBe(0) // stdin
    const got = (await listening).out
      .split('\n')
      .map(l => JSON.parse(l) as { data: { post: { message: string } } })
    expect(got.map(e => e.data.post.message)).toEqual(['hello cli', 'from stdin'])
    expect((await run(...as('bot'), 'send', '@alice', 'psst')).code).toBe(0)
    // The bot's resolver: a channel name in any case, as ctx.send takes it
    expect((await run(...as('bot'), 'send', 'TOWN-SQUARE', 'shouted')).code).toBe(0)
    expect((await run(...as('bot'), 'send', 'no-such-channel', 'x')).code).toBe(4)
  })
  it('commands and webhooks', async () => {
    const c = JSON.parse(
      (await run(...as('admin'), '--json', 'commands', 'create', 'ops', 'http://127.0.0.1:9/x')).out,
    )
    expect((await run(...as('admin'), 'commands', 'list')).out).toContain('/ops')
    expect(JSON.parse((await run(...as('admin'), '--json', 'commands', 'list')).out)[0].token).toBeUndefined()
    expect((await run(...as('admin'), 'commands', 'delete', c.id)).code).toBe(0)
    const h = JSON.parse((await run(...as('admin'), '--json', 'webhooks', 'create', 'town-square')).out)
    expect((await run(...as('admin'), 'webhooks', 'list')).out).toContain(h.id)
    expect(
      (await run(...as('admin'), 'hook', h.id, 'deployed', '--attachment', '{"color":"good","title":"v1"}'))
        .code,
    ).toBe(0)
  })
  it('export to JSONL resumes where it stopped', async () => {
    const ch = emu.createChannel({ name: 'exp', members: [emu.seed.users.bot.id] })
    for (let i = 0; i < 5; i++) emu.post(emu.seed.users.bot.id, ch.id, `e${i}`)
    const file = join(dir, 'exp.jsonl')
    expect((await run(...as('bot'), 'export', 'exp', '--out', file)).code).toBe(0)
    for (let i = 5; i < 8; i++) emu.post(emu.seed.users.bot.id, ch.id, `e${i}`)
    expect((await run(...as('bot'), 'export', 'exp', '--out', file)).err).toMatch(/3 posts appended/)
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map(l => JSON.parse(l).message)
    expect(lines).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7'])
    expect((await run(...as('bot'), 'export', 'exp', '--format', 'md')).out).toContain('**@matterbot**')
  })
  it('auth profiles are stored 0600 and the token is never printed', async () => {
    const r = await run('auth', 'login', 'local', '--url', emu.url, '--token', emu.seed.users.bot.token)
    expect(r.out).not.toContain(emu.seed.users.bot.token)
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600)
    expect((await run('whoami')).out).toMatch(/@matterbot/)
    expect((await run('auth', 'list')).out).not.toContain(emu.seed.users.bot.token)
    await run('auth', 'remove', 'local')
  })
})

describe('doctor', () => {
  it('passes on a good setup', async () => {
    const r = await run(...as('bot'), 'doctor')
    expect(r.out).toMatch(/✓ Token: authenticated as @matterbot/)
    expect(r.out).toMatch(/✓ WebSocket/)
    expect(r.code).toBe(0)
  })
  it('bad token', async () => {
    const r = await run('--url', emu.url, '--token', 'wrongwrongwrong', 'doctor')
    expect(r.out).toMatch(/✗ Token/)
    expect(r.out).toMatch(/fix: The token is wrong/)
    expect(r.code).toBe(3)
  })
  it('a bot in the team but in no channel gets told how to fix it', async () => {
    const u = emu.createUser({ username: 'loner', is_bot: true })
    const r = await run('--url', emu.url, '--token', u.token, '--json', 'doctor')
    const checks = JSON.parse(r.out) as Array<{ name: string; ok: boolean; fix?: string }>
    const ch = checks.find(c => c.name.startsWith('Channels in'))!
    expect(ch.ok).toBe(false)
    expect(ch.fix).toMatch(/Add the bot to channels/)
    expect(r.code).toBe(1)
  })
  it('wrong URL and an HTML page where Mattermost should be', async () => {
    const bad = await run('--url', 'http://127.0.0.1:1', '--token', 'x', 'doctor')
    expect(bad.out).toMatch(/✗ Server is Mattermost.*\n.*unreachable/)
    const server: Server = createServer((_q, s) => {
      s.writeHead(200, { 'content-type': 'text/html' })
      s.end('<html><body>Login</body></html>')
    })
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
    const html = await run(
      '--url',
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      '--token',
      'x',
      'doctor',
    )
    expect(html.out).toMatch(/HTML page/)
    server.close()
  })
})

describe('npm start demo', () => {
  it('plays the scripted conversation and exits 0 without a terminal', async () => {
    const out: string[] = []
    expect(await runStart({ interactive: false, out: s => out.push(s) })).toBe(0)
    expect(out.join('\n')).toMatch(
      /answered a message, streamed an assistant answer, a slash command and a button click/,
    )
    expect(out.join('\n')).toMatch(/\(final\) .*\(demo model\) You asked: "what can you do\?"/)
  })
})

describe('dev', () => {
  it('runs the emulator and the bot module, and restarts it when the file changes', async () => {
    const { writeFileSync } = await import('node:fs')
    const { runDev } = await import('../../src/cli/dev.js')
    const { Client } = await import('../../src/index.js')
    const botDir = mkdtempSync(join(tmpdir(), 'mkdev-'))
    const file = join(botDir, 'bot.mjs')
    const src = (word: string) =>
      `const base = process.env.MATTERMOST_URL + '/api/v4'; const h = { authorization: 'Bearer ' + process.env.MATTERMOST_TOKEN, 'content-type': 'application/json' };
       const ch = await (await fetch(base + '/teams/name/matterkit/channels/name/town-square', { headers: h })).json();
       await fetch(base + '/posts', { method: 'POST', headers: h, body: JSON.stringify({ channel_id: ch.id, message: '${word}' }) });
       setInterval(() => {}, 1000)`
    writeFileSync(file, src('first'))
    const out: string[] = []
    const dev = await runDev({ bot: file, port: 0, persist: join(botDir, 'state'), out: s => out.push(s) })
    const seen = async (word: string) => {
      const end = Date.now() + 8000
      for (;;) {
        const admin = new Client({ url: dev.url, token: '' + (await adminToken()) })
        const list = await admin.posts.forChannel(
          (await admin.channels.getByTeamName('matterkit', 'town-square')).id,
        )
        await admin.close()
        if (Object.values(list.posts).some(p => p.message === word)) return
        if (Date.now() > end) throw new Error(`bot never posted ${word}`)
        await new Promise(r => setTimeout(r, 100))
      }
    }
    const adminToken = async () => {
      const r = await fetch(`${dev.url}/api/v4/users/login`, {
        method: 'POST',
        body: JSON.stringify({ login_id: 'admin', password: 'admin-password-1' }),
      })
      return r.headers.get('token')
    }
    await seen('first')
    writeFileSync(file, src('second'))
    await seen('second')
    expect(out.join('\n')).toMatch(/restarting the bot/)
    await dev.stop()
  }, 20_000)
})

describe('matterkit emulator --port 0 --json (a real process)', () => {
  // The CLI as a child process: src/cli/main.ts bundled the way scripts/build.mjs does it (so the
  // test runs today's source, not a stale dist/), started with `node`, stopped with a signal.
  let entry = ''
  let cwd = ''
  let out = ''
  afterAll(async () => {
    const { rmSync } = await import('node:fs')
    for (const d of [out, cwd]) if (d) rmSync(d, { recursive: true, force: true }) // the node_modules link, not its target
  })
  beforeAll(async () => {
    const { symlinkSync, writeFileSync } = await import('node:fs')
    const { fileURLToPath } = await import('node:url')
    const { build } = await import('rolldown')
    const root = fileURLToPath(new URL('../..', import.meta.url))
    out = mkdtempSync(join(tmpdir(), 'mkcli-bin-'))
    symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'), 'dir')
    await build({
      cwd: root,
      input: { main: 'src/cli/main.ts' },
      platform: 'node',
      external: id => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0'),
      tsconfig: 'tsconfig.build.json',
      output: { dir: out, format: 'esm', entryFileNames: '[name].js' },
      logLevel: 'silent',
    })
    entry = join(out, 'matterkit.mjs')
    writeFileSync(
      entry,
      "const m = await import('./main.js')\nprocess.exitCode = await m.main(process.argv.slice(2))\n",
    )
    cwd = mkdtempSync(join(tmpdir(), 'mkcli-cwd-')) // no .env, no saved profile
  }, 60_000)

  interface Running {
    info: {
      url: string
      seed: {
        team: { id: string; name: string }
        channels: Record<string, { id: string; name: string; type: string }>
        users: Record<
          string,
          { id: string; username: string; token: string; is_bot: boolean; password?: string }
        >
      }
    }
    stdout: () => string
    /** What the process wrote to stderr (shown when an exit is not as expected). */
    stderr: () => string
    exited: Promise<{ code: number | null; signal: string | null }>
    kill: (sig: NodeJS.Signals) => void
  }
  async function startCli(): Promise<Running> {
    const { spawn } = await import('node:child_process')
    const child = spawn(process.execPath, [entry, 'emulator', '--port', '0', '--json'], {
      cwd,
      env: { ...process.env, MATTERKIT_CONFIG: join(cwd, 'config.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString()
    })
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString()
    })
    const exited = new Promise<{ code: number | null; signal: string | null }>(resolve =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    )
    const end = Date.now() + 15_000
    while (!out.includes('\n')) {
      if (Date.now() > end || child.exitCode !== null) {
        child.kill('SIGKILL')
        throw new Error(`emulator did not start: ${err || out}`)
      }
      await new Promise(r => setTimeout(r, 20))
    }
    return {
      info: JSON.parse(out.split('\n')[0]!),
      stdout: () => out,
      stderr: () => err,
      exited,
      kill: sig => child.kill(sig),
    }
  }
  async function refused(url: string): Promise<boolean> {
    try {
      await fetch(`${url}/api/v4/system/ping`)
      return false
    } catch {
      return true
    }
  }

  it('prints one JSON object with the URL and the seed; the URL is a Mattermost; SIGINT stops it with 0', async () => {
    const cli = await startCli()
    const { url, seed } = cli.info
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(Number(new URL(url).port)).toBeGreaterThan(0)
    expect(seed.team.name).toBe('matterkit')
    expect(Object.values(seed.channels).map(c => [c.name, c.type])).toEqual([
      ['town-square', 'O'],
      ['off-topic', 'O'],
      ['private-room', 'P'],
    ])
    expect(Object.keys(seed.users).sort()).toEqual(['admin', 'alice', 'bob', 'bot'])
    for (const u of Object.values(seed.users)) expect(u.token).toMatch(/^[a-z0-9]{26}$/)
    expect(seed.users.alice!.password).toBe('alice-password-1')
    expect(seed.users.bob!.password).toBe('bob-password-1')
    expect(seed.users.admin!.password).toBe('admin-password-1')
    expect(seed.users.bot).toMatchObject({ username: 'matterbot', is_bot: true })
    expect(seed.users.bot).not.toHaveProperty('password')

    const ping = await fetch(`${url}/api/v4/system/ping`)
    expect(ping.status).toBe(200)
    expect(((await ping.json()) as { status: string }).status).toBe('OK')
    const me = await fetch(`${url}/api/v4/users/me`, {
      headers: { Authorization: `Bearer ${seed.users.alice!.token}` },
    })
    expect(((await me.json()) as { id: string }).id).toBe(seed.users.alice!.id)
    const login = await fetch(`${url}/api/v4/users/login`, {
      method: 'POST',
      body: JSON.stringify({ login_id: 'bob', password: seed.users.bob!.password }),
    })
    expect(login.status).toBe(200)
    expect(login.headers.get('token')).toMatch(/^[a-z0-9]{26}$/)

    cli.kill('SIGINT')
    expect(await cli.exited).toEqual({ code: 0, signal: null })
    expect(cli.stdout().trim().split('\n')).toHaveLength(1) // one JSON object, nothing else
    expect(await refused(url)).toBe(true)
  }, 30_000)

  // SIGTERM (docker stop, systemd, CI runners) stops it like Ctrl-C: emu.stop() runs, exit 0.
  it('SIGTERM stops it cleanly with exit code 0', async () => {
    const cli = await startCli()
    const t0 = Date.now()
    cli.kill('SIGTERM')
    const end = await cli.exited
    expect(end, `after ${Date.now() - t0} ms; stderr: ${cli.stderr()}`).toEqual({ code: 0, signal: null })
  }, 30_000)

  it('SIGTERM ends the process and frees the port', async () => {
    const cli = await startCli()
    expect((await fetch(`${cli.info.url}/api/v4/system/ping`)).status).toBe(200)
    cli.kill('SIGTERM')
    const end = await cli.exited
    expect(end.code === 0 || end.signal === 'SIGTERM').toBe(true)
    expect(await refused(cli.info.url)).toBe(true)
  }, 30_000)
})
