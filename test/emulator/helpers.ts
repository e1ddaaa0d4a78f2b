/** Test helpers: a seeded emulator, and raw HTTP and WebSocket access to it (no matterkit client code). */
import WebSocket from 'ws'
import { type Emulator, type EmulatorOptions, startEmulator } from '../../src/emulator/index.js'

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON in tests
type Json = any

/**
 * Options for suites about integration rules, where alice (a plain member) owns commands and
 * webhooks: a server with `EnableOnlyAdminIntegrations` off lets members manage their own.
 */
export const MEMBER_INTEGRATIONS: EmulatorOptions = { config: { EnableOnlyAdminIntegrations: false } }

/** An emulator and its seed by the short names the tests use: user tokens and team / channel ids. */
export interface Seeded {
  emu: Emulator
  // tokens of the seeded users
  admin: string
  alice: string
  bob: string
  bot: string
  // ids of the seeded team and channels
  team: string
  town: string
  off: string
  priv: string
}

/** Start an emulator and name its seed; destructure what a test file needs. */
export async function startSeeded(opts: EmulatorOptions = {}): Promise<Seeded> {
  const emu = await startEmulator(opts)
  const { users, team, channels } = emu.seed
  return {
    emu,
    admin: users.admin.token,
    alice: users.alice.token,
    bob: users.bob.token,
    bot: users.bot.token,
    team: team.id,
    town: channels.townSquare.id,
    off: channels.offTopic.id,
    priv: channels.privateRoom.id,
  }
}

export interface Res<T = Json> {
  status: number
  headers: Headers
  body: T
  text: string
}

/** One REST call with a Bearer token. `body` is JSON-encoded unless it is a string/Buffer. */
export async function api<T = Json>(
  emu: Emulator,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Res<T>> {
  const h: Record<string, string> = { ...headers }
  if (token) h.Authorization = `Bearer ${token}`
  let payload: string | Buffer | undefined
  if (typeof body === 'string' || Buffer.isBuffer(body)) payload = body
  else if (body !== undefined) {
    payload = JSON.stringify(body)
    h['Content-Type'] ??= 'application/json'
  }
  const res = await fetch(`${emu.url}${path}`, { method, headers: h, body: payload })
  const text = await res.text()
  let parsed: unknown = text
  if (res.headers.get('content-type') === 'application/json') parsed = JSON.parse(text)
  return { status: res.status, headers: res.headers, body: parsed as T, text }
}

export interface WsEvent {
  event?: string
  data?: Json
  broadcast?: Json
  seq?: number
  status?: string
  seq_reply?: number
  error?: Json
}

/** A WebSocket that records every frame and lets tests wait for one. */
export class Sock {
  frames: WsEvent[] = []
  closed = false
  closeCode = 0
  private waiters: Array<() => void> = []
  private constructor(readonly ws: WebSocket) {
    ws.on('message', raw => {
      this.frames.push(JSON.parse(String(raw)))
      for (const w of this.waiters.splice(0)) w()
    })
    ws.on('close', code => {
      this.closed = true
      this.closeCode = code
      for (const w of this.waiters.splice(0)) w()
    })
    ws.on('error', () => {})
  }

  /** Open `/api/v4/websocket` (header auth when `token` is given). */
  static async open(emu: Emulator, token?: string, query = ''): Promise<Sock> {
    const url = `${emu.url.replace('http', 'ws')}/api/v4/websocket${query}`
    const ws = new WebSocket(url, token ? { headers: { Authorization: `Bearer ${token}` } } : {})
    const s = new Sock(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('close', () => resolve())
      ws.once('error', err => {
        // refused or cut during the upgrade: a closed socket, as the tests expect
        if (/hang up|ECONNRESET|Unexpected server response/.test(String(err))) {
          s.closed = true
          resolve()
        } else reject(err)
      })
    })
    return s
  }

  events(name?: string): WsEvent[] {
    return this.frames.filter(f => f.event !== undefined && (!name || f.event === name))
  }

  /** Wait until `pred` holds over the recorded frames (rejects after `ms`). */
  async until<T>(pred: (s: Sock) => T | undefined | false, ms = 3000): Promise<T> {
    const deadline = Date.now() + ms
    for (;;) {
      const v = pred(this)
      if (v) return v
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out; frames: ${JSON.stringify(this.frames.slice(-5))}`)
      await new Promise<void>(r => {
        const t = setTimeout(r, left)
        this.waiters.push(() => {
          clearTimeout(t)
          r()
        })
      })
    }
  }

  event(name: string, match: (e: WsEvent) => boolean = () => true, ms?: number): Promise<WsEvent> {
    return this.until(s => s.events(name).find(match), ms)
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg))
  }

  close(): void {
    this.ws.terminate()
  }
}

/** Wait a little for events that must NOT arrive (used only to assert absence). */
export const settle = (ms = 150): Promise<void> => new Promise(r => setTimeout(r, ms))
