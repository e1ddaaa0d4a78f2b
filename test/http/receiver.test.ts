import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReceiver, fetchHandler, type ReceiverEvent, respond, signPayload } from '../../src/index.js'

const SECRET = 'test-signing-secret-0123456789'
const TOKEN = 'cmdtoken1234567890abcdefgh'
const events: ReceiverEvent[] = []
let slowDone: () => void = () => {}
const receiver = createReceiver({
  commandTokens: [TOKEN],
  webhookTokens: ['hooktoken123'],
  signingSecret: SECRET,
  bodyLimit: 10_000,
  ackTimeoutMs: 300,
  async dispatch(ev) {
    events.push(ev)
    if (ev.kind === 'command' && ev.payload.text === 'slow') {
      await new Promise(r => setTimeout(r, 600))
      await respond(ev.payload.response_url, { text: 'later' })
      slowDone()
      return { text: 'too late' }
    }
    if (ev.kind === 'command' && ev.payload.text === 'boom') throw new Error('handler bug')
    if (ev.kind === 'command' && ev.payload.text === 'plain') return 'plain reply'
    if (ev.kind === 'command')
      return { response_type: 'in_channel', text: `ran ${ev.payload.command} ${ev.payload.text}` }
    if (ev.kind === 'action') return { ephemeral_text: `clicked ${String(ev.context.choice)}` }
    if (ev.kind === 'dialog') return { errors: { env: 'required' } }
    return { text: 'hook reply' }
  },
})
let url: string
let close: () => Promise<void>
beforeAll(async () => {
  ;({ url, close } = await receiver.listen(0))
})
afterAll(() => close())

const form = (o: Record<string, string | string[]>) => {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(o)) for (const x of [v].flat()) p.append(k, x)
  return p.toString()
}
const cmd = (extra: Record<string, string | string[]> = {}) =>
  form({
    token: TOKEN,
    command: '/deploy',
    text: 'prod',
    user_id: 'u1',
    channel_id: 'c1',
    response_url: 'http://127.0.0.1:9/x',
    ...extra,
  })

describe('slash commands', () => {
  it('accepts a form POST with the Authorization: Token header and answers JSON', async () => {
    const res = await fetch(`${url}/mattermost/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Token ${TOKEN}` },
      body: cmd({ user_mentions: ['a', 'b'], user_mentions_ids: ['1', '2'] }),
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ response_type: 'in_channel', text: 'ran /deploy prod' })
    const ev = events.at(-1)!
    expect(ev.kind === 'command' && ev.payload.user_mentions).toEqual(['a', 'b'])
  })
  it('accepts GET commands and plain-text replies', async () => {
    const res = await fetch(`${url}/mattermost/command?${cmd({ text: 'plain' })}`)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await res.text()).toBe('plain reply')
  })
  it('rejects a forged token with 401 and never dispatches', async () => {
    const before = events.length
    const res = await fetch(`${url}/mattermost/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: cmd({ token: 'forged-token-aaaaaaaaaaaaa' }),
    })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: string }).error).toMatch(/Invalid slash-command token/)
    expect(events.length).toBe(before)
  })
  it('acks within the timeout and lets the handler answer via response_url', async () => {
    let got = ''
    const mm = createServer((req, res) => {
      let b = ''
      req
        .on('data', c => (b += c))
        .on('end', () => {
          got = b
          res.end('ok')
        })
    })
    await new Promise<void>(r => mm.listen(0, '127.0.0.1', r))
    const done = new Promise<void>(r => (slowDone = r))
    const res = await fetch(`${url}/mattermost/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: cmd({
        text: 'slow',
        response_url: `http://127.0.0.1:${(mm.address() as AddressInfo).port}/hooks/commands/x`,
      }),
    })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
    await done
    expect(JSON.parse(got)).toEqual({ text: 'later' })
    mm.close()
  })
  it('a throwing handler gives a 500 with a generic message and the server survives', async () => {
    const res = await fetch(`${url}/mattermost/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: cmd({ text: 'boom' }),
    })
    expect(res.status).toBe(500)
    expect(await res.text()).not.toContain('handler bug')
  })
})

describe('bad input', () => {
  it('413 over the body limit, 400 bad JSON, 415 wrong type, 404 unknown route, 405 wrong method', async () => {
    expect(
      (
        await fetch(`${url}/mattermost/action`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: 'x'.repeat(20_000),
        })
      ).status,
    ).toBe(413)
    expect(
      (
        await fetch(`${url}/mattermost/action`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{nope',
        })
      ).status,
    ).toBe(400)
    expect(
      (
        await fetch(`${url}/mattermost/action`, {
          method: 'POST',
          headers: { 'content-type': 'text/csv' },
          body: 'a,b',
        })
      ).status,
    ).toBe(415)
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404)
    expect((await fetch(`${url}/mattermost/dialog`)).status).toBe(405)
  })
})

describe('actions, dialogs, outgoing webhooks', () => {
  it('verifies signed action context', async () => {
    const body = (context: unknown) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'u', post_id: 'p', context }),
    })
    const ok = await fetch(`${url}/mattermost/action`, body({ _mk: signPayload({ choice: 'yes' }, SECRET) }))
    expect(await ok.json()).toEqual({ ephemeral_text: 'clicked yes' })
    const forged = await fetch(
      `${url}/mattermost/action`,
      body({ _mk: signPayload({ choice: 'yes' }, 'another-secret-xxxxxxxx') }),
    )
    expect(forged.status).toBe(401)
    expect((await fetch(`${url}/mattermost/action`, body({ choice: 'yes' }))).status).toBe(401)
  })
  it('verifies signed dialog state and returns field errors', async () => {
    const res = await fetch(`${url}/mattermost/dialog`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'dialog_submission',
        callback_id: 'deploy',
        state: signPayload({ n: 1 }, SECRET),
        submission: {},
      }),
    })
    expect(await res.json()).toEqual({ errors: { env: 'required' } })
    const ev = events.at(-1)!
    expect(ev.kind === 'dialog' && ev.state).toEqual({ n: 1 })
  })
  it('checks outgoing-webhook tokens (form and JSON)', async () => {
    const ok = await fetch(`${url}/mattermost/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ token: 'hooktoken123', text: 'hi' }),
    })
    expect(await ok.json()).toEqual({ text: 'hook reply' })
    const bad = await fetch(`${url}/mattermost/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'nope' }),
    })
    expect(bad.status).toBe(401)
  })
  it('fetchHandler (Hono-style) works on a real Request', async () => {
    const f = fetchHandler(receiver)
    const res = await f(
      new Request('http://x/mattermost/command', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: cmd(),
      }),
    )
    expect(await res.json()).toMatchObject({ text: 'ran /deploy prod' })
  })
})
