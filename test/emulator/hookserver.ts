/** A real HTTP server on loopback that plays an integration: records requests, answers as told. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body: string
  /** The body decoded as a form (when it is one). */
  form: URLSearchParams
  /** The body decoded as JSON (undefined when it is not JSON). */
  json: Record<string, unknown> | undefined
}

export interface Answer {
  status?: number
  type?: string
  body?: string | object
}

/** An answer computed from the request (it may call the emulator back before answering). */
export type Responder = (request: Received) => Answer | undefined | Promise<Answer | undefined>

export class HookServer {
  received: Received[] = []
  /** What the next requests get, per path (default 200 empty text/plain). */
  answers = new Map<string, Answer | Responder>()
  private waiters: Array<() => void> = []
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<HookServer> {
    let self: HookServer | undefined
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', c => chunks.push(c as Buffer))
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString()
        const u = new URL(req.url ?? '/', 'http://x')
        let json: Record<string, unknown> | undefined
        try {
          json = JSON.parse(body) as Record<string, unknown>
        } catch {}
        const request: Received = {
          method: req.method ?? '',
          path: u.pathname,
          query: u.searchParams,
          headers: req.headers,
          body,
          form: new URLSearchParams(body),
          json,
        }
        self!.received.push(request)
        const answer = self!.answers.get(u.pathname)
        const a = (typeof answer === 'function' ? await answer(request) : answer) ?? {}
        const text = typeof a.body === 'object' ? JSON.stringify(a.body) : (a.body ?? '')
        res.writeHead(a.status ?? 200, {
          'Content-Type': a.type ?? (typeof a.body === 'object' ? 'application/json' : 'text/plain'),
        })
        res.end(text)
        for (const w of self!.waiters.splice(0)) w()
      })
    })
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
    self = new HookServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    return self
  }

  /** The requests made to `path` so far (those `next()` has not taken), in order. */
  to(path: string): Received[] {
    return this.received.filter(r => r.path === path)
  }

  /** Wait for a request to `path` (rejects after `ms`). */
  async next(path: string, ms = 3000): Promise<Received> {
    const deadline = Date.now() + ms
    for (;;) {
      const i = this.received.findIndex(r => r.path === path)
      if (i >= 0) return this.received.splice(i, 1)[0]!
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no request to ${path}`)
      await new Promise<void>(r => {
        const t = setTimeout(r, left)
        this.waiters.push(() => {
          clearTimeout(t)
          r()
        })
      })
    }
  }

  stop(): Promise<void> {
    return new Promise(r => this.server.close(() => r()))
  }
}
