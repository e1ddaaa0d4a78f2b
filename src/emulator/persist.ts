/**
 * Optional persistence for the emulator (`startEmulator({ persist: dir })`).
 *
 * Rows are written incrementally: every `store.touch(kind, key)` marks a row dirty and the dirty
 * rows are written in one transaction per event-loop turn (and on stop). Nothing is rewritten
 * wholesale. The database is SQLite through `better-sqlite3`, loaded lazily and only here; when
 * that optional package is not installed an append-only journal (`state.journal`, compacted at
 * start-up) is used instead. File bytes live beside it in `files/<id>`, as Mattermost's local
 * file store does.
 * @module
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Post } from '../types/index.js'
import type { Kind, Store } from './store.js'

type Row = [kind: Kind, key: string, value: string | null]

interface Backend {
  readonly name: 'sqlite' | 'journal'
  rows(): Row[]
  write(batch: Row[]): void
  close(): void
}

interface SqliteStatement {
  run(...args: unknown[]): unknown
  all(...args: unknown[]): unknown[]
}
interface SqliteDb {
  exec(sql: string): unknown
  prepare(sql: string): SqliteStatement
  transaction<F extends (...a: never[]) => unknown>(fn: F): F
  close(): void
}

function sqliteBackend(dir: string): Backend | undefined {
  let Database: new (file: string) => SqliteDb
  try {
    Database = createRequire(import.meta.url)('better-sqlite3') as typeof Database
  } catch {
    return undefined
  }
  const db = new Database(join(dir, 'state.sqlite'))
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = NORMAL')
  db.exec(
    'CREATE TABLE IF NOT EXISTS rows (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID',
  )
  const upsert = db.prepare('INSERT OR REPLACE INTO rows (kind, key, value) VALUES (?, ?, ?)')
  const del = db.prepare('DELETE FROM rows WHERE kind = ? AND key = ?')
  const tx = db.transaction((batch: Row[]) => {
    for (const [k, key, v] of batch) {
      if (v === null) del.run(k, key)
      else upsert.run(k, key, v)
    }
  })
  return {
    name: 'sqlite',
    rows: () =>
      (
        db.prepare('SELECT kind, key, value FROM rows').all() as Array<{
          kind: Kind
          key: string
          value: string
        }>
      ).map(r => [r.kind, r.key, r.value] as Row),
    write: batch => tx(batch),
    close: () => db.close(),
  }
}

function journalBackend(dir: string): Backend {
  const file = join(dir, 'state.journal')
  const current = new Map<string, Row>()
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue
      try {
        const row = JSON.parse(line) as Row
        const id = `${row[0]}\u0000${row[1]}`
        if (row[2] === null) current.delete(id)
        else current.set(id, row)
      } catch {
        // a torn last line after a crash: ignore it
      }
    }
  }
  // Compact once at start-up, then only append.
  const tmp = `${file}.tmp`
  writeFileSync(tmp, [...current.values()].map(r => `${JSON.stringify(r)}\n`).join(''))
  renameSync(tmp, file)
  return {
    name: 'journal',
    rows: () => [...current.values()],
    write: batch => appendFileSync(file, batch.map(r => `${JSON.stringify(r)}\n`).join('')),
    close: () => {},
  }
}

/** What `attachPersistence` returns. */
export interface Persistence {
  readonly backend: 'sqlite' | 'journal'
  /** Whether the directory already held state (the seed is then reloaded, not recreated). */
  readonly restored: boolean
  flush(): void
  close(): void
}

/** Load `dir` into `store` and keep writing its changes there. */
export function attachPersistence(
  store: Store,
  dir: string,
  using: 'auto' | 'sqlite' | 'journal' = 'auto',
): Persistence {
  mkdirSync(join(dir, 'files'), { recursive: true })
  const sqlite = using === 'journal' ? undefined : sqliteBackend(dir)
  if (using === 'sqlite' && !sqlite)
    throw new Error(
      "persistWith: 'sqlite' needs the optional package better-sqlite3: run `npm install better-sqlite3` (or use persistWith: 'journal').",
    )
  const backend = sqlite ?? journalBackend(dir)
  const rows = backend.rows()
  load(store, dir, rows)
  const dirty = new Map<string, [Kind, string]>()
  let scheduled = false
  const flush = (): void => {
    scheduled = false
    if (!dirty.size) return
    const batch: Row[] = []
    for (const [kind, key] of dirty.values()) {
      const value = read(store, kind, key)
      if (kind === 'file' && value !== undefined) {
        const f = store.files.get(key)!
        const path = join(dir, 'files', key)
        if (!existsSync(path)) writeFileSync(path, f.data)
        batch.push([kind, key, JSON.stringify(f.info)])
        continue
      }
      batch.push([kind, key, value === undefined ? null : JSON.stringify(value)])
    }
    dirty.clear()
    backend.write(batch)
  }
  store.onTouch = (kind, key) => {
    dirty.set(`${kind}\u0000${key}`, [kind, key])
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  }
  return {
    backend: backend.name,
    restored: rows.length > 0,
    flush,
    close() {
      flush()
      store.onTouch = undefined
      backend.close()
    },
  }
}

/** The current value of a row, or undefined when it no longer exists. */
function read(store: Store, kind: Kind, key: string): unknown {
  const [a = '', b = ''] = key.split(':')
  switch (kind) {
    case 'user':
      return store.users.get(key)
    case 'session':
      return store.sessions.get(key)
    case 'token':
      return store.tokens.get(key)
    case 'bot':
      return store.bots.get(key)
    case 'team':
      return store.teams.get(key)
    case 'teamMember':
      return store.isTeamMember(a, b) ? 1 : undefined
    case 'channel':
      return store.channels.get(key)
    case 'channelMember':
      return store.channelMembers.get(a)?.get(b)
    case 'post':
      return store.posts.get(key)
    case 'reactions': {
      const list = store.reactions.get(key)
      return list?.length ? list : undefined
    }
    case 'file':
      return store.files.get(key)?.info
    case 'status':
      return store.statuses.get(key)
    case 'prefs':
      return store.preferences.get(key)
    case 'command':
      return store.commands.get(key)
    case 'inhook':
      return store.incomingHooks.get(key)
    case 'outhook':
      return store.outgoingHooks.get(key)
    case 'meta':
      return store.meta.get(key)
  }
}

function load(store: Store, dir: string, rows: Row[]): void {
  const by = new Map<Kind, Array<[string, unknown]>>()
  for (const [kind, key, value] of rows) {
    if (value === null) continue
    let list = by.get(kind)
    if (!list) by.set(kind, (list = []))
    list.push([key, JSON.parse(value)])
  }
  const each = <T>(kind: Kind, fn: (key: string, v: T) => void): void => {
    for (const [k, v] of by.get(kind) ?? []) fn(k, v as T)
  }
  const listener = store.onTouch
  store.onTouch = undefined
  each<typeof store.users extends Map<string, infer U> ? U : never>('user', (_, u) => store.putUser(u))
  each<import('./store.js').Session>('session', (k, s) => store.sessions.set(k, s))
  each<import('./store.js').StoredToken>('token', (k, t) => store.tokens.set(k, t))
  each<import('../types/index.js').BotAccount>('bot', (k, b) => store.bots.set(k, b))
  each<import('../types/index.js').Team>('team', (k, t) => {
    store.teams.set(k, t)
    store.teamMembers.set(k, new Set())
  })
  each<number>('teamMember', k => {
    const [t = '', u = ''] = k.split(':')
    store.teamMembers.get(t)?.add(u)
  })
  each<import('../types/index.js').Channel>('channel', (_, c) => store.putChannel(c))
  each<import('../types/index.js').ChannelMember>('channelMember', (_, m) =>
    store.channelMembers.get(m.channel_id)?.set(m.user_id, m),
  )
  const posts: Post[] = []
  each<Post>('post', (_, p) => posts.push(p))
  posts.sort((x, y) => x.create_at - y.create_at)
  for (const p of posts) {
    store.posts.set(p.id, p)
    store.postsByChannel.get(p.channel_id)?.push(p)
  }
  each<import('../types/index.js').Reaction[]>('reactions', (k, r) => store.reactions.set(k, r))
  each<import('../types/index.js').FileInfo>('file', (k, info) => {
    const path = join(dir, 'files', k)
    if (existsSync(path)) store.files.set(k, { info, data: readFileSync(path) })
  })
  each<import('../types/index.js').UserStatus>('status', (k, s) => store.statuses.set(k, s))
  each<import('../types/index.js').Preference[]>('prefs', (k, p) => store.preferences.set(k, p))
  each<import('../types/index.js').Command>('command', (k, c) => store.commands.set(k, c))
  each<import('../types/index.js').IncomingWebhook>('inhook', (k, h) => store.incomingHooks.set(k, h))
  each<import('../types/index.js').OutgoingWebhook>('outhook', (k, h) => store.outgoingHooks.set(k, h))
  each<unknown>('meta', (k, v) => store.meta.set(k, v))
  store.onTouch = listener
}
