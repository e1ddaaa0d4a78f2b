// The CLI defects of the new-user journey and adversary reports (issue 13), each checked by
// running the built CLI (bin/matterkit.js → dist/, so `npm run build` first; `npm test` does) as a
// child process against an emulator or a small hostile server started here.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { createServer as createTcpServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command, Option } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDemoBot } from '../../src/cli/demo-bot.js'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = join(root, 'bin', 'matterkit.js')
let emu: Emulator
const dir = mkdtempSync(join(tmpdir(), 'mkcli-journey-'))
const cwd = mkdtempSync(join(tmpdir(), 'mkcli-journey-cwd-')) // no .env here
const servers: Server[] = []
const children: ChildProcessWithoutNullStreams[] = []

beforeAll(async () => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('run `npm run build` first')
  emu = await startEmulator()
})
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  for (const s of servers) s.close()
  await emu.stop()
  rmSync(dir, { recursive: true, force: true })
  rmSync(cwd, { recursive: true, force: true })
})

interface Result {
  code: number | null
  out: string
  err: string
}
const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, MATTERKIT_CONFIG: join(dir, 'config.json'), NO_COLOR: '1' }
  delete env.MATTERMOST_URL
  delete env.MATTERMOST_TOKEN
  delete env.MATTERMOST_TEAM
  return env
}
/** Start the CLI; stdin stays open until `end()` (or is given whole with `input`). */
function start(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [bin, ...args], {
    cwd,
    env: { ...baseEnv(), ...opts.env },
  })
  children.push(child)
  let out = ''
  let err = ''
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString()
  })
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString()
  })
  const exited = new Promise<Result>(resolve => child.once('close', code => resolve({ code, out, err })))
  return {
    child,
    exited,
    out: () => out,
    err: () => err,
    /** Resolves once stdout matches (rejects when the process ends first). */
    async waitFor(re: RegExp): Promise<void> {
      // a bound on waiting (not a measured duration), so a failure still reaches the cleanup
      const end = Date.now() + 10_000
      for (;;) {
        if (re.test(out)) return
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before ${re}: ${out}\n${err}`)
        if (Date.now() > end) throw new Error(`no ${re} in: ${out}\n${err}`)
        await new Promise(r => setTimeout(r, 25))
      }
    },
  }
}
async function cli(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  const p = start(args, opts)
  p.child.stdin.end(opts.input ?? '')
  return p.exited
}
const as = (who: 'bot' | 'alice' | 'bob' | 'admin') => [
  '--url',
  emu.url,
  '--token',
  emu.seed.users[who].token,
]
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler)
  servers.push(s)
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
}
async function deadUrl(): Promise<string> {
  const s = createTcpServer()
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise<void>(r => s.close(() => r()))
  return `http://127.0.0.1:${port}`
}

describe('commands update (journey D3)', () => {
  it('--command-url changes the command; a --url after `update` is refused, not used as the server', async () => {
    const created = JSON.parse(
      (await cli([...as('admin'), '--json', 'commands', 'create', 'upd', 'http://127.0.0.1:9/a'])).out,
    ) as { id: string }
    const swallowed = await cli([
      ...as('admin'),
      'commands',
      'update',
      created.id,
      '--url',
      'http://127.0.0.1:9/new',
    ])
    expect(swallowed.code).toBe(2)
    expect(swallowed.err).toMatch(/--command-url/)
    const ok = await cli([
      ...as('admin'),
      'commands',
      'update',
      created.id,
      '--command-url',
      'http://127.0.0.1:9/new',
      '--description',
      'newdesc',
    ])
    expect(ok.code, ok.err).toBe(0)
    const list = JSON.parse((await cli([...as('admin'), '--json', 'commands', 'list'])).out) as Array<{
      id: string
      url: string
      description: string
    }>
    expect(list.find(c => c.id === created.id)).toMatchObject({
      url: 'http://127.0.0.1:9/new',
      description: 'newdesc',
    })
  })
})

describe('doctor (journey D5, D6, D10)', () => {
  it('exit 4 when unreachable, 3 for a bad token; the fix names --ca and --insecure, which exist', async () => {
    const down = await cli(['--url', await deadUrl(), '--token', 'x', 'doctor'])
    expect(down.code).toBe(4)
    expect(down.out).toMatch(/✗ Server is Mattermost[^\n]*\n\s*fix: .*--ca <file>.*--insecure/)
    const bad = await cli(['--url', emu.url, '--token', 'wrongwrongwrong', 'doctor'])
    expect(bad.code).toBe(3)
    expect(bad.out).toMatch(/✗ Token/)
  })
  it('a personal access token is a ⚠ warning and exit 0', async () => {
    const r = await cli([...as('alice'), 'doctor'])
    expect(r.out).toMatch(/⚠ Bot account: is a regular user account/)
    expect(r.out).not.toMatch(/✗/)
    expect(r.code).toBe(0)
  })
  it('an HTML login page answering 200 is not called Mattermost, and the token is not blamed', async () => {
    const url = await serve((_q, s) => {
      s.writeHead(200, { 'content-type': 'text/html' })
      s.end('<html><body>Login to SSO</body></html>')
    })
    const r = await cli(['--url', url, '--token', 'x', 'doctor'])
    expect(r.out).toMatch(/✗ Server is Mattermost: .*HTML/)
    expect(r.out).not.toMatch(/✓ Server is Mattermost/)
    expect(r.out).not.toMatch(/Token/)
    expect(r.code).toBe(4)
  })
})

describe('TLS options (journey D10)', () => {
  // a self-signed HTTPS front for the emulator: with --ca or --insecure whoami works, without it fails
  let httpsUrl = ''
  let caFile = ''
  beforeAll(async () => {
    const key = join(dir, 'key.pem')
    caFile = join(dir, 'cert.pem')
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        caFile,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    )
    const s = createHttpsServer({ key: readFileSync(key), cert: readFileSync(caFile) }, async (q, res) => {
      const chunks: Buffer[] = []
      for await (const c of q) chunks.push(c as Buffer)
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(q.headers))
        if (typeof v === 'string' && k !== 'host') headers[k] = v
      const r = await fetch(emu.url + q.url, {
        method: q.method ?? 'GET',
        headers,
        ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
      })
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' })
      res.end(Buffer.from(await r.arrayBuffer()))
    })
    servers.push(s as unknown as Server)
    await new Promise<void>(r => s.listen(0, '127.0.0.1', r))
    httpsUrl = `https://127.0.0.1:${(s.address() as AddressInfo).port}`
  })
  it('--ca <file> trusts a self-signed server, --insecure skips the check, a missing --ca file is named', async () => {
    const token = emu.seed.users.bot.token
    expect((await cli(['--url', httpsUrl, '--token', token, 'whoami'])).code).toBe(4)
    const withCa = await cli(['--url', httpsUrl, '--token', token, '--ca', caFile, 'whoami'])
    expect(withCa.out, withCa.err).toMatch(/@matterbot/)
    const insecure = await cli(['--url', httpsUrl, '--token', token, '--insecure', 'whoami'])
    expect(insecure.out, insecure.err).toMatch(/@matterbot/)
    const missing = await cli(['--url', httpsUrl, '--token', token, '--ca', join(dir, 'nope.pem'), 'whoami'])
    expect(missing.code).toBe(2)
    expect(missing.err).toContain('nope.pem')
  })
})

describe('small robustness items (journey D12)', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
    const r = await cli(['--version'])
    expect(r.code).toBe(0)
    expect(r.out.trim()).toBe(pkg.version)
  })
  it('listen --count abc is a usage error; an unknown --event is warned about', async () => {
    const r = await cli([...as('alice'), 'listen', '--count', 'abc'])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/--count must be a positive integer/)
    const l = start([...as('alice'), 'listen', '--event', 'nosuchevent', 'posted', '--count', '1'])
    // post until the listener (once connected) has its one event and ends
    const tick = setInterval(
      () => emu.post(emu.seed.users.bob.id, emu.seed.channels.townSquare.id, 'tick'),
      200,
    )
    const end = await l.exited
    clearInterval(tick)
    expect(end.err).toMatch(/warning: "nosuchevent" is not an event Mattermost sends/)
    expect(end.code).toBe(0)
  })
  it('listen exits 4 against an unreachable server and 3 with a bad token, saying why', async () => {
    const down = await cli(['--url', await deadUrl(), '--token', 'x', 'listen'])
    expect(down.code).toBe(4)
    expect(down.err).toMatch(/cannot reach|ECONNREFUSED/)
    const bad = await cli(['--url', emu.url, '--token', 'wrongwrongwrong', 'listen'])
    expect(bad.code).toBe(3)
    expect(bad.err).toMatch(/matterkit: /)
  })
  it('listen shows author and channel; listen --json has the post as an object', async () => {
    const human = start([...as('bob'), 'listen', '--event', 'posted', '--count', '1'])
    const json = start([...as('bob'), '--json', 'listen', '--event', 'posted', '--count', '1'])
    const tick = setInterval(
      () => emu.post(emu.seed.users.alice.id, emu.seed.channels.townSquare.id, 'hi there'),
      200,
    )
    const [h, j] = await Promise.all([human.exited, json.exited])
    clearInterval(tick)
    expect(h.out.trim()).toBe('posted @alice ~town-square: hi there')
    const ev = JSON.parse(j.out.trim()) as { event: string; data: { post: { message: string } } }
    expect(ev.event).toBe('posted')
    expect(ev.data.post.message).toBe('hi there')
  })
  it('send refuses an empty message (stdin or argument)', async () => {
    const empty = await cli([...as('bot'), 'send', 'town-square'], { input: '' })
    expect(empty.code).toBe(2)
    expect(empty.err).toMatch(/Nothing to send/)
    expect((await cli([...as('bot'), 'send', 'town-square', ''])).code).toBe(2)
  })
  it('--json errors are JSON on stderr; export --json --out prints JSON', async () => {
    const down = await cli(['--json', '--url', await deadUrl(), '--token', 'x', 'whoami'])
    expect(down.code).toBe(4)
    expect(JSON.parse(down.err.trim())).toMatchObject({ error: { code: 'MK_ERR_NETWORK', exitCode: 4 } })
    const usageErr = await cli(['--json', 'listen', '--nope'])
    expect(usageErr.code).toBe(2)
    expect(JSON.parse(usageErr.err.trim())).toMatchObject({ error: { code: 'MK_ERR_INVALID_ARGUMENT' } })
    const file = join(dir, 'export.jsonl')
    const ex = await cli([...as('bot'), '--json', 'export', 'town-square', '--out', file])
    expect(ex.code, ex.err).toBe(0)
    expect(JSON.parse(ex.out.trim())).toMatchObject({ file, appended: false })
  })
  it('export --format md keeps threads, attachments, files and webhook names; empty posts are left out', async () => {
    const { Client } = await import('../../src/realtime/client.js')
    const ch = emu.createChannel({
      name: 'md-export',
      members: [emu.seed.users.alice.id, emu.seed.users.bot.id],
    })
    const alice = new Client({ url: emu.url, token: emu.seed.users.alice.token })
    const admin = new Client({ url: emu.url, token: emu.seed.users.admin.token })
    try {
      const root = await alice.posts.create({ channel_id: ch.id, message: 'the root' })
      await alice.posts.create({ channel_id: ch.id, root_id: root.id, message: 'a reply\nover two lines' })
      await alice.posts.create({
        channel_id: ch.id,
        message: '',
        props: {
          attachments: [{ title: 'Deploy', text: 'web is live', fields: [{ title: 'env', value: 'prod' }] }],
        },
      })
      const [file] = await alice.files.upload(ch.id, [{ name: 'notes.txt', data: Buffer.from('n') }])
      await alice.posts.create({ channel_id: ch.id, message: '', file_ids: [file!.id] })
      const hook = await admin.webhooks.incoming.create({ channel_id: ch.id })
      await admin.webhooks.post(hook.id, { text: 'from ci', username: 'ci-bot' })
      const md = await cli([...as('alice'), 'export', 'md-export', '--format', 'md'])
      expect(md.code, md.err).toBe(0)
      expect(md.out).toContain(`<a id="p-${root.id}"></a>**@alice**`)
      expect(md.out).toMatch(
        new RegExp(
          `> ↳ \\*\\*@alice\\*\\* \\([^)]+\\), replying to \\[@alice, [^\\]]+\\]\\(#p-${root.id}\\): a reply\\n> over two lines`,
        ),
      )
      expect(md.out).toContain('**Deploy**')
      expect(md.out).toContain('- **env**: prod')
      expect(md.out).toContain('📎 notes.txt')
      expect(md.out).toContain('**ci-bot** (webhook)')
      expect(md.out).not.toMatch(/\): \n/)
    } finally {
      await alice.close()
      await admin.close()
    }
  })
  it('hook reads its text, or a whole JSON payload, from stdin', async () => {
    const h = JSON.parse((await cli([...as('admin'), '--json', 'webhooks', 'create', 'off-topic'])).out) as {
      id: string
    }
    const text = await cli(['--url', emu.url, 'hook', h.id], { input: 'from stdin via hook\n' })
    expect(text.code, text.err).toBe(0)
    const payload = await cli(['hook', `${emu.url}/hooks/${h.id}`], {
      input: JSON.stringify({ text: 'payload text', props: { card: 'x' } }),
    })
    expect(payload.code, payload.err).toBe(0)
    const posts = Object.values(
      (
        (await (
          await fetch(`${emu.url}/api/v4/channels/${emu.seed.channels.offTopic.id}/posts`, {
            headers: { Authorization: `Bearer ${emu.seed.users.admin.token}` },
          })
        ).json()) as { posts: Record<string, { message: string }> }
      ).posts,
    ).map(p => p.message)
    expect(posts).toContain('from stdin via hook')
    expect(posts).toContain('payload text')
    expect((await cli(['--url', emu.url, 'hook', h.id])).code).toBe(2) // nothing to post
  })
  it('every command and option has a description, and no subcommand option shadows a global one', async () => {
    const { createProgram } = await import('../../src/cli/main.js')
    const missing: string[] = []
    const walk = (c: Command, path: string): void => {
      if (!c.description()) missing.push(`command ${path}`)
      for (const o of c.options as readonly Option[]) if (!o.description) missing.push(`${path} ${o.flags}`)
      for (const sub of c.commands) walk(sub, `${path} ${sub.name()}`)
    }
    walk(createProgram([]), 'matterkit')
    expect(missing).toEqual([])
    // commander gives a shadowed option's value to the program (journey D3)
    const program = createProgram([])
    const globals = new Set(program.options.map(o => o.long))
    const clashes: string[] = []
    const scan = (c: Command): void => {
      for (const sub of c.commands) {
        for (const o of sub.options) if (globals.has(o.long)) clashes.push(`${sub.name()} ${o.long}`)
        scan(sub)
      }
    }
    scan(program)
    expect(clashes).toEqual([])
  })
  it('emulator --port N with the port in use says so and suggests --port 0', async () => {
    const s = createTcpServer()
    await new Promise<void>(r => s.listen(0, '127.0.0.1', r))
    const { port } = s.address() as AddressInfo
    try {
      const r = await cli(['emulator', '--port', String(port)])
      expect(r.code).toBe(1)
      expect(r.err).toContain(`port ${port} is in use; pick another with --port or use --port 0`)
    } finally {
      s.close()
    }
  })
})

describe('send --file (journey D8, D7)', () => {
  it('--file is repeatable and leaves the message alone; a missing file is named, not a network error', async () => {
    const a = join(dir, 'a.txt')
    const b = join(dir, 'b.txt')
    writeFileSync(a, 'A')
    writeFileSync(b, 'B')
    const r = await cli([
      ...as('bot'),
      '--json',
      'send',
      'town-square',
      '--file',
      a,
      '--file',
      b,
      'hello',
      'files',
    ])
    expect(r.code, r.err).toBe(0)
    const post = JSON.parse(r.out) as { message: string; file_ids: string[] }
    expect(post.message).toBe('hello files')
    expect(post.file_ids).toHaveLength(2)
    const missing = await cli([...as('bot'), 'send', 'town-square', '--file', join(dir, 'nonexistent'), 'x'])
    expect(missing.code).toBe(2)
    expect(missing.err).toContain(join(dir, 'nonexistent'))
    expect(missing.err).not.toMatch(/cannot reach|MK_ERR_NETWORK/)
  })
})

describe('auth (journey D12, adversary D16)', () => {
  it('login reads the token from stdin; argv works with a warning; missing profiles are named', async () => {
    const token = emu.seed.users.bot.token
    const r = await cli(['--url', emu.url, 'auth', 'login', 'piped'], { input: `${token}\n` })
    expect(r.code, r.err).toBe(0)
    expect(r.out + r.err).not.toContain(token)
    expect((await cli(['--profile', 'piped', 'whoami'])).out).toMatch(/@matterbot/)
    const argv = await cli(['--url', emu.url, '--token', token, 'auth', 'login', 'argv'])
    expect(argv.code).toBe(0)
    expect(argv.err).toMatch(/visible in `ps`/)
    const nosuch = await cli(['--profile', 'nosuch', 'whoami'])
    expect(nosuch.code).toBe(4)
    expect(nosuch.err).toContain('No profile "nosuch"')
    expect((await cli(['auth', 'remove', 'argv'])).code).toBe(0)
    const again = await cli(['auth', 'remove', 'argv'])
    expect(again.code).toBe(4)
    expect(again.err).toContain('No profile "argv"')
  })
  it('hook errors name the host, never the hook id (the credential)', async () => {
    const url = await deadUrl()
    const id = 'q7x3hookidsecret0000000000'
    for (const args of [
      ['hook', `${url}/hooks/${id}`, 'text'],
      ['--url', url, 'hook', id, 'text'],
    ]) {
      const r = await cli(args)
      expect(r.code).toBe(4)
      expect(r.err).toContain(new URL(url).host)
      expect(r.err).not.toContain(id)
    }
    // a server error answer (404 for an unknown hook) does not echo the id either
    const gone = await cli(['--url', emu.url, 'hook', id, 'text'])
    expect(gone.code).not.toBe(0)
    expect(gone.err).not.toContain(id)
  })
})

describe('terminal chat (journey D13)', () => {
  it('shows an ephemeral answer once, says a dialog opened, and /help lists the commands', async () => {
    const bot = createDemoBot(emu.url, emu.seed.users.bot.token)
    bot.command('standup', async ctx => {
      await ctx.openDialog({ callback_id: 'standup', title: 'Standup', elements: [] })
    })
    await bot.start()
    try {
      const chat = start([...as('alice'), 'chat', 'town-square'])
      await chat.waitFor(/Connected as @alice/)
      chat.child.stdin.write('/deploy web\n')
      await chat.waitFor(/\(only you\) Approval requested for web\./)
      chat.child.stdin.write('/standup\n')
      await chat.waitFor(/\(dialog 'Standup' opened — not shown in the terminal chat\)/)
      chat.child.stdin.write('/help\n')
      await chat.waitFor(/\/deploy/)
      chat.child.stdin.write('/nosuchcommand\n')
      await chat.waitFor(/nosuchcommand: no such command here/)
      chat.child.stdin.end()
      const end = await chat.exited
      expect(end.code, end.err).toBe(0)
      expect(end.out.match(/Approval requested for web/g)).toHaveLength(1)
      expect(end.out).not.toMatch(/404|Check the id or name/)
      expect(end.out).toMatch(/Type a message/)
    } finally {
      await bot.stop()
    }
  }, 20_000)
})

describe('matterkit dev (journey D13)', () => {
  it('restarts the bot when a module in a subdirectory changes', async () => {
    const botDir = mkdtempSync(join(tmpdir(), 'mkdev-journey-'))
    const { mkdirSync } = await import('node:fs')
    mkdirSync(join(botDir, 'lib'))
    writeFileSync(join(botDir, 'lib', 'word.mjs'), "export const word = 'first'\n")
    writeFileSync(join(botDir, 'bot.mjs'), "import './lib/word.mjs'\nsetInterval(() => {}, 1000)\n")
    const dev = start(['dev', join(botDir, 'bot.mjs'), '--port', '0', '--no-persist'], {
      env: { CI: 'true' },
    })
    try {
      await dev.waitFor(/No terminal: Ctrl-C to stop\./)
      writeFileSync(join(botDir, 'lib', 'word.mjs'), "export const word = 'second'\n")
      await dev.waitFor(/word\.mjs changed; restarting the bot\n▶ bot started/)
    } finally {
      dev.child.kill('SIGINT')
      await dev.exited
      rmSync(botDir, { recursive: true, force: true })
    }
  }, 20_000)
})
