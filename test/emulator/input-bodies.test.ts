/**
 * Request bodies are decoded as api4 decodes them into model structs (encoding/json): a field
 * of the wrong type is the handler's 400, nesting past the decoder's limit is refused, and
 * nothing invalid is stored — so no later reader of the same data ever gets a 500.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { api, type Seeded, startSeeded } from './helpers.js'

let s: Seeded
beforeAll(async () => {
  s = await startSeeded()
})
afterAll(async () => {
  await s.emu.stop()
})

const BODY = 'api.context.invalid_body_param.app_error'

/** A JSON text nested `n` arrays deep, as a field value. */
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`

describe('wrongly typed fields are refused with the handler 400', () => {
  const cases: Array<[string, string, () => string, string, () => unknown]> = [
    [
      'numeric post message',
      'POST',
      () => '/api/v4/posts',
      BODY,
      () => ({ channel_id: s.town, message: 123 }),
    ],
    [
      'props as a string',
      'POST',
      () => '/api/v4/posts',
      BODY,
      () => ({ channel_id: s.town, message: 'x', props: 'p' }),
    ],
    [
      'file_ids as objects',
      'POST',
      () => '/api/v4/posts',
      BODY,
      () => ({ channel_id: s.town, message: 'x', file_ids: [{}] }),
    ],
    [
      'channel display_name 123',
      'POST',
      () => '/api/v4/channels',
      BODY,
      () => ({ team_id: s.team, name: 'num-name', display_name: 123, type: 'O' }),
    ],
    [
      'channel header object',
      'PUT',
      () => `/api/v4/channels/${s.off}/patch`,
      BODY,
      () => ({ header: { a: 1 } }),
    ],
    ['reaction emoji_name number', 'POST', () => '/api/v4/reactions', BODY, () => ({ emoji_name: 5 })],
  ]
  for (const [name, method, path, id, body] of cases)
    it(`${name} → 400 ${id}`, async () => {
      const r = await api(s.emu, s.alice, method, path(), body())
      expect(r.status).toBe(400)
      expect(r.body.id).toBe(id)
    })

  it('login_id {} → 400, and no session is made', async () => {
    const r = await api(s.emu, undefined, 'POST', '/api/v4/users/login', { login_id: {}, password: 'x' })
    expect(r.status).toBe(400)
    expect(r.body.id).toBe(BODY)
    expect(r.headers.get('token')).toBeNull()
  })

  it('a preference value that is not a string → 400, and preferences still read back', async () => {
    const me = (await api(s.emu, s.alice, 'GET', '/api/v4/users/me')).body
    const r = await api(s.emu, s.alice, 'PUT', `/api/v4/users/${me.id}/preferences`, [
      { user_id: me.id, category: 'display_settings', name: 'x', value: 7 },
    ])
    expect(r.status).toBe(400)
    expect(r.body.id).toBe(BODY)
    expect((await api(s.emu, s.alice, 'GET', `/api/v4/users/${me.id}/preferences`)).status).toBe(200)
  })

  it('a numeric message is not stored: the channel posts still read as 200', async () => {
    await api(s.emu, s.alice, 'POST', '/api/v4/posts', { channel_id: s.town, message: 42 })
    const r = await api(s.emu, s.alice, 'GET', `/api/v4/channels/${s.town}/posts`)
    expect(r.status).toBe(200)
    for (const p of Object.values(r.body.posts as Record<string, { message: unknown }>))
      expect(typeof p.message).toBe('string')
  })
})

describe('incoming webhook payloads (the anonymous /hooks/{id})', () => {
  let hook: string
  beforeAll(async () => {
    const r = await api(s.emu, s.admin, 'POST', '/api/v4/hooks/incoming', { channel_id: s.town })
    expect(r.status).toBe(201)
    hook = r.body.id
  })
  const PARSE = 'web.incoming_webhook.parse.app_error'
  const bad: Array<[string, unknown]> = [
    ['attachments [null]', { text: 'x', attachments: [null] }],
    ['channel {}', { text: 'x', channel: {} }],
    ['username []', { text: 'x', username: [] }],
    ['text 5', { text: 5 }],
  ]
  for (const [name, payload] of bad)
    it(`${name} → 400 ${PARSE}`, async () => {
      const r = await api(s.emu, undefined, 'POST', `/hooks/${hook}`, payload)
      expect(r.status).toBe(400)
      expect(r.text).toContain(PARSE)
    })
  it('a good payload still posts', async () => {
    const r = await api(s.emu, undefined, 'POST', `/hooks/${hook}`, { text: 'from the hook' })
    expect(r.status).toBe(200)
  })
})

describe('nesting past the decoder limit (server 10000, emulator 1000: V8 cannot re-serialise deeper)', () => {
  it('a 60k-deep header is refused, and the team channels still list', async () => {
    const body = `{"header":${deep(60_000)}}`
    const r = await api(s.emu, s.alice, 'PUT', `/api/v4/channels/${s.off}/patch`, body, {
      'Content-Type': 'application/json',
    })
    expect(r.status).toBe(400)
    const list = await api(s.emu, s.alice, 'GET', `/api/v4/users/me/teams/${s.team}/channels`)
    expect(list.status).toBe(200)
  })
  it('900 deep in props decodes, is stored and reads back', async () => {
    const body = `{"channel_id":"${s.town}","message":"deep","props":{"x":${deep(900)}}}`
    const r = await api(s.emu, s.alice, 'POST', '/api/v4/posts', body, { 'Content-Type': 'application/json' })
    expect(r.status).toBe(201)
    expect((await api(s.emu, s.alice, 'GET', `/api/v4/posts/${r.body.id}`)).status).toBe(200)
  })
  it('5000 deep in props (which JSON.stringify cannot re-serialise) is a 400, not a 500', async () => {
    const body = `{"channel_id":"${s.town}","message":"deep","props":{"x":${deep(5000)}}}`
    const r = await api(s.emu, s.alice, 'POST', '/api/v4/posts', body, { 'Content-Type': 'application/json' })
    expect(r.status).toBe(400)
  })
})

describe('lone surrogates become U+FFFD, as Go decodes them', () => {
  it('a message with \\ud800 reads back with \\ufffd', async () => {
    const body = `{"channel_id":"${s.town}","message":"a\\ud800b"}`
    const r = await api(s.emu, s.alice, 'POST', '/api/v4/posts', body, { 'Content-Type': 'application/json' })
    expect(r.status).toBe(201)
    expect(r.body.message).toBe('a\ufffdb')
    const back = await api(s.emu, s.alice, 'GET', `/api/v4/posts/${r.body.id}`)
    expect(back.body.message).toBe('a\ufffdb')
  })
})

describe('with persist, refused bodies never reach the disk', () => {
  for (const store of ['sqlite', 'journal'] as const)
    it(`${store}: after bad writes and a restart, the channel reads as 200`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'mk-bodies-'))
      let emu: Emulator | undefined
      try {
        emu = await startEmulator({ persist: dir, persistWith: store })
        const tok = emu.seed.users.alice.token
        const town = emu.seed.channels.townSquare.id
        const off = emu.seed.channels.offTopic.id
        expect((await api(emu, tok, 'POST', '/api/v4/posts', { channel_id: town, message: 1 })).status).toBe(
          400,
        )
        expect((await api(emu, tok, 'PUT', `/api/v4/channels/${off}/patch`, { header: [1] })).status).toBe(
          400,
        )
        expect(
          (await api(emu, tok, 'POST', '/api/v4/posts', { channel_id: town, message: 'ok' })).status,
        ).toBe(201)
        await emu.stop()
        emu = await startEmulator({ persist: dir, persistWith: store })
        const tok2 = emu.seed.users.alice.token
        const r = await api(emu, tok2, 'GET', `/api/v4/channels/${town}/posts`)
        expect(r.status).toBe(200)
        const msgs = Object.values(r.body.posts as Record<string, { message: unknown }>).map(p => p.message)
        expect(msgs).toContain('ok')
        expect(msgs).not.toContain(1)
        expect((await api(emu, tok2, 'GET', `/api/v4/channels/${off}`)).body.header).not.toEqual([1])
      } finally {
        await emu?.stop()
        await rm(dir, { recursive: true, force: true })
      }
    })
})
