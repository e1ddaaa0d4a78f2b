// Outgoing webhooks, rule by rule (management and the calls to callback URLs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Emulator } from '../../src/emulator/index.js'
import { api, MEMBER_INTEGRATIONS, Sock, settle, startSeeded } from './helpers.js'
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
