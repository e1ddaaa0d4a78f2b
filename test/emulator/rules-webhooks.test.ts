// Incoming and outgoing webhooks, rule by rule (management and the calls themselves).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { api, Sock, settle } from './helpers.js'
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
  emu = await startEmulator()
  hs = await HookServer.start()
  alice = emu.seed.users.alice.token
  bob = emu.seed.users.bob.token
  team = emu.seed.team.id
  town = emu.seed.channels.townSquare.id
  off = emu.seed.channels.offTopic.id
  priv = emu.seed.channels.privateRoom.id
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

let word = 0
const outgoing = async (body: Record<string, unknown>) => {
  const r = await api(emu, alice, 'POST', '/api/v4/hooks/outgoing', { team_id: team, ...body })
  expect(r.status).toBe(201)
  return r.body as { id: string; token: string; creator_id: string; team_id: string; callback_urls: string[] }
}
const say = (token: string, channel: string, message: string, extra: Record<string, unknown> = {}) =>
  api(emu, token, 'POST', '/api/v4/posts', { channel_id: channel, message, ...extra })

describe('outgoing webhooks: management', () => {
  it('create: non-public channel → 403 (with the "disabled" id), no channel and no words → 400, overlap → 500', async () => {
    const p = await api(emu, alice, 'POST', '/api/v4/hooks/outgoing', {
      team_id: team,
      channel_id: priv,
      callback_urls: [`${hs.url}/p`],
    })
    expect([p.status, p.body.id]).toEqual([403, 'api.outgoing_webhook.disabled.app_error'])
    const none = await api(emu, alice, 'POST', '/api/v4/hooks/outgoing', {
      team_id: team,
      callback_urls: [`${hs.url}/n`],
    })
    expect([none.status, none.body.id]).toEqual([400, 'api.webhook.create_outgoing.triggers.app_error'])
    const w = `dup${++word}`
    await outgoing({ channel_id: town, trigger_words: [w], callback_urls: [`${hs.url}/dup`] })
    const dup = await api(emu, alice, 'POST', '/api/v4/hooks/outgoing', {
      team_id: team,
      channel_id: town,
      trigger_words: [w],
      callback_urls: [`${hs.url}/dup`],
    })
    expect([dup.status, dup.body.id]).toEqual([500, 'api.webhook.create_outgoing.intersect.app_error'])
    const noUrl = await api(emu, alice, 'POST', '/api/v4/hooks/outgoing', { team_id: team, channel_id: town })
    expect([noUrl.status, noUrl.body.id]).toEqual([400, 'model.outgoing_hook.is_valid.callback.app_error'])
  })

  it('PUT replaces the fields, keeps id/token/creator/team; each bad update has its status and id', async () => {
    const h = await outgoing({
      channel_id: town,
      trigger_words: [`up${++word}`],
      callback_urls: [`${hs.url}/u`],
    })
    const put = await api(emu, alice, 'PUT', `/api/v4/hooks/outgoing/${h.id}`, {
      ...h,
      channel_id: off,
      trigger_words: ['changed'],
      trigger_when: 1,
      content_type: 'application/json',
      token: 'ignored',
      creator_id: emu.seed.users.bob.id,
    })
    expect(put.status).toBe(200)
    expect(put.body).toMatchObject({
      id: h.id,
      token: h.token,
      creator_id: h.creator_id,
      team_id: team,
      channel_id: off,
      trigger_words: ['changed'],
      trigger_when: 1,
      content_type: 'application/json',
    })
    const get = await api(emu, alice, 'GET', `/api/v4/hooks/outgoing/${h.id}`)
    expect(get.body.trigger_words).toEqual(['changed'])
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ id: 'z'.repeat(26) }, 400, 'api.context.invalid_param.app_error'],
      [{ team_id: 'z'.repeat(26) }, 400, 'api.webhook.team_mismatch.app_error'],
      [{ channel_id: priv }, 403, 'api.webhook.create_outgoing.not_open.app_error'],
      [{ channel_id: '', trigger_words: [] }, 500, 'api.webhook.create_outgoing.triggers.app_error'],
      [{ callback_urls: ['not a url'] }, 400, 'model.outgoing_hook.is_valid.url.app_error'],
    ]
    for (const [patch, status, id] of cases) {
      const r = await api(emu, alice, 'PUT', `/api/v4/hooks/outgoing/${h.id}`, { ...put.body, ...patch })
      expect([r.status, r.body.id]).toEqual([status, id])
    }
    const other = await outgoing({
      channel_id: off,
      trigger_words: ['taken'],
      callback_urls: [`${hs.url}/t`],
    })
    const overlap = await api(emu, alice, 'PUT', `/api/v4/hooks/outgoing/${h.id}`, {
      ...put.body,
      trigger_words: ['taken'],
      callback_urls: other.callback_urls,
    })
    expect([overlap.status, overlap.body.id]).toEqual([
      400,
      'api.webhook.update_outgoing.intersect.app_error',
    ])
    const byBob = await api(emu, bob, 'PUT', `/api/v4/hooks/outgoing/${h.id}`, put.body)
    expect(byBob.status).toBe(403)
  })

  it('list filters by channel_id / team_id and pages; regen_token changes the token', async () => {
    const h = await outgoing({
      channel_id: off,
      trigger_words: [`ls${++word}`],
      callback_urls: [`${hs.url}/ls`],
    })
    const byChannel = await api(emu, alice, 'GET', `/api/v4/hooks/outgoing?channel_id=${off}`)
    expect(byChannel.body.every((x: { channel_id: string }) => x.channel_id === off)).toBe(true)
    expect(byChannel.body.map((x: { id: string }) => x.id)).toContain(h.id)
    const paged = await api(emu, alice, 'GET', `/api/v4/hooks/outgoing?team_id=${team}&per_page=1`)
    expect(paged.body).toHaveLength(1)
    const regen = await api(emu, alice, 'POST', `/api/v4/hooks/outgoing/${h.id}/regen_token`)
    expect(regen.body.token).not.toBe(h.token)
  })
})

describe('outgoing webhooks: the call', () => {
  it('form: token, fields, timestamp in seconds, no Authorization; exact first-word match', async () => {
    const w = `go${++word}`
    const h = await outgoing({ channel_id: town, trigger_words: [w], callback_urls: [`${hs.url}/form`] })
    await say(alice, town, `not ${w}`)
    const p = (await say(alice, town, `${w} please`)).body
    const req = await hs.next('/form')
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(req.headers.authorization).toBeUndefined()
    expect(req.form.get('token')).toBe(h.token)
    expect(req.form.get('trigger_word')).toBe(w)
    expect(req.form.get('post_id')).toBe(p.id)
    expect(req.form.get('user_name')).toBe('alice')
    expect(req.form.get('team_domain')).toBe(emu.seed.team.name)
    expect(Number(req.form.get('timestamp'))).toBe(Math.floor(p.create_at / 1000))
    await settle()
    expect(hs.received.filter(r => r.path === '/form')).toHaveLength(0)
  })

  it('JSON: timestamp in ms; trigger_when=1 prefix match; team-wide hooks; none for private channels', async () => {
    const w = `pre${++word}`
    await outgoing({
      trigger_words: [w],
      trigger_when: 1,
      content_type: 'application/json',
      callback_urls: [`${hs.url}/json`],
    })
    const p = (await say(alice, off, `${w}fix rest`)).body
    const req = await hs.next('/json')
    expect(req.headers['content-type']).toBe('application/json')
    expect(req.json).toMatchObject({
      timestamp: p.create_at,
      trigger_word: w,
      channel_id: off,
      text: `${w}fix rest`,
    })
    await say(alice, priv, `${w} in private`)
    await settle()
    expect(hs.received.filter(r => r.path === '/json')).toHaveLength(0)
  })

  it('a channel hook without trigger words gets every post of its channel only', async () => {
    const ch = await api(emu, alice, 'POST', '/api/v4/channels', {
      team_id: team,
      name: `all-${++word}`,
      display_name: 'All',
      type: 'O',
    })
    await outgoing({ channel_id: ch.body.id, callback_urls: [`${hs.url}/every`] })
    await say(alice, ch.body.id, 'anything at all')
    expect((await hs.next('/every')).form.get('trigger_word')).toBe('')
    await say(alice, off, 'elsewhere')
    await settle()
    expect(hs.received.filter(r => r.path === '/every')).toHaveLength(0)
  })

  it('the response becomes a post by the hook creator; comment → reply to the triggering post; no loops', async () => {
    const w = `reply${++word}`
    await outgoing({
      channel_id: town,
      trigger_words: [w],
      callback_urls: [`${hs.url}/answer`],
      username: 'hookname',
    })
    hs.answers.set('/answer', {
      body: { text: `${w} answer`, response_type: 'comment', props: { extra: 'x' } },
    })
    const ws = await Sock.open(emu, bob)
    const trigger = (await say(bob, town, `${w} question`)).body
    const ans = JSON.parse(
      (await ws.event('posted', e => JSON.parse(e.data.post).message === `${w} answer`)).data.post,
    )
    expect(ans).toMatchObject({ user_id: emu.seed.users.alice.id, root_id: trigger.id })
    expect(ans.props).toMatchObject({ from_webhook: 'true', override_username: 'hookname', extra: 'x' })
    await hs.next('/answer')
    await settle()
    // The answer starts with the trigger word but webhook posts never fire outgoing webhooks.
    expect(hs.received.filter(r => r.path === '/answer')).toHaveLength(0)
    ws.close()
  })

  it('an empty body or {"text": null} makes no post', async () => {
    const w = `quiet${++word}`
    await outgoing({ channel_id: town, trigger_words: [w], callback_urls: [`${hs.url}/quiet`] })
    hs.answers.set('/quiet', { body: { text: null } })
    const ws = await Sock.open(emu, alice)
    await say(alice, town, w)
    await hs.next('/quiet')
    await settle()
    expect(ws.events('posted')).toHaveLength(1)
    ws.close()
  })
})
