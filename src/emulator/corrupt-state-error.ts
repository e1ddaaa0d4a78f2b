/**
 * The error that stops the emulator from starting on a `persist` directory it cannot read back.
 * @module
 */

/** Where in a state file the damage is: a journal line (1-based) and its byte offset, or a SQLite row. */
export interface StateLocation {
  line?: number
  offset?: number
  row?: string
}

/**
 * A `persist` directory holds state the emulator cannot load as written (a damaged journal line,
 * a damaged SQLite file, or state without its seed). Start-up stops and nothing was changed: the
 * message names the file and where, and how to recover.
 *
 * @example
 * ```ts
 * try { await startEmulator({ persist: '.matterkit/state' }) } catch (err) {
 *   if (err instanceof CorruptStateError) console.error(err.message, err.file, err.line)
 * }
 * ```
 */
export class CorruptStateError extends Error {
  readonly code = 'MK_ERR_CORRUPT_STATE'
  /** 1-based line of the journal, when the damage is in one. */
  readonly line: number | undefined
  /** Byte offset of that line (or of the damage) in the file. */
  readonly offset: number | undefined

  constructor(
    /** The damaged file. */
    readonly file: string,
    at: StateLocation,
    reason: string,
    options?: { cause?: unknown },
  ) {
    const where = [
      at.line !== undefined ? `line ${at.line}` : '',
      at.offset !== undefined ? `byte ${at.offset}` : '',
      at.row ?? '',
    ]
      .filter(Boolean)
      .join(', ')
    super(
      `${file}${where ? ` (${where})` : ''}: ${reason}. The emulator did not start and changed nothing: ` +
        'move the file (or its directory) away to start fresh, or restore a backup.',
      options,
    )
    this.name = 'CorruptStateError'
    this.line = at.line
    this.offset = at.offset
  }
}
