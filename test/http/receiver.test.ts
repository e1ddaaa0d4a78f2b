import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signPayload } from '../../src/http/sign.js'
import {
  ApiError,
  ConfigError,
  createReceiver,
  MatterkitError,
  type ReceiverEvent,
  type ReceiverServer,
  respond,
  signActionContext,
  signDialogState,
} from '../../src/index.js'
import {
  captureLogger,
  chunkedStatus,
  commandFields,
  form,
  HOOK_TOKEN,
  postCommand,
  postJson,
  responseUrlServer,
  SECRET,
  TOKEN,
} from './helpers.js'

const FORGED = 'forged-token-aaaaaaaaaaaaa'
const events: ReceiverEvent[] = []
const log = captureLogger()
/** Slow handlers wait on this gate; tests open it after checking the ack. */
let openGate: () => void = () => {}
let handlerFinished: (ev: ReceiverEvent) => void = () => {}

const receiver = createReceiver({
  commandTokens: [TOKEN],
  webhookTokens: [HOOK_TOKEN],
  signingSecret: SECRET,
  bodyLimit: 10_000,
  ackTimeoutMs: 300,
  logger: log,
  async dispatch(ev, { acked }) {
    events.push(ev)
    if (ev.kind === 'command') {
      const t = ev.payload.text
      if (t === 'quick') return { text: `acked before the answer: ${acked.aborted}` }
      if (t === 'slow' || t === 'slow-late') {
        await new Promise<void>(r => (openGate = r))
        if (t === 'slow' && acked.aborted)
          await respond(ev.payload.response_url, { response_type: 'in_channel', text: 'later' })
        handlerFinished(ev)
        return t === 'slow-late' ? { text: 'too late' } : undefined
      }
      if (t === 'boom') throw new Error(`handler bug with ${TOKEN}`)
      if (t === 'plain') return 'plain reply'
      if (t === 'nothing') return undefined
      return { response_type: 'in_channel', text: `ran ${ev.payload.command} ${t}` }
    }
    if (ev.kind === 'action') {
      if (ev.context.plain) return 'plain ephemeral'
      return {
        ephemeral_text: `clicked ${String(ev.context.choice)} ${String(ev.context.selected_option ?? '')}`,
      }
    }
    if (ev.kind === 'dialog') return ev.payload.cancelled ? undefined : { errors: { env: 'required' } }
    return { text: `hook saw ${ev.payload.trigger_word}`, response_type: 'comment' }
  },
})
let server: ReceiverServer
let url: string
beforeAll(async () => {
  server = await receiver.listen(0)
  url = server.url
})
afterAll(() => server.close())

const last = <K extends ReceiverEvent['kind']>(kind: K) => {
  const ev = events.at(-1)
  if (ev?.kind !== kind) throw new Error(`expected a ${kind} event, got ${ev?.kind}`)
  return ev as Extract<ReceiverEvent, { kind: K }>
}

describe('slash commands', () => {
  it('accepts a form POST with Authorization: Token and answers JSON; repeated keys are arrays', async () => {
    const res = await postCommand(url, {
      text: 'prod @bob @carol',
      user_mentions: ['bob', 'carol'],
      user_mentions_ids: ['id-bob', 'id-carol'],
      channel_mentions: 'ops',
      channel_mentions_ids: 'id-ops',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({ response_type: 'in_channel', text: 'ran /deploy prod @bob @carol' })
    const ev = last('command')
    expect(ev.payload.user_mentions).toEqual(['bob', 'carol'])
    expect(ev.payload.user_mentions_ids).toEqual(['id-bob', 'id-carol'])
    expect(ev.payload.channel_mentions).toEqual(['ops'])
    expect(ev.payload).toMatchObject({ team_domain: 'acme', user_name: 'alice', trigger_id: 'trig' })
  })

  it('accepts GET commands (fields in the query) and plain-text replies', async () => {
    const res = await fetch(`${url}/mattermost/command?${form(commandFields({ text: 'plain' }))}`, {
      headers: { authorization: `Token ${TOKEN}` },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await res.text()).toBe('plain reply')
    // Without the header, the token field alone is enough.
    const res2 = await fetch(`${url}/mattermost/command?${form(commandFields({ text: 'x' }))}`)
    expect(res2.status).toBe(200)
  })

  it('answers an empty text/plain 200 when the handler has nothing to say (empty JSON would fail in Mattermost)', async () => {
    const res = await postCommand(url, { text: 'nothing' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await res.text()).toBe('')
  })

  it('rejects a forged token with 401 (header or field) and never dispatches nor logs the token', async () => {
    const before = events.length
    const viaHeader = await postCommand(url, { token: FORGED }, FORGED)
    expect(viaHeader.status).toBe(401)
    expect(((await viaHeader.json()) as { error: string }).error).toMatch(/Invalid slash-command token/)
    const viaField = await postCommand(url, { token: FORGED }, false)
    expect(viaField.status).toBe(401)
    // A right field token does not rescue a wrong Authorization header.
    const mixed = await postCommand(url, { token: TOKEN }, FORGED)
    expect(mixed.status).toBe(401)
    const missing = await postCommand(url, { token: '' }, false)
    expect(missing.status).toBe(401)
    expect(events.length).toBe(before)
    expect(log.lines.some(l => l.includes('rejected a slash command'))).toBe(true)
    expect(log.lines.join('\n')).not.toContain(FORGED)
  })

  it('acks with an empty 200 within the ack timeout; the handler continues and answers via response_url', async () => {
    const mm = await responseUrlServer()
    try {
      let finished = false
      const done = new Promise<ReceiverEvent>(r => (handlerFinished = r))
      void done.then(() => (finished = true))
      const res = await postCommand(url, { text: 'slow', response_url: mm.url })
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('')
      expect(finished).toBe(false) // the HTTP answer came while the handler was still waiting
      const delivered = mm.next()
      openGate()
      const got = await delivered
      expect(got.type).toBe('application/json')
      expect(JSON.parse(got.body)).toEqual({ response_type: 'in_channel', text: 'later' })
      await done
    } finally {
      await mm.close()
    }
  })

  it('tells the handler whether the ack went out (acked aborts only after the empty 200)', async () => {
    expect(await (await postCommand(url, { text: 'quick' })).json()).toEqual({
      text: 'acked before the answer: false',
    })
  })

  it('a reply returned after the ack is dropped and a warning says to use respond()', async () => {
    const done = new Promise<ReceiverEvent>(r => (handlerFinished = r))
    const res = await postCommand(url, { text: 'slow-late' })
    expect(await res.text()).toBe('')
    openGate()
    await done
    await new Promise(r => setImmediate(r))
    expect(log.lines.some(l => l.includes('"warn"') && l.includes('respond(payload.response_url'))).toBe(true)
  })

  it('a throwing handler gives a 500 with a generic message, details only in the (redacted) log', async () => {
    const res = await postCommand(url, { text: 'boom' })
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(text).not.toContain('handler bug')
    const line = log.lines.find(l => l.includes('handler bug'))
    expect(line).toBeDefined()
    expect(line).not.toContain(TOKEN) // the valid token is a registered secret: redacted
    expect((await postCommand(url)).status).toBe(200) // the server survives
  })

  it('400 when a command lacks its fields (after the token check)', async () => {
    const res = await postCommand(url, { command: '', user_id: '' })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toMatch(/command .*user_id/)
  })
})

describe('bad input', () => {
  it('413 over the body limit (declared length), with a reason', async () => {
    const res = await postJson(url, 'action', `{"a":"${'x'.repeat(20_000)}"}`)
    expect(res.status).toBe(413)
    expect(((await res.json()) as { error: string }).error).toMatch(/10000 bytes/)
  })

  it('413 for a chunked body that passes the limit, answered before the body ends', async () => {
    expect(await chunkedStatus(url, '/mattermost/dialog', `{"a":"${'x'.repeat(12_000)}`)).toBe(413)
  })

  it('400 bad JSON, 400 non-object JSON, 415 wrong content type — each saying what to send', async () => {
    const bad = await postJson(url, 'action', '{nope')
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toMatch(/not valid JSON/)
    expect((await postJson(url, 'dialog', '[1,2]')).status).toBe(400)
    const csv = await fetch(`${url}/mattermost/action`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'a,b',
    })
    expect(csv.status).toBe(415)
    expect(((await csv.json()) as { error: string }).error).toMatch(/application\/json/)
    // Actions are JSON only: a form body is refused.
    const formAction = await fetch(`${url}/mattermost/action`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=b',
    })
    expect(formAction.status).toBe(415)
  })

  it('404 unknown route, 405 wrong method with Allow', async () => {
    const nf = await fetch(`${url}/elsewhere`)
    expect(nf.status).toBe(404)
    expect(((await nf.json()) as { error: string }).error).toMatch(/\/mattermost\/command/)
    expect((await fetch(`${url}/mattermost/nope`, { method: 'POST' })).status).toBe(404)
    const wrong = await fetch(`${url}/mattermost/dialog`)
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('POST')
    const put = await fetch(`${url}/mattermost/command`, { method: 'PUT' })
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('POST, GET')
  })
})

describe('actions', () => {
  const action = (context: unknown, extra: Record<string, unknown> = {}) => ({
    user_id: 'user1',
    user_name: 'alice',
    channel_id: 'chan1',
    post_id: 'post1',
    trigger_id: 'trig',
    type: 'button',
    context,
    ...extra,
  })

  it('verifies the signed context and hands over the decoded object (unsigned siblings dropped)', async () => {
    const res = await postJson(
      url,
      'action',
      action({ _mk: signActionContext('pick', { choice: 'yes' }, SECRET), choice: 'tampered', extra: 1 }),
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ephemeral_text: 'clicked yes ' })
    const ev = last('action')
    expect(ev.context).toEqual({ choice: 'yes' })
    expect(ev.payload.context).toEqual({ choice: 'yes' })
    expect(ev.actionId).toBe('pick')
  })

  it("adds Mattermost's selected_option for menus", async () => {
    const res = await postJson(
      url,
      'action',
      action(
        { _mk: signActionContext('env', { choice: 'env' }, SECRET), selected_option: 'staging' },
        { type: 'select' },
      ),
    )
    expect(await res.json()).toEqual({ ephemeral_text: 'clicked env staging' })
  })

  it('a string reply becomes ephemeral_text JSON', async () => {
    const res = await postJson(
      url,
      'action',
      action({ _mk: signActionContext('p', { plain: true }, SECRET) }),
    )
    expect(await res.json()).toEqual({ ephemeral_text: 'plain ephemeral' })
  })

  it('401 without a signature, 403 with a forged one or another secret; never dispatched', async () => {
    const before = events.length
    const unsigned = await postJson(url, 'action', action({ choice: 'yes' }))
    expect(unsigned.status).toBe(401)
    expect(((await unsigned.json()) as { error: string }).error).toMatch(/signature/)
    const other = await postJson(
      url,
      'action',
      action({ _mk: signActionContext('pick', { choice: 'yes' }, 'another-secret-xxxxxxxxxx') }),
    )
    expect(other.status).toBe(403)
    // A valid signature moved onto another body.
    const mac = signActionContext('pick', { choice: 'no' }, SECRET).split('.')[1]
    const swapped = `${Buffer.from(JSON.stringify({ a: 'pick', c: { choice: 'yes' } })).toString('base64url')}.${mac}`
    expect((await postJson(url, 'action', action({ _mk: swapped }))).status).toBe(403)
    expect((await postJson(url, 'action', action({ _mk: 'garbage' }))).status).toBe(403)
    expect(events.length).toBe(before)
  })

  it('403 for a context bound to another post or channel, expired, or signed for another purpose; never dispatched', async () => {
    const before = events.length
    const status = async (mk: string) => (await postJson(url, 'action', action({ _mk: mk }))).status
    // The request is for post1 in chan1 (see action()).
    expect(await status(signActionContext('pick', { choice: 'yes' }, SECRET, { postId: 'post2' }))).toBe(403)
    expect(await status(signActionContext('pick', { choice: 'yes' }, SECRET, { channelId: 'chan2' }))).toBe(
      403,
    )
    expect(await status(signActionContext('pick', {}, SECRET, { expiresAt: Date.now() - 1 }))).toBe(403)
    // A plain signPayload value and a dialog state carry the same secret but another purpose.
    expect(await status(signPayload({ a: 'pick', c: {} }, SECRET))).toBe(403)
    expect(await status(signDialogState('pick', {}, SECRET, Date.now() + 60_000))).toBe(403)
    expect(events.length).toBe(before)
    const bound = signActionContext('pick', { choice: 'yes' }, SECRET, {
      postId: 'post1',
      channelId: 'chan1',
      expiresAt: Date.now() + 60_000,
    })
    expect(await status(bound)).toBe(200)
    expect(last('action').context).toEqual({ choice: 'yes' })
  })
})

describe('dialogs', () => {
  const submission = (state: unknown, extra: Record<string, unknown> = {}) => ({
    type: 'dialog_submission',
    callback_id: 'deploy',
    state,
    user_id: 'user1',
    channel_id: 'chan1',
    team_id: 'team1',
    submission: { env: '' },
    cancelled: false,
    ...extra,
  })

  it('verifies and decodes the state; field errors go back as JSON', async () => {
    const res = await postJson(
      url,
      'dialog',
      submission(signDialogState('deploy', { n: 1 }, SECRET, Date.now() + 60_000)),
    )
    expect(await res.json()).toEqual({ errors: { env: 'required' } })
    expect(last('dialog').state).toEqual({ n: 1 })
  })

  it('a cancellation (no submission) reaches the handler; an empty 200 closes the dialog', async () => {
    const res = await postJson(
      url,
      'dialog',
      submission(signDialogState('deploy', 's', SECRET, Date.now() + 60_000), {
        cancelled: true,
        submission: undefined,
      }),
    )
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
    const ev = last('dialog')
    expect(ev.payload.cancelled).toBe(true)
    expect(ev.payload.submission).toEqual({})
  })

  it('401 without state, 403 with forged state', async () => {
    expect((await postJson(url, 'dialog', submission(undefined))).status).toBe(401)
    expect(
      (
        await postJson(
          url,
          'dialog',
          submission(signDialogState('deploy', 1, 'wrong-secret-0123456789', Date.now() + 60_000)),
        )
      ).status,
    ).toBe(403)
  })

  it("403 for a state signed for another dialog (adversary #175: 'feedback' state sent as 'delete-prod'), expired, or not a dialog state", async () => {
    const before = events.length
    const far = Date.now() + 60_000
    const status = async (state: string, cb = 'delete-prod') =>
      (await postJson(url, 'dialog', submission(state, { callback_id: cb }))).status
    const feedback = signDialogState('feedback', null, SECRET, far)
    expect(await status(feedback)).toBe(403)
    // The old { cb, state } shape signed with signPayload, as in the report's repro.
    expect(await status(signPayload({ cb: 'feedback', state: null }, SECRET), 'feedback')).toBe(403)
    expect(await status(signActionContext('delete-prod', {}, SECRET))).toBe(403)
    expect(await status(signDialogState('delete-prod', null, SECRET, Date.now() - 1))).toBe(403)
    expect(events.length).toBe(before)
    expect(await status(feedback, 'feedback')).toBe(200)
    expect(last('dialog').payload.callback_id).toBe('feedback')
  })
})

describe('outgoing webhooks', () => {
  const fields = {
    token: HOOK_TOKEN,
    team_id: 'team1',
    team_domain: 'acme',
    channel_id: 'chan1',
    channel_name: 'town-square',
    user_id: 'user1',
    user_name: 'alice',
    post_id: 'post1',
    text: 'build main',
    trigger_word: 'build',
    file_ids: '',
  }

  it('form encoding: token checked, timestamp seconds → milliseconds', async () => {
    const res = await fetch(`${url}/mattermost/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form({ ...fields, timestamp: '1700000000' }),
    })
    expect(await res.json()).toEqual({ text: 'hook saw build', response_type: 'comment' })
    expect(last('webhook').payload).toMatchObject({ timestamp: 1_700_000_000_000, text: 'build main' })
  })

  it('JSON encoding: timestamp stays in milliseconds', async () => {
    const res = await postJson(url, 'webhook', { ...fields, timestamp: 1_700_000_000_123 })
    expect(res.status).toBe(200)
    expect(last('webhook').payload.timestamp).toBe(1_700_000_000_123)
  })

  it('a wrong or missing token → 401, never dispatched', async () => {
    const before = events.length
    expect((await postJson(url, 'webhook', { ...fields, token: 'nope-nope-nope' })).status).toBe(401)
    expect((await postJson(url, 'webhook', { ...fields, token: undefined })).status).toBe(401)
    expect(events.length).toBe(before)
  })
})

describe('configuration', () => {
  it('token lists may be functions (tokens learned at run time) and verifyCommandToken sees the request', async () => {
    const learned: string[] = []
    const seen: string[] = []
    const r = createReceiver({
      signingSecret: SECRET,
      commandTokens: () => learned,
      verifyCommandToken: (token, req) => {
        seen.push(req.team_id)
        return token === 'per-team-token-123' && req.team_id === 'team1'
      },
      dispatch: async () => 'ok',
    })
    const s = await r.listen(0)
    try {
      expect((await postCommand(s.url, { token: 'late-token-123456' }, 'late-token-123456')).status).toBe(401)
      learned.push('late-token-123456')
      expect((await postCommand(s.url, { token: 'late-token-123456' }, 'late-token-123456')).status).toBe(200)
      expect((await postCommand(s.url, {}, 'per-team-token-123')).status).toBe(200)
      expect((await postCommand(s.url, { team_id: 'team2' }, 'per-team-token-123')).status).toBe(401)
      expect(seen).toContain('team2')
    } finally {
      await s.close()
    }
  })

  it('custom base path and urls()', async () => {
    const r = createReceiver({ signingSecret: SECRET, path: '/hooks/mm/', dispatch: async () => undefined })
    expect(r.path).toBe('/hooks/mm')
    expect(r.urls('https://bot.example.com/')).toEqual({
      command: 'https://bot.example.com/hooks/mm/command',
      action: 'https://bot.example.com/hooks/mm/action',
      dialog: 'https://bot.example.com/hooks/mm/dialog',
      webhook: 'https://bot.example.com/hooks/mm/webhook',
    })
    const s = await r.listen(0)
    try {
      expect((await fetch(`${s.url}/hooks/mm/action`)).status).toBe(405)
      expect((await fetch(`${s.url}/mattermost/action`)).status).toBe(404)
    } finally {
      await s.close()
    }
  })

  it('rejects a short signing secret with a ConfigError', () => {
    expect(() => createReceiver({ signingSecret: 'short', dispatch: async () => undefined })).toThrow(
      ConfigError,
    )
    try {
      createReceiver({ signingSecret: 'short', dispatch: async () => undefined })
    } catch (err) {
      expect(err).toBeInstanceOf(MatterkitError)
      expect((err as MatterkitError).code).toBe('MK_ERR_INVALID_CONFIG')
    }
  })
})

describe('respond()', () => {
  it('posts JSON or plain text to response_url', async () => {
    const mm = await responseUrlServer()
    try {
      await respond(mm.url, { text: 'json' })
      await respond(mm.url, 'plain')
      expect(mm.bodies).toEqual([
        { type: 'application/json', body: '{"text":"json"}' },
        { type: 'text/plain', body: 'plain' },
      ])
    } finally {
      await mm.close()
    }
  })

  it('waits out a 429 from response_url and then delivers, as every client call does', async () => {
    const mm = await responseUrlServer({ tooManyFirst: 2 })
    try {
      await respond(mm.url, { text: 'after the limit' })
      expect(mm.bodies).toEqual([{ type: 'application/json', body: '{"text":"after the limit"}' }])
    } finally {
      await mm.close()
    }
  })

  it('throws a MatterkitError when the URL is unreachable or answers an error', async () => {
    await expect(respond('http://127.0.0.1:9/hooks/commands/x', { text: 'x' })).rejects.toMatchObject({
      code: 'MK_ERR_NETWORK',
    })
    const r = createReceiver({ signingSecret: SECRET, dispatch: async () => undefined })
    const s = await r.listen(0)
    try {
      // Any non-2xx answer (here a 404 from a receiver) is a typed API error saying what to check.
      const err = await respond(`${s.url}/nothing-here`, { text: 'x' }).catch(e => e)
      expect(err).toBeInstanceOf(ApiError)
      expect(err).toMatchObject({ status: 404, message: expect.stringContaining('30 minutes and 5 uses') })
    } finally {
      await s.close()
    }
  })
})
