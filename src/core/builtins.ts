/**
 * Internal: Node built-ins loaded on first use, so that `import('matterkit')` does not pay for
 * `http`, `https`, `tls` or `crypto` before they are needed (`fs` and `path` are loaded by Node's
 * own start-up, so they are imported normally).
 * @module
 */
import { createRequire } from 'node:module'

type Builtins = {
  'node:http': typeof import('node:http')
  'node:https': typeof import('node:https')
  'node:crypto': typeof import('node:crypto')
  'node:stream': typeof import('node:stream')
  'node:fs': typeof import('node:fs')
  'node:path': typeof import('node:path')
  'node:util': typeof import('node:util')
}

let req: NodeRequire | undefined

/** @internal A Node built-in, loaded synchronously on first use (`process.getBuiltinModule`). */
export function builtin<K extends keyof Builtins>(id: K): Builtins[K] {
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule
  if (get) return get(id) as Builtins[K]
  req ??= createRequire(import.meta.url)
  return req(id) as Builtins[K]
}
