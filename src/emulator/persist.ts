/**
 * Optional persistence for the emulator (`startEmulator({ persist: dir })`).
 *
 * Rows are written incrementally: every `store.touch(kind, key)` marks a row dirty and the dirty
 * rows are written in one batch per event-loop turn (and on stop). A reply waits for the batch
 * holding its changes (`durable()`, awaited by app.ts), so a 2xx means the change is on disk, and
 * WebSocket events leave after it too. The store is an append-only journal (`state.journal`,
 * compacted at start-up), or SQLite through `better-sqlite3` (WAL, one transaction per batch) when
 * the user installed that optional peer, loaded lazily and only here (decision 5). Neither syncs
 * to the disk per batch: a batch is in the OS once written, which survives the emulator being
 * killed (kill -9, a crash), not the machine losing power. State that cannot be read back stops
 * start-up with a `CorruptStateError`; nothing is dropped or rewritten, except a journal's torn
 * last line (see `readJournal`). File bytes live beside it in `files/<id>`, as Mattermost's local
 * file store does.
 * @module
 */

import { isUtf8 } from 'node:buffer'
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Post } from '../types/index.js'
import { CorruptStateError } from './corrupt-state-error.js'
import type { Store } from './store.js'
import type { Kind } from './store-types.js'

/** A row as written: kind, key and the JSON of its value (null: deleted). */
type Row = [kind: Kind, key: string, value: string | null]
/** A row as read back: the value parsed. */
type Loaded = [kind: Kind, key: string, value: unknown]

const KINDS: ReadonlySet<string> = new Set<Kind>([
  'user',
  'session',
  'token',
  'bot',
  'team',
  'teamMember',
  'channel',
  'channelMember',
  'post',
  'reactions',
  'edits',
  'threadMember',
  'file',
  'status',
  'prefs',
  'command',
  'inhook',
  'outhook',
  'meta',
])

interface Backend {
  readonly name: 'sqlite' | 'journal'
  readonly file: string
  /** The rows read at open, validated. */
  readonly rows: Loaded[]
  /** Start writing (called once the rows are loaded and checked). */
  open(): void
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
type SqliteOpen = new (file: string, opts?: { readonly?: boolean; fileMustExist?: boolean }) => SqliteDb

/** What a damaged journal line or SQLite row is refused for, or undefined when it is a valid row. */
function rowProblem(kind: unknown, key: unknown, value: unknown): string | undefined {
  if (typeof kind !== 'string' || !KINDS.has(kind)) return `unknown row kind ${JSON.stringify(kind)}`
  if (typeof key !== 'string') return 'the row key is not a string'
  if (value !== null && typeof value !== 'string') return 'the row value is not a JSON string'
  return undefined
}

/** A JSON.parse failure without the excerpt V8 quotes (the line may hold a token): the position only. */
function jsonProblem(err: unknown): string {
  const at = /position (\d+)/.exec((err as Error).message)?.[1]
  return at === undefined ? 'not valid JSON' : `not valid JSON at character ${at}`
}

/** A SQLite row for an error message; session keys are tokens, so they are left out. */
function rowName(kind: unknown, key: unknown): string {
  return kind === 'session' ? `row ${String(kind)}` : `row ${String(kind)} ${String(key)}`
}

function parseValue(value: string | null): unknown {
  return value === null ? null : JSON.parse(value)
}

function sqliteBackend(dir: string): Backend | undefined {
  let Database: SqliteOpen
  try {
    Database = createRequire(import.meta.url)('better-sqlite3') as SqliteOpen
  } catch {
    return undefined
  }
  const file = join(dir, 'state.sqlite')
  const rows: Loaded[] = []
  if (existsSync(file)) {
    // Read and check through a read-only connection first: a damaged file is then refused before
    // anything (WAL mode, the table, a checkpoint on close) could write to it.
    let ro: SqliteDb | undefined
    // a read-only connection to a WAL database still creates its -wal and -shm side files
    const sideFiles = [`${file}-wal`, `${file}-shm`].filter(f => !existsSync(f))
    try {
      ro = new Database(file, { readonly: true, fileMustExist: true })
      const check = ro.prepare('PRAGMA quick_check').all() as Array<{ quick_check: string }>
      const bad = check
        .flatMap(r => r.quick_check.split('\n'))
        .filter(m => m && m !== 'ok' && !m.startsWith('***'))
      if (bad.length)
        throw new CorruptStateError(
          file,
          {},
          `SQLite's integrity check failed (${bad.slice(0, 3).join('; ')})`,
        )
      const hasTable = ro
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'rows'")
        .all().length
      if (hasTable) {
        for (const r of ro.prepare('SELECT kind, key, value FROM rows').all() as Array<
          Record<string, unknown>
        >) {
          const row = rowName(r.kind, r.key)
          const problem = rowProblem(r.kind, r.key, r.value)
          if (problem) throw new CorruptStateError(file, { row }, problem)
          try {
            rows.push([r.kind as Kind, r.key as string, parseValue(r.value as string | null)])
          } catch (err) {
            throw new CorruptStateError(file, { row }, `the value is ${jsonProblem(err)}`)
          }
        }
      }
    } catch (err) {
      ro?.close()
      ro = undefined
      for (const f of sideFiles) rmSync(f, { force: true }) // refused: leave the directory as it was
      if (err instanceof CorruptStateError) throw err
      // better-sqlite3's SqliteError: "file is not a database", "database disk image is malformed"
      throw new CorruptStateError(file, {}, `SQLite cannot read it: ${(err as Error).message}`, {
        cause: err,
      })
    } finally {
      ro?.close()
    }
  }
  let db: SqliteDb | undefined
  let tx: ((batch: Row[]) => void) | undefined
  return {
    name: 'sqlite',
    file,
    rows,
    open() {
      const d = new Database(file)
      db = d
      d.exec('PRAGMA journal_mode = WAL')
      // NORMAL: a commit is in the WAL (the OS page cache) when it returns, which survives the
      // process being killed; FULL would add an fsync per batch, needed only against power loss.
      d.exec('PRAGMA synchronous = NORMAL')
      d.exec(
        'CREATE TABLE IF NOT EXISTS rows (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID',
      )
      const upsert = d.prepare('INSERT OR REPLACE INTO rows (kind, key, value) VALUES (?, ?, ?)')
      const del = d.prepare('DELETE FROM rows WHERE kind = ? AND key = ?')
      tx = d.transaction((batch: Row[]) => {
        for (const [k, key, v] of batch) {
          if (v === null) del.run(k, key)
          else upsert.run(k, key, v)
        }
      })
    },
    write: batch => tx!(batch),
    close: () => db?.close(),
  }
}

/**
 * Read `state.journal` line by line. Any line that is not a complete, valid row stops start-up
 * (CorruptStateError with its line and byte offset). One exception: a last line without its
 * newline is a batch write cut short by a crash. Replies wait for their batch's write to return,
 * so nothing in it was acknowledged; its bytes are copied to `<file>.torn-<offset>`, cut from the
 * journal and reported through `warn`. (A file truncated mid-line looks the same and is handled
 * the same way; one cut exactly at a line end cannot be told from an older journal.)
 */
/** A last line without its newline: where it starts, and its bytes. */
interface TornTail {
  line: number
  offset: number
  bytes: Buffer
}

/**
 * Read `state.journal` line by line. Any line that is not a complete, valid row stops start-up
 * (CorruptStateError with its line and byte offset). One exception: a last line without its
 * newline is a batch write cut short by a crash. Replies wait for their batch's write to return,
 * so nothing in it was acknowledged: it is returned as `torn`, to be cut from the journal (its
 * bytes kept beside it) once everything else has been checked. A file truncated mid-line looks
 * the same and is handled the same way; one cut exactly at a line end cannot be told from an
 * older journal.
 */
function readJournal(file: string): { rows: Loaded[]; torn: TornTail | undefined } {
  const buf = readFileSync(file)
  const rows: Loaded[] = []
  const utf8 = isUtf8(buf)
  let at = 0
  let line = 0
  while (at < buf.length) {
    line++
    const nl = buf.indexOf(10, at)
    if (nl === -1) return { rows, torn: { line, offset: at, bytes: buf.subarray(at) } }
    const bytes = buf.subarray(at, nl)
    const fail = (reason: string): never => {
      throw new CorruptStateError(file, { line, offset: at }, reason)
    }
    if (!utf8 && !isUtf8(bytes)) fail('the line is not valid UTF-8')
    let row: unknown
    try {
      row = JSON.parse(bytes.toString('utf8'))
    } catch (err) {
      fail(`the line is ${jsonProblem(err)}`)
    }
    if (!Array.isArray(row) || row.length !== 3) fail('the line is not a [kind, key, value] row')
    const [kind, key, value] = row as unknown[]
    const problem = rowProblem(kind, key, value)
    if (problem) fail(problem)
    try {
      rows.push([kind as Kind, key as string, parseValue(value as string | null)])
    } catch (err) {
      fail(`the row value is ${jsonProblem(err)}`)
    }
    at = nl + 1
  }
  return { rows, torn: undefined }
}

/** Keep a torn last line's bytes in `<file>.torn-<offset>`, then cut it from the journal. */
function cutTornTail(file: string, torn: TornTail, warn: (line: string) => void): void {
  let copy = `${file}.torn-${torn.offset}`
  if (existsSync(copy)) copy += `-${Date.now()}`
  writeFileSync(copy, torn.bytes)
  const fd = openSync(file, 'r+')
  try {
    ftruncateSync(fd, torn.offset)
  } finally {
    closeSync(fd)
  }
  warn(
    `emulator: ${file} ended in an incomplete line ${torn.line} (byte ${torn.offset}, ${torn.bytes.length} bytes), ` +
      `a write cut short by a crash and never acknowledged; it was cut from the journal and its bytes kept in ${copy}.`,
  )
}

function journalBackend(dir: string, warn: (line: string) => void): Backend {
  const file = join(dir, 'state.journal')
  const read = existsSync(file) ? readJournal(file) : { rows: [], torn: undefined }
  // Later lines win; a null value deletes.
  const current = new Map<string, Loaded>()
  for (const row of read.rows) {
    const id = `${row[0]}\u0000${row[1]}`
    if (row[2] === null) current.delete(id)
    else current.set(id, row)
  }
  let fd: number | undefined
  let size = 0
  return {
    name: 'journal',
    file,
    rows: [...current.values()],
    open() {
      if (read.torn) {
        // the file stays the original's prefix (no compaction) until the next start
        cutTornTail(file, read.torn, warn)
      } else {
        // Compact once at start-up, then only append.
        const tmp = `${file}.tmp`
        const text = [...current.values()].map(
          ([k, key, v]) => `${JSON.stringify([k, key, JSON.stringify(v)])}\n`,
        )
        const t = openSync(tmp, 'w')
        try {
          writeSync(t, text.join(''))
          fsyncSync(t) // so that the rename cannot leave an empty journal after a power loss
        } finally {
          closeSync(t)
        }
        renameSync(tmp, file)
      }
      fd = openSync(file, 'a')
      size = fstatSync(fd).size
    },
    write(batch) {
      const buf = Buffer.from(batch.map(r => `${JSON.stringify(r)}\n`).join(''))
      try {
        for (let off = 0; off < buf.length; ) off += writeSync(fd!, buf, off)
        size += buf.length
      } catch (err) {
        // never leave a partial line for the next batch to be glued to
        ftruncateSync(fd!, size)
        throw err
      }
    },
    close: () => {
      if (fd !== undefined) closeSync(fd)
    },
  }
}

/** What `attachPersistence` returns. */
export interface Persistence {
  readonly backend: 'sqlite' | 'journal'
  /** Whether the directory already held state (the seed is then reloaded, not recreated). */
  readonly restored: boolean
  /** Write every pending change now; throws when the store refuses the write. */
  flush(): void
  /**
   * Undefined when every change made so far is written; else a promise that settles once it is
   * (rejected when the write failed: the reply must then not be a success).
   */
  durable(): Promise<void> | undefined
  /** Write pending changes now if there are any (before WebSocket events leave); never throws. */
  commit(): void
  close(): void
}

/** How `attachPersistence` is told about the seed and where it warns. */
export interface PersistOptions {
  using?: 'auto' | 'sqlite' | 'journal'
  /** Whether a seed is wanted: restored state without one is refused rather than seeded twice. */
  seed?: boolean
  warn?: (line: string) => void
}

/** Load `dir` into `store` and keep writing its changes there. */
export function attachPersistence(store: Store, dir: string, opts: PersistOptions = {}): Persistence {
  const using = opts.using ?? 'auto'
  const warn = opts.warn ?? (line => process.stderr.write(`${line}\n`))
  mkdirSync(join(dir, 'files'), { recursive: true })
  const sqlite = using === 'journal' ? undefined : sqliteBackend(dir)
  if (using === 'sqlite' && !sqlite)
    throw new Error(
      "persistWith: 'sqlite' needs the optional package better-sqlite3: run `npm install better-sqlite3` (or use persistWith: 'journal').",
    )
  const backend = sqlite ?? journalBackend(dir, warn)
  const rows = backend.rows
  if (rows.length && opts.seed !== false && !rows.some(([k, key]) => k === 'meta' && key === 'seed'))
    throw new CorruptStateError(
      backend.file,
      {},
      'it holds state but no seed row, and a new seed would duplicate the seeded team and users (start with seed: false if it was made that way)',
    )
  load(store, dir, rows)
  backend.open()
  const dirty = new Map<string, [Kind, string]>()
  let scheduled = false
  let waiting: { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } | undefined
  const flush = (): void => {
    if (!dirty.size) return
    const batch: Row[] = []
    for (const [kind, key] of dirty.values()) {
      const value = read(store, kind, key)
      if (kind === 'file' && value !== undefined) {
        const f = store.files.get(key)!
        const path = join(dir, 'files', key)
        if (!existsSync(path)) {
          // whole or absent: a write cut short must not pass for the file on the next try
          writeFileSync(`${path}.tmp`, f.data)
          renameSync(`${path}.tmp`, path)
        }
        batch.push([kind, key, JSON.stringify(f.info)])
        continue
      }
      batch.push([kind, key, value === undefined ? null : JSON.stringify(value)])
    }
    const keys = [...dirty]
    dirty.clear()
    try {
      backend.write(batch)
    } catch (err) {
      // still unwritten: the next batch tries again
      for (const [id, row] of keys) if (!dirty.has(id)) dirty.set(id, row)
      throw err
    }
  }
  /** Flush and settle the replies waiting for it; `rethrow` for stop(), else a failure is reported to them. */
  const commit = (rethrow = false): void => {
    scheduled = false
    const w = waiting
    waiting = undefined
    try {
      flush()
      w?.resolve()
    } catch (err) {
      w?.reject(err)
      if (rethrow) throw err
      if (!w) warn(`emulator: writing state to ${backend.file} failed: ${(err as Error).message}`)
    }
  }
  const schedule = (): void => {
    if (scheduled) return
    scheduled = true
    setImmediate(() => commit())
  }
  store.onTouch = (kind, key) => {
    dirty.set(`${kind}\u0000${key}`, [kind, key])
    schedule()
  }
  return {
    backend: backend.name,
    restored: rows.length > 0,
    flush,
    durable() {
      if (!dirty.size) return undefined
      schedule()
      if (!waiting) {
        let resolve!: () => void
        let reject!: (err: unknown) => void
        const promise = new Promise<void>((res, rej) => {
          resolve = res
          reject = rej
        })
        waiting = { promise, resolve, reject }
      }
      return waiting.promise
    },
    commit() {
      if (dirty.size) commit()
    },
    close() {
      commit(true)
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
      // 1 a member, 2 a member with team_admin
      return store.isTeamMember(a, b) ? (store.teamAdmins.has(key) ? 2 : 1) : undefined
    case 'channel':
      return store.channels.get(key)
    case 'channelMember':
      return store.channelMembers.get(a)?.get(b)
    case 'post':
      return store.posts.get(key)
    case 'threadMember':
      return store.threadMembers.get(key)
    case 'edits':
      return store.edits.get(key)
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

function load(store: Store, dir: string, rows: Loaded[]): void {
  const by = new Map<Kind, Array<[string, unknown]>>()
  for (const [kind, key, value] of rows) {
    if (value === null) continue
    let list = by.get(kind)
    if (!list) by.set(kind, (list = []))
    list.push([key, value])
  }
  const each = <T>(kind: Kind, fn: (key: string, v: T) => void): void => {
    for (const [k, v] of by.get(kind) ?? []) fn(k, v as T)
  }
  const listener = store.onTouch
  store.onTouch = undefined
  each<typeof store.users extends Map<string, infer U> ? U : never>('user', (_, u) => store.putUser(u))
  each<import('./store-types.js').Session>('session', (k, s) => store.sessions.set(k, s))
  each<import('./store-types.js').StoredToken>('token', (k, t) => store.tokens.set(k, t))
  each<import('../types/index.js').BotAccount>('bot', (k, b) => store.bots.set(k, b))
  each<import('../types/index.js').Team>('team', (k, t) => {
    store.teams.set(k, t)
    store.teamMembers.set(k, new Set())
  })
  each<number>('teamMember', (k, v) => {
    const [t = '', u = ''] = k.split(':')
    store.teamMembers.get(t)?.add(u)
    if (v === 2) store.teamAdmins.add(k)
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
  each<Post[]>('edits', (k, list) => store.edits.set(k, list))
  each<import('./threads.js').ThreadMember>('threadMember', (k, m) => store.threadMembers.set(k, m))
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
