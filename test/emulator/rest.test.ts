import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Emulator } from '../../src/emulator/index.js'
import { api, startSeeded } from './helpers.js'

let emu: Emulator
let bot: string
let alice: string
let bob: string
let admin: string
let town: string
let priv: string

beforeAll(async () => {
  ;({ emu, bot, alice, bob, admin, town, priv } = await startSeeded())
})
afterAll(() => emu.stop())

const FAKE = 'abcdefghijklmnopqrstuvwxyz' // valid id shape, exists nowhere

describe('headers, errors, auth', () => {
  it('answers JSON with the exact content type, request and version ids', async () => {
    const r = await api(emu, bot, 'GET', '/api/v4/users/me')
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('application/json')
    expect(r.headers.get('x-request-id')).toMatch(/^[a-z0-9]{26}$/)
    expect(r.headers.get('x-version-id')).toMatch(/^\d+\.\d+\.\d+\./)
    expect(r.body.username).toBe('matterbot')
    expect(r.body.is_bot).toBe(true)
    expect(r.body).not.toHaveProperty('password')
  })

  it('AppError JSON: 401 without and with a bad token, request_id echoes the header', async () => {
    for (const token of [undefined, 'not-a-token']) {
      const r = await api(emu, token, 'GET', '/api/v4/users/me')
      expect(r.status).toBe(401)
      expect(r.body).toEqual({
        id: 'api.context.session_expired.app_error',
        message: expect.any(String),
        detailed_error: '',
        request_id: r.headers.get('x-request-id'),
        status_code: 401,
      })
    }
  })

  it('detailed_error is filled only with EnableDeveloper', async () => {
    emu.config.EnableDeveloper = true
    try {
      const r = await api(emu, 'bad', 'GET', '/api/v4/users/me')
      expect(r.body.detailed_error).not.toBe('')
    } finally {
      emu.config.EnableDeveloper = false
    }
  })

  it('unknown route → 404 api.context.404.app_error', async () => {
    const r = await api(emu, bot, 'GET', '/api/v4/nope')
    expect([r.status, r.body.id]).toEqual([404, 'api.context.404.app_error'])
  })

  it('accepts Bearer in any case and the Token scheme', async () => {
    for (const h of [`bearer ${bot}`, `BEARER ${bot}`, `Token ${bot}`]) {
      const r = await api(emu, undefined, 'GET', '/api/v4/users/me', undefined, { Authorization: h })
      expect(r.status).toBe(200)
    }
  })

  it('system ping needs no auth', async () => {
    const r = await api(emu, undefined, 'GET', '/api/v4/system/ping')
    expect(r.status).toBe(200)
    expect(r.body.status).toBe('OK')
  })

  it('login: 200 + Token header, logout revokes, bots and bad passwords are refused', async () => {
    const ok = await api(emu, undefined, 'POST', '/api/v4/users/login', {
      login_id: 'alice',
      password: 'alice-password-1',
    })
    expect(ok.status).toBe(200)
    const token = ok.headers.get('token')!
    expect(token).toMatch(/^[a-z0-9]{26}$/)
    expect(ok.body.username).toBe('alice')
    expect((await api(emu, token, 'GET', '/api/v4/users/me')).status).toBe(200)
    const byEmail = await api(emu, undefined, 'POST', '/api/v4/users/login', {
      login_id: emu.seed.users.bob.email,
      password: 'bob-password-1',
    })
    expect(byEmail.status).toBe(200)
    expect((await api(emu, token, 'POST', '/api/v4/users/logout')).body).toEqual({ status: 'OK' })
    expect((await api(emu, token, 'GET', '/api/v4/users/me')).status).toBe(401)

    const wrong = await api(emu, undefined, 'POST', '/api/v4/users/login', {
      login_id: 'alice',
      password: 'x',
    })
    expect([wrong.status, wrong.body.id]).toEqual([401, 'api.user.login.invalid_credentials_email_username'])
    const blank = await api(emu, undefined, 'POST', '/api/v4/users/login', {
      login_id: 'alice',
      password: '',
    })
    expect([blank.status, blank.body.id]).toEqual([400, 'api.user.login.blank_pwd.app_error'])
    const botLogin = await api(emu, undefined, 'POST', '/api/v4/users/login', {
      login_id: 'matterbot',
      password: 'whatever',
    })
    expect([botLogin.status, botLogin.body.id]).toEqual([401, 'api.user.login.bot_login_forbidden.app_error'])
  })

  it('malformed JSON body → 400 invalid_body_param; over MaximumPayloadSizeBytes → 413', async () => {
    const bad = await api(emu, bot, 'POST', '/api/v4/posts', '{nope', { 'Content-Type': 'application/json' })
    expect([bad.status, bad.body.id]).toEqual([400, 'api.context.invalid_body_param.app_error'])
    const big = await api(emu, bot, 'POST', '/api/v4/posts', {
      channel_id: town,
      message: 'x',
      props: { pad: 'y'.repeat(300_001) },
    })
    expect([big.status, big.body.id]).toEqual([413, 'api.context.request_body_too_large.app_error'])
  })
})

describe('users', () => {
  it('by id, me, username, email, ids, usernames, search, list', async () => {
    const { alice: a, bob: b } = emu.seed.users
    expect((await api(emu, bot, 'GET', `/api/v4/users/${a.id}`)).body.username).toBe('alice')
    expect((await api(emu, bot, 'GET', '/api/v4/users/username/bob')).body.id).toBe(b.id)
    expect((await api(emu, bot, 'GET', `/api/v4/users/email/${a.email}`)).body.id).toBe(a.id)
    const ids = await api(emu, bot, 'POST', '/api/v4/users/ids', [a.id, b.id, FAKE])
    expect(ids.body.map((u: { id: string }) => u.id).sort()).toEqual([a.id, b.id].sort())
    const names = await api(emu, bot, 'POST', '/api/v4/users/usernames', ['alice'])
    expect(names.body).toHaveLength(1)
    const search = await api(emu, bot, 'POST', '/api/v4/users/search', { term: 'ali' })
    expect(search.body.map((u: { username: string }) => u.username)).toContain('alice')
    const list = await api(emu, bot, 'GET', `/api/v4/users?in_channel=${priv}`)
    expect(list.body.map((u: { username: string }) => u.username).sort()).toEqual(['admin', 'alice'])
    expect((await api(emu, bot, 'GET', '/api/v4/users?per_page=2')).body).toHaveLength(2)
  })

  it('404 for unknown users, 400 for malformed ids', async () => {
    const r = await api(emu, bot, 'GET', `/api/v4/users/${FAKE}`)
    expect([r.status, r.body.id]).toEqual([404, 'app.user.missing_account.const'])
    const m = await api(emu, bot, 'GET', '/api/v4/users/short')
    expect([m.status, m.body.id]).toEqual([400, 'api.context.invalid_url_param.app_error'])
    const n = await api(emu, bot, 'GET', '/api/v4/users/username/nobody')
    expect(n.status).toBe(404)
  })

  it('status: set, get, by ids; cannot set someone else’s', async () => {
    const me = emu.seed.users.alice.id
    const set = await api(emu, alice, 'PUT', '/api/v4/users/me/status', { user_id: me, status: 'dnd' })
    expect(set.body).toMatchObject({ user_id: me, status: 'dnd', manual: true })
    expect((await api(emu, bot, 'GET', `/api/v4/users/${me}/status`)).body.status).toBe('dnd')
    const ids = await api(emu, bot, 'POST', '/api/v4/users/status/ids', [me])
    expect(ids.body[0].status).toBe('dnd')
    const other = await api(emu, bob, 'PUT', `/api/v4/users/${me}/status`, { user_id: me, status: 'away' })
    expect([other.status, other.body.id]).toEqual([403, 'api.context.permissions.app_error'])
    const bad = await api(emu, alice, 'PUT', '/api/v4/users/me/status', { user_id: me, status: 'sleepy' })
    expect(bad.status).toBe(400)
  })

  it('typing: 200 for members, 403 for non-members', async () => {
    const ok = await api(emu, bot, 'POST', '/api/v4/users/me/typing', { channel_id: town })
    expect(ok.body).toEqual({ status: 'OK' })
    const no = await api(emu, bob, 'POST', '/api/v4/users/me/typing', { channel_id: priv })
    expect(no.status).toBe(403)
  })

  it('preferences: put, get, delete', async () => {
    const me = emu.seed.users.bob.id
    const pref = { user_id: me, category: 'display_settings', name: 'theme', value: 'dark' }
    expect((await api(emu, bob, 'PUT', '/api/v4/users/me/preferences', [pref])).status).toBe(200)
    expect((await api(emu, bob, 'GET', '/api/v4/users/me/preferences')).body).toContainEqual(pref)
    await api(emu, bob, 'POST', '/api/v4/users/me/preferences/delete', [pref])
    expect((await api(emu, bob, 'GET', '/api/v4/users/me/preferences')).body).not.toContainEqual(pref)
  })
})

describe('teams and channels', () => {
  it('team by id, by name, members, my teams; 404 for unknown names', async () => {
    const { team } = emu.seed
    expect((await api(emu, bot, 'GET', `/api/v4/teams/${team.id}`)).body.name).toBe('matterkit')
    expect((await api(emu, bot, 'GET', '/api/v4/teams/name/matterkit')).body.id).toBe(team.id)
    const members = await api(emu, bot, 'GET', `/api/v4/teams/${team.id}/members`)
    expect(members.body.length).toBeGreaterThanOrEqual(4)
    expect((await api(emu, bot, 'GET', '/api/v4/users/me/teams')).body[0].id).toBe(team.id)
    const none = await api(emu, bot, 'GET', '/api/v4/teams/name/nope')
    expect([none.status, none.body.id]).toEqual([404, 'app.team.get_by_name.missing.app_error'])
  })

  it('channel by id and by name (both forms); private channels are 403 for non-members', async () => {
    const { team } = emu.seed
    expect((await api(emu, bot, 'GET', `/api/v4/channels/${town}`)).body.name).toBe('town-square')
    const byName = await api(emu, bot, 'GET', `/api/v4/teams/${team.id}/channels/name/off-topic`)
    expect(byName.body.id).toBe(emu.seed.channels.offTopic.id)
    const both = await api(emu, bot, 'GET', '/api/v4/teams/name/matterkit/channels/name/town-square')
    expect(both.body.id).toBe(town)
    const missing = await api(emu, bot, 'GET', '/api/v4/teams/name/matterkit/channels/name/nope')
    expect([missing.status, missing.body.id]).toEqual([404, 'app.channel.get_by_name.missing.app_error'])
    const p = await api(emu, bob, 'GET', `/api/v4/channels/${priv}`)
    expect([p.status, p.body.id]).toEqual([403, 'api.context.permissions.app_error'])
    const unknown = await api(emu, bot, 'GET', `/api/v4/channels/${FAKE}`)
    expect([unknown.status, unknown.body.id]).toEqual([404, 'app.channel.get.existing.app_error'])
  })

  it('create, patch, members add/get/remove, archive; validation', async () => {
    const teamId = emu.seed.team.id
    const c = await api(emu, alice, 'POST', '/api/v4/channels', {
      team_id: teamId,
      name: 'rest-chan',
      display_name: 'Rest',
      type: 'O',
    })
    expect(c.status).toBe(201)
    const id = c.body.id
    const dup = await api(emu, alice, 'POST', '/api/v4/channels', {
      team_id: teamId,
      name: 'rest-chan',
      display_name: 'Rest',
      type: 'O',
    })
    expect([dup.status, dup.body.id]).toEqual([400, 'store.sql_channel.save_channel.exists.app_error'])
    const badType = await api(emu, alice, 'POST', '/api/v4/channels', {
      team_id: teamId,
      name: 'x-chan',
      display_name: 'X',
      type: 'D',
    })
    expect([badType.status, badType.body.id]).toEqual([400, 'model.channel.is_valid.type.app_error'])
    const patched = await api(emu, alice, 'PUT', `/api/v4/channels/${id}/patch`, { header: 'hi' })
    expect(patched.body.header).toBe('hi')
    const add = await api(emu, alice, 'POST', `/api/v4/channels/${id}/members`, {
      user_id: emu.seed.users.bob.id,
    })
    expect(add.status).toBe(201)
    expect(add.body.user_id).toBe(emu.seed.users.bob.id)
    const m = await api(emu, alice, 'GET', `/api/v4/channels/${id}/members/${emu.seed.users.bob.id}`)
    expect(m.body.channel_id).toBe(id)
    const list = await api(emu, alice, 'GET', `/api/v4/channels/${id}/members`)
    expect(list.body).toHaveLength(2)
    const rm = await api(emu, alice, 'DELETE', `/api/v4/channels/${id}/members/${emu.seed.users.bob.id}`)
    expect(rm.body).toEqual({ status: 'OK' })
    expect((await api(emu, alice, 'DELETE', `/api/v4/channels/${id}`)).body).toEqual({ status: 'OK' })
    const post = await api(emu, alice, 'POST', '/api/v4/posts', { channel_id: id, message: 'late' })
    expect([post.status, post.body.id]).toEqual([400, 'api.post.create_post.can_not_post_to_deleted.error'])
  })

  it('DM: name = sorted ids joined by __, idempotent; GM: sha1 name, 3..8 users', async () => {
    const { alice: a, bob: b, bot: t } = emu.seed.users
    const d1 = await api(emu, alice, 'POST', '/api/v4/channels/direct', [a.id, b.id])
    expect(d1.status).toBe(201)
    expect(d1.body.name).toBe([a.id, b.id].sort().join('__'))
    expect(d1.body.type).toBe('D')
    const d2 = await api(emu, bob, 'POST', '/api/v4/channels/direct', [b.id, a.id])
    expect(d2.body.id).toBe(d1.body.id)
    const notMine = await api(emu, bot, 'POST', '/api/v4/channels/direct', [a.id, b.id])
    expect(notMine.status).toBe(403)
    const g = await api(emu, alice, 'POST', '/api/v4/channels/group', [a.id, b.id, t.id])
    expect(g.status).toBe(201)
    expect(g.body.type).toBe('G')
    expect(g.body.name).toMatch(/^[0-9a-f]{40}$/)
    // display name: the usernames sorted (not the ids)
    expect(g.body.display_name).toBe([a.username, b.username, t.username].sort().join(', '))
    expect((await api(emu, bob, 'POST', '/api/v4/channels/group', [t.id, a.id, b.id])).body.id).toBe(
      g.body.id,
    )
    const small = await api(emu, alice, 'POST', '/api/v4/channels/group', [a.id, b.id])
    expect([small.status, small.body.id]).toEqual([400, 'api.channel.create_group.bad_size.app_error'])
  })

  it("user's channels per team (with DMs) and across teams; view", async () => {
    const { team, users } = emu.seed
    const inTeam = await api(emu, alice, 'GET', `/api/v4/users/me/teams/${team.id}/channels`)
    const names = inTeam.body.map((c: { name: string }) => c.name)
    expect(names).toEqual(expect.arrayContaining(['town-square', 'off-topic', 'private-room']))
    const bobs = await api(emu, bob, 'GET', `/api/v4/users/${users.bob.id}/channels`)
    expect(bobs.body.map((c: { name: string }) => c.name)).not.toContain('private-room')
    const view = await api(emu, bob, 'POST', '/api/v4/channels/members/me/view', { channel_id: town })
    expect(view.body.status).toBe('OK')
  })
})

describe('posts', () => {
  it('create (201), get, ids, patch (props replaced), update (id must match), delete', async () => {
    const c = await api(emu, bot, 'POST', '/api/v4/posts', {
      channel_id: town,
      message: 'hello #tag',
      props: { a: 1, from_webhook: 'true' },
      user_id: emu.seed.users.alice.id,
    })
    expect(c.status).toBe(201)
    expect(c.body).toMatchObject({
      user_id: emu.seed.users.bot.id,
      channel_id: town,
      message: 'hello #tag',
      hashtags: '#tag',
      edit_at: 0,
      root_id: '',
    })
    expect(c.body.props).toEqual({ a: 1, from_bot: 'true' })
    expect(c.body.update_at).toBe(c.body.create_at)
    const id = c.body.id
    expect((await api(emu, alice, 'GET', `/api/v4/posts/${id}`)).body.message).toBe('hello #tag')
    const ids = await api(emu, alice, 'POST', '/api/v4/posts/ids', [id, FAKE])
    expect(ids.body.map((p: { id: string }) => p.id)).toEqual([id])
    const patched = await api(emu, bot, 'PUT', `/api/v4/posts/${id}/patch`, {
      message: 'edited',
      props: { b: 2 },
    })
    expect(patched.body.message).toBe('edited')
    expect(patched.body.props).toEqual({ b: 2 })
    expect(patched.body.edit_at).toBeGreaterThan(0)
    const mismatch = await api(emu, bot, 'PUT', `/api/v4/posts/${id}`, { id: FAKE, message: 'x' })
    expect([mismatch.status, mismatch.body.id]).toEqual([400, 'api.context.invalid_body_param.app_error'])
    const full = await api(emu, bot, 'PUT', `/api/v4/posts/${id}`, { id, message: 'updated' })
    expect(full.body.message).toBe('updated')
    const others = await api(emu, alice, 'PUT', `/api/v4/posts/${id}/patch`, { message: 'hijack' })
    expect([others.status, others.body.id]).toEqual([403, 'api.context.permissions.app_error'])
    expect((await api(emu, bot, 'DELETE', `/api/v4/posts/${id}`)).body).toEqual({ status: 'OK' })
    const gone = await api(emu, alice, 'GET', `/api/v4/posts/${id}`)
    expect([gone.status, gone.body.id]).toEqual([404, 'app.post.get.app_error'])
  })

  it('create-post validation: each rule gives its exact status and id', async () => {
    const root = (await api(emu, bot, 'POST', '/api/v4/posts', { channel_id: town, message: 'root' })).body
    const reply = (
      await api(emu, bot, 'POST', '/api/v4/posts', { channel_id: town, message: 'r', root_id: root.id })
    ).body
    const other = emu.seed.channels.offTopic.id
    const cases: Array<[unknown, number, string, string?]> = [
      [{ message: 'no channel' }, 400, 'api.context.invalid_body_param.app_error'],
      [{ channel_id: FAKE, message: 'x' }, 404, 'app.channel.get.existing.app_error'],
      [
        { channel_id: town, message: 'x', type: 'system_join_channel' },
        400,
        'api.context.invalid_param.app_error',
      ],
      [{ channel_id: town, message: 'x', root_id: reply.id }, 400, 'api.post.create_post.root_id.app_error'],
      [
        { channel_id: other, message: 'x', root_id: root.id },
        400,
        'api.post.create_post.channel_root_id.app_error',
      ],
      [{ channel_id: town, message: 'x'.repeat(16384) }, 400, 'model.post.is_valid.message_length.app_error'],
      [
        {
          channel_id: town,
          message: 'x',
          file_ids: Array.from({ length: 11 }, (_, i) => `${FAKE.slice(0, 24)}${i}a`),
        },
        400,
        'model.post.is_valid.file_ids.app_error',
      ],
      [{ channel_id: priv, message: 'x' }, 403, 'api.context.permissions.app_error', bob],
    ]
    for (const [body, status, id, token] of cases) {
      const r = await api(emu, token ?? bot, 'POST', '/api/v4/posts', body)
      expect([r.status, r.body.id], JSON.stringify(body).slice(0, 80)).toEqual([status, id])
    }
    const ok = await api(emu, bot, 'POST', '/api/v4/posts', { channel_id: town, message: 'x'.repeat(16383) })
    expect(ok.status).toBe(201)
  })

  it('pending_post_id: same id → the same post (201), echoed, not persisted', async () => {
    const body = {
      channel_id: town,
      message: 'once',
      pending_post_id: `${emu.seed.users.bot.id}:${Date.now()}`,
    }
    const a = await api(emu, bot, 'POST', '/api/v4/posts', body)
    const b = await api(emu, bot, 'POST', '/api/v4/posts', body)
    expect([a.status, b.status]).toEqual([201, 201])
    expect(b.body.id).toBe(a.body.id)
    expect(a.body.pending_post_id).toBe(body.pending_post_id)
    expect((await api(emu, bot, 'GET', `/api/v4/posts/${a.body.id}`)).body.pending_post_id).toBe('')
    const c = await api(emu, bot, 'POST', '/api/v4/posts', { ...body, pending_post_id: '' })
    expect(c.body.id).not.toBe(a.body.id)
  })

  it('channel posts: page/per_page, before/after, since (incl. deleted), next/prev ids', async () => {
    const ch = emu.createChannel({ name: 'paging', members: [emu.seed.users.bot.id] })
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      ids.push(
        (await api(emu, bot, 'POST', '/api/v4/posts', { channel_id: ch.id, message: `m${i}` })).body.id,
      )
      // one millisecond apart at least: before/after compare create_at strictly (ties: see rules-rest)
      await new Promise(r => setTimeout(r, 2))
    }
    const all = await api(emu, bot, 'GET', `/api/v4/channels/${ch.id}/posts`)
    expect(all.body.order).toEqual([...ids].reverse())
    const p1 = await api(emu, bot, 'GET', `/api/v4/channels/${ch.id}/posts?page=1&per_page=2`)
    expect(p1.body.order).toEqual([ids[2], ids[1]])
    expect(p1.body.prev_post_id).toBe(ids[0])
    expect(p1.body.next_post_id).toBe(ids[3])
    const before = await api(emu, bot, 'GET', `/api/v4/channels/${ch.id}/posts?before=${ids[2]}`)
    expect(before.body.order).toEqual([ids[1], ids[0]])
    const after = await api(emu, bot, 'GET', `/api/v4/channels/${ch.id}/posts?after=${ids[2]}`)
    expect(after.body.order).toEqual([ids[4], ids[3]])
    const badBefore = await api(emu, bot, 'GET', `/api/v4/channels/${ch.id}/posts?before=zz`)
    expect([badBefore.status, badBefore.body.id]).toEqual([400, 'api.context.invalid_url_param.app_error'])
    const t = all.body.posts[ids[4]!].create_at
    await api(emu, bot, 'DELETE', `/api/v4/posts/${ids[1]}`)
    const since = await api(emu, bot, 'GET', `/api/v4/channels/${ch.id}/posts?since=${t - 1}`)
    expect(since.body.order).toContain(ids[4])
    expect(since.body.posts[ids[1]!].delete_at).toBeGreaterThan(0)
    const nonMember = await api(
      emu,
      alice,
      'GET',
      `/api/v4/channels/${emu.seed.channels.privateRoom.id}/posts`,
    )
    expect(nonMember.status).toBe(200)
    const denied = await api(emu, bob, 'GET', `/api/v4/channels/${emu.seed.channels.privateRoom.id}/posts`)
    expect(denied.status).toBe(403)
  })

  it('per_page above 200 is clamped to 200', async () => {
    const ch = emu.createChannel({ name: 'clamp', members: [emu.seed.users.bot.id] })
    for (let i = 0; i < 205; i++) emu.post(emu.seed.users.bot.id, ch.id, `c${i}`)
    const r = await api(emu, bot, 'GET', `/api/v4/channels/${ch.id}/posts?per_page=500`)
    expect(r.body.order).toHaveLength(200)
    const d = await api(emu, bot, 'GET', `/api/v4/channels/${ch.id}/posts`)
    expect(d.body.order).toHaveLength(60)
  })

  it('thread, pin/unpin, search, reactions', async () => {
    const root = (
      await api(emu, bot, 'POST', '/api/v4/posts', { channel_id: town, message: 'threadroot zebra' })
    ).body
    const r1 = (
      await api(emu, alice, 'POST', '/api/v4/posts', { channel_id: town, message: 'r1', root_id: root.id })
    ).body
    const thread = await api(emu, bot, 'GET', `/api/v4/posts/${r1.id}/thread`)
    expect(Object.keys(thread.body.posts).sort()).toEqual([root.id, r1.id].sort())
    expect(thread.body.posts[root.id].reply_count).toBe(1)
    await api(emu, bot, 'POST', `/api/v4/posts/${root.id}/pin`)
    expect((await api(emu, bot, 'GET', `/api/v4/posts/${root.id}`)).body.is_pinned).toBe(true)
    await api(emu, bot, 'POST', `/api/v4/posts/${root.id}/unpin`)
    expect((await api(emu, bot, 'GET', `/api/v4/posts/${root.id}`)).body.is_pinned).toBe(false)
    const s = await api(emu, bob, 'POST', `/api/v4/teams/${emu.seed.team.id}/posts/search`, {
      terms: 'zebra',
    })
    expect(s.body.order).toEqual([root.id])

    const react = { user_id: emu.seed.users.alice.id, post_id: root.id, emoji_name: 'thumbsup' }
    const r = await api(emu, alice, 'POST', '/api/v4/reactions', react)
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject(react)
    // api4/reaction.go saveReaction: reacting as someone else is a 403 of its own
    const forged = await api(emu, bob, 'POST', '/api/v4/reactions', react)
    expect([forged.status, forged.body.id]).toEqual([403, 'api.reaction.save_reaction.user_id.app_error'])
    const badEmoji = await api(emu, alice, 'POST', '/api/v4/reactions', { ...react, emoji_name: ':x:' })
    expect([badEmoji.status, badEmoji.body.id]).toEqual([400, 'model.reaction.is_valid.emoji_name.app_error'])
    expect((await api(emu, bob, 'GET', `/api/v4/posts/${root.id}/reactions`)).body).toHaveLength(1)
    expect((await api(emu, bob, 'GET', `/api/v4/posts/${root.id}`)).body.has_reactions).toBe(true)
    const del = await api(emu, alice, 'DELETE', `/api/v4/users/me/posts/${root.id}/reactions/thumbsup`)
    expect(del.body).toEqual({ status: 'OK' })
    expect((await api(emu, bob, 'GET', `/api/v4/posts/${root.id}/reactions`)).body).toHaveLength(0)
  })
})

describe('files', () => {
  it('multipart (channel_id first) and raw uploads, info, download, link, attach to a post', async () => {
    const form = new FormData()
    form.append('channel_id', town)
    form.append('client_ids', 'c1')
    form.append('files', new Blob([Buffer.from('hello file')]), 'hello.txt')
    const res = await fetch(`${emu.url}/api/v4/files`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bot}` },
      body: form,
    })
    expect(res.status).toBe(201)
    const up = (await res.json()) as {
      file_infos: Array<{ id: string; name: string; size: number }>
      client_ids: string[]
    }
    expect(up.client_ids).toEqual(['c1'])
    expect(up.file_infos[0]).toMatchObject({ name: 'hello.txt', size: 10, mime_type: 'text/plain' })
    const fid = up.file_infos[0]!.id
    const raw = await api(
      emu,
      bot,
      'POST',
      `/api/v4/files?channel_id=${town}&filename=raw.bin`,
      Buffer.from([1, 2, 3]),
    )
    expect(raw.status).toBe(201)
    expect(raw.body.file_infos[0].size).toBe(3)
    const info = await api(emu, alice, 'GET', `/api/v4/files/${fid}/info`)
    expect(info.body.name).toBe('hello.txt')
    const dl = await fetch(`${emu.url}/api/v4/files/${fid}?download=1`, {
      headers: { Authorization: `Bearer ${alice}` },
    })
    expect(await dl.text()).toBe('hello file')
    expect(dl.headers.get('content-disposition')).toMatch(/^attachment/)
    const p = await api(emu, bot, 'POST', '/api/v4/posts', {
      channel_id: town,
      message: 'file',
      file_ids: [fid],
    })
    expect(p.body.file_ids).toEqual([fid])
    const infos = await api(emu, alice, 'GET', `/api/v4/posts/${p.body.id}/files/info`)
    expect(infos.body[0].post_id).toBe(p.body.id)
    emu.config.EnablePublicLink = true
    expect((await api(emu, bot, 'GET', `/api/v4/files/${fid}/link`)).body.link).toMatch(/^http/)
    emu.config.EnablePublicLink = false
    // attachFilesToPost: someone else's (or an already attached) file is dropped, the post made
    const stolen = await api(emu, alice, 'POST', '/api/v4/posts', {
      channel_id: town,
      message: 'x',
      file_ids: [fid, 'n'.repeat(26)],
    })
    expect(stolen.status).toBe(201)
    expect(stolen.body.file_ids ?? []).toEqual([])
    expect((await api(emu, alice, 'GET', `/api/v4/files/${fid}/info`)).body.post_id).toBe(p.body.id)
  })

  it('empty upload → 400, private channel upload by non-member → 403, too large → 413', async () => {
    const empty = await api(
      emu,
      bot,
      'POST',
      `/api/v4/files?channel_id=${town}&filename=e.txt`,
      Buffer.alloc(0),
    )
    expect(empty.status).toBe(400)
    const denied = await api(emu, bob, 'POST', `/api/v4/files?channel_id=${priv}&filename=a.txt`, 'x')
    expect(denied.status).toBe(403)
    emu.config.MaxFileSize = 4
    try {
      const big = await api(emu, bot, 'POST', `/api/v4/files?channel_id=${town}&filename=a.txt`, 'too large')
      expect(big.status).toBe(413)
    } finally {
      emu.config.MaxFileSize = 104_857_600
    }
  })
})

describe('bots, tokens, emoji', () => {
  it('bot creation is off by default (403), on for admins; CRUD, disable/enable, assign', async () => {
    const off = await api(emu, admin, 'POST', '/api/v4/bots', { username: 'helper' })
    expect([off.status, off.body.id]).toEqual([403, 'api.bot.create_disabled'])
    emu.config.EnableBotAccountCreation = true
    try {
      const notAdmin = await api(emu, alice, 'POST', '/api/v4/bots', { username: 'helper' })
      expect(notAdmin.status).toBe(403)
      const badName = await api(emu, admin, 'POST', '/api/v4/bots', { username: '1 bad' })
      expect([badName.status, badName.body.id]).toEqual([400, 'model.user.is_valid.username.app_error'])
      const taken = await api(emu, admin, 'POST', '/api/v4/bots', { username: 'alice' })
      expect([taken.status, taken.body.id]).toEqual([400, 'app.user.save.username_exists.app_error'])
      const b = await api(emu, admin, 'POST', '/api/v4/bots', { username: 'helper', display_name: 'Helper' })
      expect(b.status).toBe(201)
      expect(b.body).toMatchObject({ username: 'helper', owner_id: emu.seed.users.admin.id, delete_at: 0 })
      const id = b.body.user_id
      expect((await api(emu, admin, 'GET', `/api/v4/bots/${id}`)).body.display_name).toBe('Helper')
      expect(
        (await api(emu, admin, 'GET', '/api/v4/bots')).body.map((x: { user_id: string }) => x.user_id),
      ).toContain(id)
      const patched = await api(emu, admin, 'PUT', `/api/v4/bots/${id}`, { description: 'd' })
      expect(patched.body.description).toBe('d')
      const dis = await api(emu, admin, 'POST', `/api/v4/bots/${id}/disable`)
      expect(dis.body.delete_at).toBeGreaterThan(0)
      expect((await api(emu, admin, 'POST', `/api/v4/bots/${id}/enable`)).body.delete_at).toBe(0)
      const assigned = await api(emu, admin, 'POST', `/api/v4/bots/${id}/assign/${emu.seed.users.alice.id}`)
      expect(assigned.body.owner_id).toBe(emu.seed.users.alice.id)
      const tok = await api(emu, alice, 'POST', `/api/v4/users/${id}/tokens`, { description: 'ci' })
      expect(tok.status).toBe(201)
      expect((await api(emu, tok.body.token, 'GET', '/api/v4/users/me')).body.username).toBe('helper')
      const missing = await api(emu, admin, 'GET', `/api/v4/bots/${FAKE}`)
      expect([missing.status, missing.body.id]).toEqual([404, 'store.sql_bot.get.missing.app_error'])
    } finally {
      emu.config.EnableBotAccountCreation = false
    }
  })

  it('access tokens: 501 for humans by default; create, list (no secret), disable, enable, revoke', async () => {
    const off = await api(emu, alice, 'POST', '/api/v4/users/me/tokens', { description: 'x' })
    expect([off.status, off.body.id]).toEqual([501, 'app.user_access_token.disabled'])
    emu.config.EnableUserAccessTokens = true
    try {
      const noDesc = await api(emu, alice, 'POST', '/api/v4/users/me/tokens', {})
      expect(noDesc.status).toBe(400)
      const t = await api(emu, alice, 'POST', '/api/v4/users/me/tokens', { description: 'cli' })
      expect(t.status).toBe(201)
      const { id, token } = t.body
      expect((await api(emu, token, 'GET', '/api/v4/users/me')).body.username).toBe('alice')
      const list = await api(emu, alice, 'GET', '/api/v4/users/me/tokens')
      expect(list.body.find((x: { id: string }) => x.id === id)).not.toHaveProperty('token')
      expect((await api(emu, alice, 'GET', `/api/v4/users/tokens/${id}`)).body.is_active).toBe(true)
      await api(emu, alice, 'POST', '/api/v4/users/tokens/disable', { token_id: id })
      expect((await api(emu, token, 'GET', '/api/v4/users/me')).status).toBe(401)
      await api(emu, alice, 'POST', '/api/v4/users/tokens/enable', { token_id: id })
      expect((await api(emu, token, 'GET', '/api/v4/users/me')).status).toBe(200)
      const other = await api(emu, bob, 'POST', '/api/v4/users/tokens/revoke', { token_id: id })
      expect(other.status).toBe(403)
      await api(emu, alice, 'POST', '/api/v4/users/tokens/revoke', { token_id: id })
      expect((await api(emu, token, 'GET', '/api/v4/users/me')).status).toBe(401)
    } finally {
      emu.config.EnableUserAccessTokens = false
    }
  })

  it('emoji list is empty, unknown emoji is 404, disabled is 501', async () => {
    expect((await api(emu, bot, 'GET', '/api/v4/emoji')).body).toEqual([])
    expect((await api(emu, bot, 'GET', '/api/v4/emoji/name/party')).status).toBe(404)
    emu.config.EnableCustomEmoji = false
    try {
      expect((await api(emu, bot, 'GET', '/api/v4/emoji')).status).toBe(501)
    } finally {
      emu.config.EnableCustomEmoji = true
    }
  })
})

describe('more rules', () => {
  it('thread paging: perPage, fromCreateAt/fromPost and direction, has_next, the asked post first', async () => {
    const root = (await api(emu, alice, 'POST', '/api/v4/posts', { channel_id: town, message: 'paged root' }))
      .body
    const replies = []
    for (let i = 0; i < 5; i++)
      replies.push(
        (
          await api(emu, alice, 'POST', '/api/v4/posts', {
            channel_id: town,
            message: `r${i}`,
            root_id: root.id,
          })
        ).body,
      )
    // Posts may share a millisecond: the thread orders by (create_at, id), as the store does.
    replies.sort((a, b) => a.create_at - b.create_at || (a.id < b.id ? -1 : 1))
    const page = async (query: string) =>
      (await api(emu, alice, 'GET', `/api/v4/posts/${root.id}/thread?${query}`)).body as {
        order: string[]
        has_next: boolean
      }
    const first = await page('perPage=2&direction=down')
    expect(first.order).toEqual([root.id, replies[0].id])
    expect(first.has_next).toBe(true)
    const cursor = replies[0]
    const next = await page(`perPage=2&direction=down&fromCreateAt=${cursor.create_at}&fromPost=${cursor.id}`)
    expect(next.order).toEqual([root.id, replies[1].id, replies[2].id])
    expect(next.has_next).toBe(true)
    const up = await page('perPage=2&direction=up')
    expect(up.order).toEqual([root.id, replies[4].id, replies[3].id])
    const last = await page(
      `perPage=10&direction=down&fromCreateAt=${replies[2].create_at}&fromPost=${replies[2].id}`,
    )
    expect([last.order, last.has_next]).toEqual([[root.id, replies[3].id, replies[4].id], false])
    expect((await page('')).order.sort()).toEqual([root.id, ...replies.map(r => r.id)].sort())
    const bad = await api(emu, alice, 'GET', `/api/v4/posts/${root.id}/thread?fromPost=${root.id}`)
    expect(bad.status).toBe(400)
    expect((await api(emu, alice, 'GET', `/api/v4/posts/${root.id}/thread?direction=sideways`)).status).toBe(
      400,
    )
  })

  it('thread perPage > 200 → 400; include_deleted shows deleted posts to admins only', async () => {
    const p = (await api(emu, bot, 'POST', '/api/v4/posts', { channel_id: town, message: 'to delete' })).body
    const big = await api(emu, bot, 'GET', `/api/v4/posts/${p.id}/thread?perPage=201`)
    // SetInvalidParamWithErr answers the body-param id even for a query parameter (web/context.go).
    expect([big.status, big.body.id]).toEqual([400, 'api.context.invalid_body_param.app_error'])
    await api(emu, bot, 'DELETE', `/api/v4/posts/${p.id}`)
    expect(
      (await api(emu, admin, 'GET', `/api/v4/posts/${p.id}?include_deleted=true`)).body.delete_at,
    ).toBeGreaterThan(0)
    expect((await api(emu, bot, 'GET', `/api/v4/posts/${p.id}?include_deleted=true`)).status).toBe(404)
  })

  it('users list filters: not_in_channel, role', async () => {
    const notIn = await api(emu, bot, 'GET', `/api/v4/users?not_in_channel=${priv}`)
    const names = notIn.body.map((u: { username: string }) => u.username)
    expect(names).toContain('bob')
    expect(names).not.toContain('alice')
    const admins = await api(emu, bot, 'GET', '/api/v4/users?role=system_admin')
    expect(admins.body.map((u: { username: string }) => u.username)).toEqual(['admin'])
  })

  it('adding members to a DM → 400 api.channel.add_user_to_channel.type.app_error', async () => {
    const { alice: a, bob: b } = emu.seed.users
    const dm = await api(emu, alice, 'POST', '/api/v4/channels/direct', [a.id, b.id])
    const r = await api(emu, alice, 'POST', `/api/v4/channels/${dm.body.id}/members`, {
      user_id: emu.seed.users.bot.id,
    })
    expect([r.status, r.body.id]).toEqual([400, 'api.channel.add_user_to_channel.type.app_error'])
  })

  it('emu.createUser / createChannel / addToTeam helpers give working accounts', async () => {
    const dave = emu.createUser({ username: 'dave', password: 'dave-password-1' })
    expect((await api(emu, dave.token, 'GET', '/api/v4/users/me')).body.username).toBe('dave')
    const helperBot = emu.createUser({ username: 'helperbot', is_bot: true })
    expect((await api(emu, helperBot.token, 'GET', '/api/v4/users/me')).body.is_bot).toBe(true)
    const ch = emu.createChannel({ name: 'dave-room', type: 'P', members: [dave.id] })
    expect((await api(emu, dave.token, 'GET', `/api/v4/channels/${ch.id}`)).body.type).toBe('P')
    expect((await api(emu, bob, 'GET', `/api/v4/channels/${ch.id}`)).status).toBe(403)
    expect(emu.addToTeam(dave.id).team_id).toBe(emu.seed.team.id)
  })
})
