// Incoming webhooks, rule by rule (management and the call itself).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Emulator } from '../../src/emulator/index.js'
import { api, MEMBER_INTEGRATIONS, Sock, startSeeded } from './helpers.js'
import { HookServer } from './hookserver.js'

let emu: Emulator
let hs: HookServer
let alice: string
let bob: string
let team: string
let town: string
let off: string
let priv: string
beforeAll(async () => {
  ;({ emu, alice, bob, team, town, off, priv } = await startSeeded(MEMBER_INTEGRATIONS))
  hs = await HookServer.start()
})
afterAll(async () => {
  await emu.stop()
  await hs.stop()
})

const incoming = async (token: string, body: Record<string, unknown>) => {
  const r = await api(emu, token, 'POST', '/api/v4/hooks/incoming', body)
  expect(r.status).toBe(201)
  return r.body as { id: string; channel_id: string; user_id: string; team_id: string }
}
const hit = (id: string, body: unknown, type = 'application/json') =>
  fetch(`${emu.url}/hooks/${id}`, {
    method: 'POST',
    headers: { 'Content-Type': type },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
const errId = async (r: Response) => [r.status, ((await r.json()) as { id: string }).id]

describe('incoming webhooks: the call', () => {
  it('200 text/plain "ok"; the post is by the owner with from_webhook, override name (default "webhook")', async () => {
    const h = await incoming(alice, { channel_id: town, display_name: 'Deploys' })
    const ws = await Sock.open(emu, bob)
    const r = await hit(h.id, { text: 'hello <!channel> <http://x.y|there>', icon_emoji: 'tada' })
    expect([r.status, r.headers.get('content-type'), await r.text()]).toEqual([200, 'text/plain', 'ok'])
    const post = JSON.parse((await ws.event('posted')).data.post)
    expect(post.user_id).toBe(emu.seed.users.alice.id)
    expect(post.message).toBe('hello @channel [there](http://x.y)')
    expect(post.props).toMatchObject({
      from_webhook: 'true',
      override_username: 'webhook',
      override_icon_emoji: 'tada',
      webhook_display_name: 'Deploys',
    })
    ws.close()
  })

  it('payload= form and multipart bodies; reserved keys in props are ignored; <@id> → @username', async () => {
    const h = await incoming(alice, { channel_id: town })
    const ws = await Sock.open(emu, alice)
    const form = new URLSearchParams({
      payload: JSON.stringify({
        text: `form <@${emu.seed.users.bob.id}>`,
        props: { from_webhook: 'no', k: 1 },
      }),
    })
    expect((await hit(h.id, form.toString(), 'application/x-www-form-urlencoded')).status).toBe(200)
    const p1 = JSON.parse(
      (await ws.event('posted', e => JSON.parse(e.data.post).message.startsWith('form'))).data.post,
    )
    expect(p1.message).toBe('form @bob')
    expect(p1.props).toMatchObject({ from_webhook: 'true', k: 1 })
    const fd = new FormData()
    fd.set('text', 'multipart text')
    expect((await fetch(`${emu.url}/hooks/${h.id}`, { method: 'POST', body: fd })).status).toBe(200)
    await ws.event('posted', e => JSON.parse(e.data.post).message === 'multipart text')
    ws.close()
  })

  it('channel override: name, #name, @username (DM with the owner); channel_locked → 403', async () => {
    const h = await incoming(alice, { channel_id: town })
    const ws = await Sock.open(emu, alice)
    await hit(h.id, { text: 'to off', channel: 'off-topic' })
    expect(
      JSON.parse((await ws.event('posted', e => e.broadcast.channel_id === off)).data.post).message,
    ).toBe('to off')
    await hit(h.id, { text: 'hash', channel: '#off-topic' })
    await ws.event('posted', e => JSON.parse(e.data.post).message === 'hash')
    await hit(h.id, { text: 'dm', channel: '@bob' })
    const dm = await ws.event('posted', e => JSON.parse(e.data.post).message === 'dm')
    expect(dm.data.channel_type).toBe('D')
    const locked = await incoming(alice, { channel_id: town, channel_locked: true })
    expect(await errId(await hit(locked.id, { text: 'x', channel: 'off-topic' }))).toEqual([
      403,
      'web.incoming_webhook.channel_locked.app_error',
    ])
    ws.close()
  })

  it('errors: no text 400, unknown hook 400, unknown channel 404, unknown @user 400, bad JSON 400', async () => {
    const h = await incoming(alice, { channel_id: town })
    expect(await errId(await hit(h.id, { username: 'x' }))).toEqual([
      400,
      'web.incoming_webhook.text.app_error',
    ])
    expect(await errId(await hit('a'.repeat(26), { text: 'x' }))).toEqual([
      400,
      'web.incoming_webhook.invalid.app_error',
    ])
    expect(await errId(await hit(h.id, { text: 'x', channel: 'nope' }))).toEqual([
      404,
      'web.incoming_webhook.channel.app_error',
    ])
    expect(await errId(await hit(h.id, { text: 'x', channel: '@nobody' }))).toEqual([
      400,
      'web.incoming_webhook.user.app_error',
    ])
    expect(await errId(await hit(h.id, '{not json'))).toEqual([400, 'web.incoming_webhook.parse.app_error'])
    expect(await errId(await hit(h.id, { text: 'x', type: 'system_join' }))).toEqual([
      400,
      'api.context.invalid_param.app_error',
    ])
    expect(await errId(await hit(h.id, { text: 'x', priority: { requested_ack: true } }))).toEqual([
      400,
      'api.context.invalid_param.app_error',
    ])
  })

  it('a private channel the owner cannot read → 403 permissions, and the owner is not added', async () => {
    const h = await incoming(bob, { channel_id: town })
    expect(await errId(await hit(h.id, { text: 'x', channel: 'private-room' }))).toEqual([
      403,
      'web.incoming_webhook.permissions.app_error',
    ])
    const members = await api(emu, alice, 'GET', `/api/v4/channels/${priv}/members`)
    expect(members.body.map((m: { user_id: string }) => m.user_id)).not.toContain(emu.seed.users.bob.id)
  })

  it('messages longer than 16383 runes are split into several posts', async () => {
    const h = await incoming(alice, { channel_id: off })
    const ws = await Sock.open(emu, alice)
    expect((await hit(h.id, { text: 'é'.repeat(16383 + 10) })).status).toBe(200)
    await ws.until(s => s.events('posted').length >= 2)
    const lengths = ws.events('posted').map(e => [...JSON.parse(e.data.post).message].length)
    expect(lengths).toEqual([16383, 10])
    ws.close()
  })

  it('disabled → 501 web.incoming_webhook.disabled.app_error (and api.* on the REST side)', async () => {
    const h = await incoming(alice, { channel_id: town })
    emu.config.EnableIncomingWebhooks = false
    try {
      expect(await errId(await hit(h.id, { text: 'x' }))).toEqual([
        501,
        'web.incoming_webhook.disabled.app_error',
      ])
      const r = await api(emu, alice, 'GET', '/api/v4/hooks/incoming')
      expect([r.status, r.body.id]).toEqual([501, 'api.incoming_webhook.disabled.app_error'])
    } finally {
      emu.config.EnableIncomingWebhooks = true
    }
  })
})

describe('incoming webhooks: management', () => {
  it('PUT: body id must equal the path id; answers 201; keeps id/user/team; list with include_total_count', async () => {
    const h = await incoming(alice, { channel_id: town, display_name: 'a' })
    const wrong = await api(emu, alice, 'PUT', `/api/v4/hooks/incoming/${h.id}`, { ...h, id: 'x'.repeat(26) })
    expect([wrong.status, wrong.body.id]).toEqual([400, 'api.context.invalid_param.app_error'])
    const put = await api(emu, alice, 'PUT', `/api/v4/hooks/incoming/${h.id}`, {
      ...h,
      channel_id: off,
      display_name: 'b',
      user_id: emu.seed.users.bob.id,
    })
    expect(put.status).toBe(201)
    expect(put.body).toMatchObject({ id: h.id, channel_id: off, display_name: 'b', user_id: h.user_id })
    const mismatch = await api(emu, alice, 'PUT', `/api/v4/hooks/incoming/${h.id}`, {
      ...h,
      team_id: 'y'.repeat(26),
    })
    expect([mismatch.status, mismatch.body.id]).toEqual([400, 'api.webhook.team_mismatch.app_error'])
    const counted = await api(
      emu,
      alice,
      'GET',
      `/api/v4/hooks/incoming?team_id=${team}&include_total_count=true&per_page=1`,
    )
    expect(counted.body.incoming_webhooks).toHaveLength(1)
    expect(counted.body.total_count).toBeGreaterThan(1)
    const other = await api(emu, bob, 'GET', `/api/v4/hooks/incoming/${h.id}`)
    expect(other.status).toBe(403)
  })

  it('username and icon are dropped unless the override settings are on; bad username → 400', async () => {
    emu.config.EnablePostUsernameOverride = false
    emu.config.EnablePostIconOverride = false
    try {
      const h = await api(emu, alice, 'POST', '/api/v4/hooks/incoming', {
        channel_id: town,
        username: 'shown',
        icon_url: 'http://i/x.png',
      })
      expect(h.body).toMatchObject({ username: '', icon_url: '' })
    } finally {
      emu.config.EnablePostUsernameOverride = true
      emu.config.EnablePostIconOverride = true
    }
    const bad = await api(emu, alice, 'POST', '/api/v4/hooks/incoming', {
      channel_id: town,
      username: 'Bad Name',
    })
    expect([bad.status, bad.body.id]).toEqual([400, 'api.incoming_webhook.invalid_username.app_error'])
  })
})
