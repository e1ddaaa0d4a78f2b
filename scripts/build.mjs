// Build: type declarations with tsc, JavaScript with rolldown (`npm run build`).
//
// Why a bundle: Node's ESM loader pays per module (resolve, realpath, read, compile). The package
// has ~90 modules; loading them one by one cost ~70 ms of start-up on our machine, bundled into a
// few files ~20 ms (docs/decisions.md, "One bundle per entry point"). The bundle is plain ESM
// (Node >= 20.19 `require()`s it too); dependencies (`ws`, `undici`, ...) and Node built-ins stay
// imports, so users dedupe them as usual. Entry points share chunks under dist/chunks/.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'rolldown'

const root = fileURLToPath(new URL('..', import.meta.url))

rmSync(`${root}dist`, { recursive: true, force: true })

// 1. Declarations (dist/**/*.d.ts, mirroring src/).
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
})

// 2. JavaScript: one file per public entry point, shared code in chunks. Every bare specifier
// (Node built-ins, dependencies, optional packages such as better-sqlite3) stays an import.
const external = id => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0')

await build({
  cwd: root,
  input: {
    index: 'src/index.ts',
    'emulator/index': 'src/emulator/index.ts',
    'testing/index': 'src/testing/index.ts',
    'cli/main': 'src/cli/main.ts',
  },
  platform: 'node',
  external,
  tsconfig: 'tsconfig.build.json',
  treeshake: true,
  output: {
    dir: 'dist',
    format: 'esm',
    sourcemap: true,
    // TSDoc lives in the .d.ts files; the JS carries no comments (less to parse at import).
    comments: false,
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
  },
  logLevel: 'warn',
})
