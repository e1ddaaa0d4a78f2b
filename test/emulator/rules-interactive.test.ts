// Interactive actions, dialogs and ephemeral posts, rule by rule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Emulator } from '../../src/emulator/index.js'
import { ageTrigger } from '../../src/emulator/integrations/index.js'
import { api, MEMBER_INTEGRATIONS, Sock, settle, startSeeded } from './helpers.js'
import { HookServer } from './hookserver.js'

let emu: Emulator
let hs: HookServer
let bot: string
let alice: string
let bob: string
let town: string
beforeAll(async () => {
  ;({ emu, bot, alice, bob, town } = await startSeeded(MEMBER_INTEGRATIONS))
  hs = await HookServer.start()
})
afterAll(async () => {
  await emu.stop()
  await hs.stop()
})

/** A bot post with one button and one select, both wired to `path` on the hook server. */
async function buttons(path: string, extraProps: Record<string, unknown> = {}) {
  const r = await api(emu, bot, 'POST', '/api/v4/posts', {
    channel_id: town,
    message: 'choose',
    props: {
      ...extraProps,
      attachments: [
        {
          text: 'pick',
          actions: [
            {
              id: 'ok',
              name: 'OK',
              integration: { url: `${hs.url}${path}`, context: { secret: 'ctx-secret-value' } },
            },
            {
              id: 'menu',
              name: 'Menu',
              type: 'select',
              options: [{ text: 'A', value: 'a' }],
              integration: { url: `${hs.url}${path}`, context: { k: 1 } },
            },
          ],
        },
      ],
    },
  })
  expect(r.status).toBe(201)
  return r.body as { id: string; props: { attachments: Array<{ actions: Array<Record<string, unknown>> }> } }
}

describe('actions', () => {
  it('integration (url, context) is stripped from the REST reply, GETs and the posted event', async () => {
    const ws = await Sock.open(emu, alice)
    const p = await buttons('/strip')
    expect(p.props.attachments[0]!.actions[0]).not.toHaveProperty('integration')
    const got = await api(emu, alice, 'GET', `/api/v4/posts/${p.id}`)
    expect(JSON.stringify(got.body)).not.toContain('ctx-secret-value')
    const ev = await ws.event('posted', e => JSON.parse(e.data.post).id === p.id)
    expect(ev.data.post).not.toContain('integration')
    const ch = await api(emu, alice, 'GET', `/api/v4/channels/${town}/posts`)
    expect(JSON.stringify(ch.body)).not.toContain(hs.url)
    ws.close()
  })

  it('a click POSTs the request to the integration and answers OK with a trigger id', async () => {
    const p = await buttons('/click')
    const r = await api(emu, alice, 'POST', `/api/v4/posts/${p.id}/actions/menu`, { selected_option: 'a' })
    expect(r.status).toBe(200)
    expect(r.body.status).toBe('OK')
    expect(r.body.trigger_id).toBeTruthy()
    const req = await hs.next('/click')
    expect(req.headers['content-type']).toBe('application/json')
    expect(req.headers.authorization).toBeUndefined()
    expect(req.json).toMatchObject({
      user_id: emu.seed.users.alice.id,
      user_name: 'alice',
      channel_id: town,
      channel_name: 'town-square',
      team_id: emu.seed.team.id,
      team_domain: emu.seed.team.name,
      post_id: p.id,
      trigger_id: r.body.trigger_id,
      type: 'select',
      context: { k: 1, selected_option: 'a' },
    })
  })

  it('update replaces message/props but keeps from_webhook / override_username / is_pinned; ephemeral_text to the clicker', async () => {
    const hook = await api(emu, alice, 'POST', '/api/v4/hooks/incoming', { channel_id: town })
    const ws = await Sock.open(emu, alice)
    const attachments = [
      { text: 't', actions: [{ id: 'go', name: 'Go', integration: { url: `${hs.url}/update` } }] },
    ]
    await fetch(`${emu.url}/hooks/${hook.body.id}`, {
      method: 'POST',
      body: JSON.stringify({ text: 'from hook', username: 'hooky', attachments }),
    })
    const posted = JSON.parse(
      (await ws.event('posted', e => JSON.parse(e.data.post).message === 'from hook')).data.post,
    )
    expect(posted.type).toBe('slack_attachment')
    await api(emu, alice, 'POST', `/api/v4/posts/${posted.id}/pin`)
    hs.answers.set('/update', {
      body: { update: { message: 'done', props: { x: 1 } }, ephemeral_text: 'saved' },
    })
    await api(emu, alice, 'POST', `/api/v4/posts/${posted.id}/actions/go`, {})
    const edited = JSON.parse(
      (await ws.event('post_edited', e => JSON.parse(e.data.post).message === 'done')).data.post,
    )
    expect(edited).toMatchObject({ id: posted.id, is_pinned: true })
    expect(edited.props).toEqual({ x: 1, from_webhook: 'true', override_username: 'hooky' })
    const eph = await ws.event('ephemeral_message')
    expect(JSON.parse(eph.data.post)).toMatchObject({
      message: 'saved',
      root_id: posted.id,
      channel_id: town,
    })
    expect(eph.broadcast.user_id).toBe(emu.seed.users.alice.id)
    // An update without props keeps the post's props (buttons stay).
    const p2 = await buttons('/keep')
    hs.answers.set('/keep', { body: { update: { message: 'kept' } } })
    await api(emu, alice, 'POST', `/api/v4/posts/${p2.id}/actions/ok`, {})
    const kept = (await api(emu, alice, 'GET', `/api/v4/posts/${p2.id}`)).body
    expect(kept.message).toBe('kept')
    expect(kept.props.attachments[0].actions.map((a: { id: string }) => a.id)).toEqual(['ok', 'menu'])
    ws.close()
  })

  it('non-200 from the integration → 400 action_integration; unknown action → 404; bad post id → 400', async () => {
    const p = await buttons('/fail')
    hs.answers.set('/fail', { status: 500 })
    const r = await api(emu, alice, 'POST', `/api/v4/posts/${p.id}/actions/ok`, {})
    expect([r.status, r.body.id]).toEqual([400, 'api.post.do_action.action_integration.app_error'])
    const nf = await api(emu, alice, 'POST', `/api/v4/posts/${p.id}/actions/nope`, {})
    expect([nf.status, nf.body.id]).toEqual([404, 'api.post.do_action.action_id.app_error'])
    const bad = await api(emu, alice, 'POST', '/api/v4/posts/short/actions/ok', {})
    expect([bad.status, bad.body.id]).toEqual([400, 'api.context.invalid_url_param.app_error'])
  })
})

describe('dialogs', () => {
  const dialog = {
    callback_id: 'cb',
    title: 'Title',
    elements: [{ display_name: 'N', name: 'n', type: 'text' }],
  }
  async function triggerFor(token: string, path: string): Promise<string> {
    const p = await buttons(path)
    const r = await api(emu, token, 'POST', `/api/v4/posts/${p.id}/actions/ok`, {})
    await hs.next(path)
    return r.body.trigger_id as string
  }

  it('open needs no session; open_dialog goes only to the trigger’s user, with a new client trigger id', async () => {
    const trigger = await triggerFor(alice, '/t1')
    const wsA = await Sock.open(emu, alice)
    const wsB = await Sock.open(emu, bob)
    const r = await api(emu, undefined, 'POST', '/api/v4/actions/dialogs/open', {
      trigger_id: trigger,
      url: `${hs.url}/submit`,
      dialog,
    })
    expect([r.status, r.body]).toEqual([200, { status: 'OK' }])
    const ev = await wsA.event('open_dialog')
    const payload = JSON.parse(ev.data.dialog)
    expect(payload.dialog).toEqual(dialog)
    expect(payload.url).toBe(`${hs.url}/submit`)
    expect(payload.trigger_id).not.toBe(trigger)
    expect(ev.broadcast.user_id).toBe(emu.seed.users.alice.id)
    await settle()
    expect(wsB.events('open_dialog')).toHaveLength(0)
    wsA.close()
    wsB.close()
  })

  it('forged trigger → 400 signature; older than 30 s → 400 expired; missing fields → 400', async () => {
    const forged = await api(emu, undefined, 'POST', '/api/v4/actions/dialogs/open', {
      trigger_id: 'bm90LWEtdHJpZ2dlcg==',
      url: `${hs.url}/s`,
      dialog,
    })
    expect([forged.status, forged.body.id]).toEqual([
      400,
      'interactive_message.decode_trigger_id.signature_decode_failed',
    ])
    const trigger = await triggerFor(alice, '/t2')
    ageTrigger(trigger, 30_001)
    const old = await api(emu, undefined, 'POST', '/api/v4/actions/dialogs/open', {
      trigger_id: trigger,
      url: 'http://x',
      dialog,
    })
    expect([old.status, old.body.id]).toEqual([400, 'interactive_message.decode_trigger_id.expired'])
    const noUrl = await api(emu, undefined, 'POST', '/api/v4/actions/dialogs/open', {
      trigger_id: trigger,
      dialog,
    })
    expect([noUrl.status, noUrl.body.id]).toEqual([400, 'api.context.invalid_body_param.app_error'])
  })

  it('submit → dialog_submission to the URL (url removed, user from the session); errors pass back', async () => {
    hs.answers.set('/submit', { body: { errors: { n: 'too short' } } })
    const r = await api(emu, alice, 'POST', '/api/v4/actions/dialogs/submit', {
      url: `${hs.url}/submit`,
      callback_id: 'cb',
      state: 'st',
      channel_id: town,
      team_id: emu.seed.team.id,
      submission: { n: 'x' },
      cancelled: false,
      user_id: 'spoofed',
    })
    expect([r.status, r.body]).toEqual([200, { errors: { n: 'too short' } }])
    const req = await hs.next('/submit')
    expect(req.json).toEqual({
      type: 'dialog_submission',
      callback_id: 'cb',
      state: 'st',
      user_id: emu.seed.users.alice.id,
      channel_id: town,
      team_id: emu.seed.team.id,
      submission: { n: 'x' },
      cancelled: false,
    })
    const anon = await api(emu, undefined, 'POST', '/api/v4/actions/dialogs/submit', {
      url: 'http://x',
      channel_id: town,
    })
    expect(anon.status).toBe(401)
  })
})

describe('ephemeral posts', () => {
  it('bots: 201, not stored, ephemeral_message to that user only; humans: 403', async () => {
    const wsA = await Sock.open(emu, alice)
    const wsB = await Sock.open(emu, bob)
    const r = await api(emu, bot, 'POST', '/api/v4/posts/ephemeral', {
      user_id: emu.seed.users.alice.id,
      post: { channel_id: town, message: 'psst' },
    })
    expect(r.status).toBe(201)
    expect(r.body).toMatchObject({
      type: 'system_ephemeral',
      message: 'psst',
      user_id: emu.seed.users.bot.id,
    })
    await wsA.event('ephemeral_message')
    await settle()
    expect(wsB.events('ephemeral_message')).toHaveLength(0)
    expect((await api(emu, bot, 'GET', `/api/v4/posts/${r.body.id}`)).status).toBe(404)
    const human = await api(emu, bob, 'POST', '/api/v4/posts/ephemeral', {
      user_id: emu.seed.users.alice.id,
      post: { channel_id: town, message: 'x' },
    })
    expect([human.status, human.body.id]).toEqual([403, 'api.context.permissions.app_error'])
    wsA.close()
    wsB.close()
  })
})

describe('actions on ephemeral posts (action cookies)', () => {
  /** The bot sends alice an ephemeral post with a button (no id given) and a select. */
  async function ephemeral(path: string, opts: { channel?: string; props?: Record<string, unknown> } = {}) {
    const ws = await Sock.open(emu, alice)
    const integration = (context: Record<string, unknown>) => ({ url: `${hs.url}${path}`, context })
    const actions = [
      { name: 'Go', integration: integration({ secret: 'eph-secret-value' }) },
      {
        id: 'menu',
        name: 'Menu',
        type: 'select',
        options: [{ text: 'B', value: 'b' }],
        integration: integration({ k: 2 }),
      },
    ]
    const r = await api(emu, bot, 'POST', '/api/v4/posts/ephemeral', {
      user_id: emu.seed.users.alice.id,
      post: {
        channel_id: opts.channel ?? town,
        message: 'only you',
        props: { ...opts.props, attachments: [{ text: 'pick', actions }] },
      },
    })
    expect(r.status).toBe(201)
    const ev = await ws.event('ephemeral_message', e => JSON.parse(e.data.post).id === r.body.id)
    ws.close()
    const post = JSON.parse(ev.data.post)
    const [button, menu] = post.props.attachments[0].actions as Array<Record<string, string>>
    return { rest: r.body, raw: ev.data.post as string, post, button: button!, menu: menu! }
  }

  it('each action arrives with an id and an opaque cookie, never the integration (WS and REST)', async () => {
    const e = await ephemeral('/eph-strip')
    for (const a of [e.button, e.menu]) {
      expect(a.id).toBeTruthy()
      expect(typeof a.cookie).toBe('string')
      expect(a).not.toHaveProperty('integration')
      expect(Buffer.from(a.cookie!, 'base64').toString('latin1')).not.toContain(hs.url)
    }
    expect(e.raw).not.toContain(hs.url)
    expect(e.raw).not.toContain('eph-secret-value')
    const restActions = e.rest.props.attachments[0].actions
    expect(restActions.map((a: { id: string }) => a.id)).toEqual([e.button.id, 'menu'])
    expect(restActions.every((a: { cookie?: string }) => typeof a.cookie === 'string')).toBe(true)
    expect(JSON.stringify(e.rest)).not.toContain(hs.url)
  })

  it('a click with the cookie POSTs to the integration as for a stored post (ephemeral post id, its channel)', async () => {
    const e = await ephemeral('/eph-click')
    const r = await api(emu, alice, 'POST', `/api/v4/posts/${e.post.id}/actions/${e.button.id}`, {
      cookie: e.button.cookie,
    })
    expect([r.status, r.body.status]).toEqual([200, 'OK'])
    expect(r.body.trigger_id).toBeTruthy()
    expect((await hs.next('/eph-click')).json).toEqual({
      user_id: emu.seed.users.alice.id,
      user_name: 'alice',
      channel_id: town,
      channel_name: 'town-square',
      team_id: emu.seed.team.id,
      team_domain: emu.seed.team.name,
      post_id: e.post.id,
      trigger_id: r.body.trigger_id,
      type: 'button',
      data_source: '',
      context: { secret: 'eph-secret-value' },
    })
    const m = await api(emu, alice, 'POST', `/api/v4/posts/${e.post.id}/actions/menu`, {
      cookie: e.menu.cookie,
      selected_option: 'b',
    })
    expect(m.status).toBe(200)
    expect((await hs.next('/eph-click')).json).toMatchObject({
      post_id: e.post.id,
      type: 'select',
      context: { k: 2, selected_option: 'b' },
    })
  })

  it('ephemeral_text → a new ephemeral in the post’s thread with the kept props; update → 404 (not stored)', async () => {
    const e = await ephemeral('/eph-answer', { props: { override_username: 'helper', other: 'x' } })
    const ws = await Sock.open(emu, alice)
    hs.answers.set('/eph-answer', { body: { ephemeral_text: 'noted <!here>' } })
    const ok = await api(emu, alice, 'POST', `/api/v4/posts/${e.post.id}/actions/${e.button.id}`, {
      cookie: e.button.cookie,
    })
    expect(ok.status).toBe(200)
    const reply = JSON.parse(
      (await ws.event('ephemeral_message', ev => JSON.parse(ev.data.post).message === 'noted @here')).data
        .post,
    )
    expect(reply).toMatchObject({
      type: 'system_ephemeral',
      channel_id: town,
      root_id: e.post.id,
      user_id: emu.seed.users.alice.id,
      props: { override_username: 'helper' },
    })
    expect(reply.props).not.toHaveProperty('other')
    // The real server hands `update` to UpdatePost, which cannot find an unstored post: 404 after
    // the integration ran, and the ephemeral_text of that answer is never sent.
    hs.answers.set('/eph-answer', { body: { update: { message: 'changed' }, ephemeral_text: 'lost' } })
    const upd = await api(emu, alice, 'POST', `/api/v4/posts/${e.post.id}/actions/${e.button.id}`, {
      cookie: e.button.cookie,
    })
    expect([upd.status, upd.body.id]).toEqual([404, 'app.post.get.app_error'])
    await hs.next('/eph-answer')
    await settle()
    expect(ws.events('post_edited')).toHaveLength(0)
    expect(
      ws.events('ephemeral_message').filter(ev => JSON.parse(ev.data.post).message === 'lost'),
    ).toHaveLength(0)
    ws.close()
  })

  it('forged or altered cookie → 400; no cookie → 403 (404 for admins); another post’s id → 400; unreadable channel → 403', async () => {
    const e = await ephemeral('/eph-bad')
    const url = `/api/v4/posts/${e.post.id}/actions/${e.button.id}`
    const forged = await api(emu, alice, 'POST', url, { cookie: 'bm90LWEtY29va2ll' })
    expect([forged.status, forged.body.id]).toEqual([400, 'api.post.do_action.action_integration.app_error'])
    const c = e.button.cookie!
    const altered = `${c.slice(0, 20)}${c[20] === 'A' ? 'B' : 'A'}${c.slice(21)}`
    const alt = await api(emu, alice, 'POST', url, { cookie: altered })
    expect([alt.status, alt.body.id]).toEqual([400, 'api.post.do_action.action_integration.app_error'])
    const none = await api(emu, alice, 'POST', url, {})
    expect([none.status, none.body.id]).toEqual([403, 'api.context.permissions.app_error'])
    const admin = await api(emu, emu.seed.users.admin.token, 'POST', url, {})
    expect([admin.status, admin.body.id]).toEqual([404, 'app.post.get.app_error'])
    const other = await api(emu, alice, 'POST', `/api/v4/posts/${'x'.repeat(26)}/actions/${e.button.id}`, {
      cookie: c,
    })
    expect([other.status, other.body.id]).toEqual([400, 'api.post.do_action.action_integration.app_error'])
    const priv = await ephemeral('/eph-priv', { channel: emu.seed.channels.privateRoom.id })
    const stranger = await api(emu, bob, 'POST', `/api/v4/posts/${priv.post.id}/actions/${priv.button.id}`, {
      cookie: priv.button.cookie,
    })
    expect([stranger.status, stranger.body.id]).toEqual([403, 'api.context.permissions.app_error'])
    await settle()
    expect(hs.received.filter(r => r.path === '/eph-bad' || r.path === '/eph-priv')).toHaveLength(0)
  })
})
