/** Shared setup for the conformance tests: the official @mattermost/client against an emulator. */
import { Client4, WebSocketClient } from '@mattermost/client'
import { expect } from 'vitest'
import WebSocket from 'ws'
import type { Emulator } from '../../src/emulator/index.js'

/** WebSocketClient expects the browser's WebSocket and CloseEvent globals: give it `ws` and a stand-in. */
export function installWebSocketGlobals(): void {
  const g = globalThis as Record<string, unknown>
  g.WebSocket ??= WebSocket
  g.CloseEvent ??= class CloseEvent extends Event {
    code: number
    reason: string
    constructor(type: string, init: { code?: number; reason?: string } = {}) {
      super(type)
      this.code = init.code ?? 1000
      this.reason = init.reason ?? ''
    }
  }
}

interface Broadcast {
  omit_users: Record<string, boolean> | null
  user_id: string
  channel_id: string
  team_id: string
}
export interface Ev {
  event: string
  seq: number
  data: Record<string, unknown>
  broadcast: Broadcast
}

export async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise(r => setTimeout(r, 20))
  }
}

export const json = <T>(v: unknown): T => JSON.parse(String(v)) as T

/** A Client4 on `base`, with `token` when given. */
function clientAt(base: string, token?: string): Client4 {
  const c = new Client4()
  c.setUrl(base)
  if (token) c.setToken(token)
  return c
}

/** A WebSocketClient on `base` for one user that records every event it delivers. */
async function listenAt(base: string, token: string) {
  const events: Ev[] = []
  let closes = 0
  const ws = new WebSocketClient({
    newWebSocketFn: (url: string) =>
      new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } }) as never,
  } as never)
  ws.addMessageListener(m => events.push(m as unknown as Ev))
  ws.addCloseListener(() => {
    closes++
  })
  const first = new Promise<void>(resolve => ws.addFirstConnectListener(() => resolve()))
  ws.initialize(`${base.replace('http', 'ws')}/api/v4/websocket`)
  await first
  await waitFor(() => events.some(e => e.event === 'hello'))
  return {
    ws,
    events,
    closes: () => closes,
    /** The first event named `event` (after index `from`) that `pred` accepts. */
    async next(event: string, pred: (e: Ev) => boolean = () => true, from = 0): Promise<Ev> {
      let found: Ev | undefined
      await waitFor(() => {
        found = events.slice(from).find(e => e.event === event && pred(e))
        return !!found
      })
      return found!
    },
  }
}
export type Listener = Awaited<ReturnType<typeof listenAt>>

/**
 * `client(token?)` (a Client4) and `listen(token)` (a recording WebSocketClient) for the emulator
 * that `emu` returns when they are called: a test file's own, started in its beforeAll.
 */
export function officialClients(emu: () => Emulator) {
  return {
    client: (token?: string): Client4 => clientAt(emu().url, token),
    listen: (token: string): Promise<Listener> => listenAt(emu().url, token),
  }
}

/** Every event a socket saw carries the next seq: 0 (hello), 1, 2, ... without a gap. */
export function expectConsecutiveSeq(l: Listener): void {
  expect(l.events.map(e => e.seq)).toEqual(l.events.map((_, i) => i))
  expect(l.closes()).toBe(0)
}
