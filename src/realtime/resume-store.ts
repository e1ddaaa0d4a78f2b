/**
 * Where the realtime client keeps what it needs to resume (`connection_id`, last `seq`, the
 * time of the last post seen), so a restarted process within the server's window resumes too.
 * @module
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Resume state. */
export interface ResumeState {
  connectionId: string
  lastSeq: number
  /** Server time (ms) of the newest post seen; the REST backfill starts here. */
  lastPostAt: number
}

/** Pluggable persistence for {@link ResumeState}. */
export interface ResumeStore {
  load(): Promise<ResumeState | undefined>
  save(state: ResumeState): Promise<void>
}

/** Keeps state in memory (the default). */
export class MemoryResumeStore implements ResumeStore {
  #state: ResumeState | undefined
  async load(): Promise<ResumeState | undefined> {
    return this.#state
  }
  async save(state: ResumeState): Promise<void> {
    this.#state = { ...state }
  }
}

/**
 * Keeps state in a JSON file (written atomically).
 *
 * @example
 * ```ts
 * const rt = mm.realtime({ resumeStore: new FileResumeStore('.matterkit/resume.json') })
 * ```
 */
export class FileResumeStore implements ResumeStore {
  constructor(readonly path: string) {}
  async load(): Promise<ResumeState | undefined> {
    try {
      const v = JSON.parse(await readFile(this.path, 'utf8')) as ResumeState
      return typeof v.connectionId === 'string' && typeof v.lastSeq === 'number' ? v : undefined
    } catch {
      return undefined
    }
  }
  async save(state: ResumeState): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true })
    const tmp = `${this.path}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify(state))
    await rename(tmp, this.path)
  }
}
