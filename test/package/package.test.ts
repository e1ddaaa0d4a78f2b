// Pack the package, install the tarball into an empty project, and use it the way users do:
// ESM import, CommonJS require, types, and the CLI.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const hasDist = existsSync(join(root, 'dist/index.js'))
let project = ''
let files: string[] = []

describe.skipIf(!hasDist)('packed package (needs `npm run build`)', () => {
  beforeAll(() => {
    const out = mkdtempSync(join(tmpdir(), 'mkpack-'))
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: root, encoding: 'utf8' }),
    ) as Array<{
      filename: string
      files: Array<{ path: string }>
    }>
    files = packed[0]!.files.map(f => f.path)
    project = mkdtempSync(join(tmpdir(), 'mkconsumer-'))
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }),
    )
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', join(out, packed[0]!.filename)],
      { cwd: project, stdio: 'pipe' },
    )
  }, 120_000)

  it('ships no tests or dev files', () => {
    expect(files.some(f => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('bench/'))).toBe(
      false,
    )
    expect(files).toContain('dist/index.js')
    expect(files).toContain('bin/matterkit.js')
  })

  it('works from ESM import and CommonJS require', () => {
    writeFileSync(
      join(project, 'esm.mjs'),
      `import { Client, Bot } from 'matterkit'; import { startEmulator } from 'matterkit/emulator';
       const emu = await startEmulator(); const c = new Client({ url: emu.url, token: emu.seed.users.bot.token });
       console.log((await c.users.me()).username, typeof Bot); await c.close(); await emu.stop()`,
    )
    expect(execFileSync('node', ['esm.mjs'], { cwd: project, encoding: 'utf8' }).trim()).toBe(
      'matterbot function',
    )
    writeFileSync(
      join(project, 'cjs.cjs'),
      `const { Client, Bot } = require('matterkit'); console.log(typeof Client, typeof Bot)`,
    )
    expect(execFileSync('node', ['cjs.cjs'], { cwd: project, encoding: 'utf8' }).trim()).toBe(
      'function function',
    )
  })

  it('type-checks a consumer file', () => {
    writeFileSync(
      join(project, 'use.ts'),
      `import { Bot, Client, type Post } from 'matterkit'
       import { startEmulator } from 'matterkit/emulator'
       const mm = new Client({ url: 'chat.example.com', token: 't' })
       const p: Promise<Post> = mm.posts.create({ channel_id: 'c', message: 'hi' })
       const bot = new Bot({ url: 'x', token: 't' })
       bot.message(/^ping$/, ctx => ctx.reply('pong'))
       mm.realtime().on('posted', ev => ev.post.message.toUpperCase())
       void p; void startEmulator`,
    )
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        files: ['use.ts'],
      }),
    )
    execFileSync('node', [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], {
      cwd: project,
      stdio: 'pipe',
    })
  }, 60_000)

  it('npx matterkit --help', () => {
    expect(
      execFileSync('npx', ['--no-install', 'matterkit', '--help'], { cwd: project, encoding: 'utf8' }),
    ).toMatch(/doctor/)
  })
})
