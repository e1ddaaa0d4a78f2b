// Rules checked against the real server source: reserved slash-command triggers, post-edit
// validation, permission holes, in-band WebSocket auth, bot user_updated events, the rate-limited
// upgrade and the 8 KiB WebSocket read limit. Each asserts the exact status and error id (or event).
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { api, MEMBER_INTEGRATIONS, Sock, settle, startSeeded } from './helpers.js'

let emu: Emulator
let admin: string
let alice: string
let bob: string
let team: string
let town: string
beforeAll(async () => {
  ;({ emu, admin, alice, bob, team, town } = await startSeeded(MEMBER_INTEGRATIONS))
})
afterAll(() => emu.stop())

const err = (r: { status: number; body: { id?: string } }) => [r.status, r.body.id]
let n = 0
const command = (trigger: string, extra: Record<string, unknown> = {}) =>
  api(emu, alice, 'POST', '/api/v4/commands', {
    team_id: team,
    trigger,
    url: 'http://127.0.0.1:9/cmd',
    method: 'P',
    ...extra,
  })
const newChannel = async (token = alice) =>
  (
    await api(emu, token, 'POST', '/api/v4/channels', {
      team_id: team,
      name: `fid-${++n}`,
      display_name: `Fid ${n}`,
      type: 'O',
    })
  ).body as { id: string }
const newPost = async (channel = town, token = alice) =>
  (await api(emu, token, 'POST', '/api/v4/posts', { channel_id: channel, message: 'original' })).body as {
    id: string
  }
const upload = async (token: string, channel = town): Promise<string> => {
  const form = new FormData()
  form.append('channel_id', channel)
  form.append('files', new Blob([Buffer.from('x')]), 'x.txt')
  const res = await fetch(`${emu.url}/api/v4/files`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: form,
  })
  return ((await res.json()) as { file_infos: Array<{ id: string }> }).file_infos[0]!.id
}
/** A bot with its own access token (bots are exempt from EnableUserAccessTokens). */
const newBot = async (): Promise<{ id: string; token: string }> => {
  emu.config.EnableBotAccountCreation = true
  const b = await api(emu, admin, 'POST', '/api/v4/bots', { username: `fidbot${++n}` })
  emu.config.EnableBotAccountCreation = false
  const t = await api(emu, admin, 'POST', `/api/v4/users/${b.body.user_id}/tokens`, { description: 'fid' })
  return { id: b.body.user_id, token: t.body.token }
}

describe('slash-command triggers (app/command.go validateCommandTriggerUniqueness)', () => {
  it('a built-in trigger is reserved: 400 api.command.duplicate_trigger.app_error, any case, create and update', async () => {
    for (const t of [
      'echo',
      'JOIN',
      'shrug',
      'kick',
      'status',
      'invite_people',
      'secure-connection',
      'mobile-logs',
    ])
      expect(err(await command(t))).toEqual([400, 'api.command.duplicate_trigger.app_error'])
    // checked before the field checks of Command.IsValid
    expect(err(await command('away', { url: 'not a url' }))).toEqual([
      400,
      'api.command.duplicate_trigger.app_error',
    ])
    const mine = await command('fidcustom')
    expect(mine.status).toBe(201)
    const put = await api(emu, alice, 'PUT', `/api/v4/commands/${mine.body.id}`, {
      ...mine.body,
      trigger: 'Header',
    })
    expect(err(put)).toEqual([400, 'api.command.duplicate_trigger.app_error'])
  })

  it('providers that are off on a stock server (/test, /exportlink) leave their trigger free', async () => {
    expect((await command('test')).status).toBe(201)
    expect((await command('exportlink')).status).toBe(201)
  })

  it('another custom command of the same team has the trigger: 400 duplicate_trigger; free again once deleted', async () => {
    const first = await command('fiddup')
    expect(err(await command('FIDDUP'))).toEqual([400, 'api.command.duplicate_trigger.app_error'])
    await api(emu, alice, 'DELETE', `/api/v4/commands/${first.body.id}`)
    expect((await command('fiddup')).status).toBe(201)
  })
})

describe('editing a post validates like creating one (app.UpdatePost → Post.IsValid)', () => {
  it('a message over 16383 runes: 400 model.post.is_valid.message_length.app_error (PUT and patch)', async () => {
    const p = await newPost()
    const long = '€'.repeat(16384)
    const put = await api(emu, alice, 'PUT', `/api/v4/posts/${p.id}`, { id: p.id, message: long })
    expect(err(put)).toEqual([400, 'model.post.is_valid.message_length.app_error'])
    const patch = await api(emu, alice, 'PUT', `/api/v4/posts/${p.id}/patch`, { message: long })
    expect(err(patch)).toEqual([400, 'model.post.is_valid.message_length.app_error'])
    expect(
      (await api(emu, alice, 'PUT', `/api/v4/posts/${p.id}/patch`, { message: '€'.repeat(16383) })).status,
    ).toBe(200)
  })

  it('props over 800000 runes as Go marshals them (<, >, & are 6 each): 400 model.post.is_valid.props.app_error', async () => {
    const p = await newPost()
    const props = { text: '<'.repeat(140_000) } // 140 kB on the wire, 840 000 runes in Go's JSON
    const patch = await api(emu, alice, 'PUT', `/api/v4/posts/${p.id}/patch`, { props })
    expect(err(patch)).toEqual([400, 'model.post.is_valid.props.app_error'])
    const put = await api(emu, alice, 'PUT', `/api/v4/posts/${p.id}`, { id: p.id, message: 'm', props })
    expect(err(put)).toEqual([400, 'model.post.is_valid.props.app_error'])
    expect((await api(emu, alice, 'GET', `/api/v4/posts/${p.id}`)).body.message).toBe('original')
    // a new post meets the same limit
    const create = await api(emu, alice, 'POST', '/api/v4/posts', { channel_id: town, message: 'm', props })
    expect(err(create)).toEqual([400, 'model.post.is_valid.props.app_error'])
  })

  it('file ids: 11 → 400 model.post.is_valid.file_ids.app_error; 10 are attached; foreign or unknown ids are dropped', async () => {
    const p = await newPost()
    const ids: string[] = []
    for (let i = 0; i < 11; i++) ids.push(await upload(alice))
    const eleven = await api(emu, alice, 'PUT', `/api/v4/posts/${p.id}/patch`, { file_ids: ids })
    expect(err(eleven)).toEqual([400, 'model.post.is_valid.file_ids.app_error'])
    const ten = await api(emu, alice, 'PUT', `/api/v4/posts/${p.id}/patch`, { file_ids: ids.slice(0, 10) })
    expect(ten.status).toBe(200)
    expect(ten.body.file_ids).toEqual(ids.slice(0, 10))
    expect(ten.body.metadata.files).toHaveLength(10)
    expect((await api(emu, alice, 'GET', `/api/v4/files/${ids[0]}/info`)).body.post_id).toBe(p.id)

    const q = await newPost()
    const bobs = await upload(bob)
    const dropped = await api(emu, alice, 'PUT', `/api/v4/posts/${q.id}`, {
      id: q.id,
      message: 'with files',
      file_ids: [bobs, 'x'.repeat(26), ids[10]],
    })
    expect(dropped.status).toBe(200)
    expect(dropped.body.file_ids).toEqual([ids[10]])
    // a file already attached to another post cannot be attached again
    const again = await api(emu, alice, 'PUT', `/api/v4/posts/${q.id}/patch`, { file_ids: [ids[10], ids[0]] })
    expect(again.body.file_ids).toEqual([ids[10]])
  })

  it('a post in an archived channel: 400 api.post.{update,patch}_post.can_not_update_post_in_deleted.error', async () => {
    const ch = await newChannel()
    const p = await newPost(ch.id)
    expect((await api(emu, alice, 'DELETE', `/api/v4/channels/${ch.id}`)).status).toBe(200)
    const put = await api(emu, alice, 'PUT', `/api/v4/posts/${p.id}`, { id: p.id, message: 'x' })
    expect(err(put)).toEqual([400, 'api.post.update_post.can_not_update_post_in_deleted.error'])
    const patch = await api(emu, alice, 'PUT', `/api/v4/posts/${p.id}/patch`, { message: 'x' })
    expect(err(patch)).toEqual([400, 'api.post.patch_post.can_not_update_post_in_deleted.error'])
  })
})

describe('PUT /posts/{id} is a full update (UpdatePost without safeUpdate); patch is not', () => {
  it('omitted message, props, is_pinned and has_reactions become blank on PUT; patch keeps them', async () => {
    const make = async () => {
      const p = (
        await api(emu, alice, 'POST', '/api/v4/posts', {
          channel_id: town,
          message: 'full',
          props: { k: 'v' },
        })
      ).body
      await api(emu, alice, 'POST', `/api/v4/posts/${p.id}/pin`)
      await api(emu, alice, 'POST', '/api/v4/reactions', {
        user_id: emu.seed.users.alice.id,
        post_id: p.id,
        emoji_name: 'ok',
      })
      return p.id as string
    }
    const put = await make()
    const r = await api(emu, alice, 'PUT', `/api/v4/posts/${put}`, { id: put, message: 'only this' })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ message: 'only this', is_pinned: false })
    expect(r.body.props).toEqual({})
    expect(r.body.has_reactions ?? false).toBe(false)
    const blank = await api(emu, alice, 'PUT', `/api/v4/posts/${put}`, { id: put })
    expect(blank.body.message).toBe('')
    const patch = await make()
    const q = await api(emu, alice, 'PUT', `/api/v4/posts/${patch}/patch`, { message: 'patched' })
    expect(q.body).toMatchObject({
      message: 'patched',
      is_pinned: true,
      has_reactions: true,
      props: { k: 'v' },
    })
  })
})

describe('permissions (SessionHasPermissionToUser / delete_public_channel)', () => {
  it("another user's preferences: 403 api.context.permissions.app_error for GET, PUT and delete; admins may", async () => {
    const bobId = emu.seed.users.bob.id
    const pref = [{ user_id: bobId, category: 'fid', name: 'n', value: 'v' }]
    expect(err(await api(emu, alice, 'GET', `/api/v4/users/${bobId}/preferences`))).toEqual([
      403,
      'api.context.permissions.app_error',
    ])
    expect(err(await api(emu, alice, 'PUT', `/api/v4/users/${bobId}/preferences`, pref))).toEqual([
      403,
      'api.context.permissions.app_error',
    ])
    expect(err(await api(emu, alice, 'POST', `/api/v4/users/${bobId}/preferences/delete`, pref))).toEqual([
      403,
      'api.context.permissions.app_error',
    ])
    expect((await api(emu, admin, 'PUT', `/api/v4/users/${bobId}/preferences`, pref)).status).toBe(200)
    expect((await api(emu, admin, 'GET', `/api/v4/users/${bobId}/preferences`)).body).toContainEqual(pref[0])
  })

  it("a preference for another user_id in one's own list: 403 api.preference.{update,delete}_preferences…", async () => {
    const pref = [{ user_id: emu.seed.users.bob.id, category: 'fid', name: 'n', value: 'v' }]
    const put = await api(emu, alice, 'PUT', '/api/v4/users/me/preferences', pref)
    expect(err(put)).toEqual([403, 'api.preference.update_preferences.set.app_error'])
    const del = await api(emu, alice, 'POST', '/api/v4/users/me/preferences/delete', pref)
    expect(err(del)).toEqual([403, 'api.preference.delete_preferences.delete.app_error'])
  })

  it('viewing a channel for another user: 403 api.context.permissions.app_error; bad channel_id 400', async () => {
    const bobId = emu.seed.users.bob.id
    const other = await api(emu, alice, 'POST', `/api/v4/channels/members/${bobId}/view`, {
      channel_id: town,
    })
    expect(err(other)).toEqual([403, 'api.context.permissions.app_error'])
    expect(
      (await api(emu, admin, 'POST', `/api/v4/channels/members/${bobId}/view`, { channel_id: town })).status,
    ).toBe(200)
    const bad = await api(emu, alice, 'POST', '/api/v4/channels/members/me/view', { channel_id: 'nope' })
    expect(err(bad)).toEqual([400, 'api.context.invalid_body_param.app_error'])
  })

  it('town-square cannot be archived: 400 api.channel.delete_channel.cannot.app_error (even by an admin)', async () => {
    const r = await api(emu, admin, 'DELETE', `/api/v4/channels/${town}`)
    expect(err(r)).toEqual([400, 'api.channel.delete_channel.cannot.app_error'])
    expect((await api(emu, alice, 'GET', `/api/v4/channels/${town}`)).body.delete_at).toBe(0)
  })

  it('archiving a public channel needs membership (channel_user): a team member outside it gets 403', async () => {
    const ch = await newChannel()
    const outsider = await api(emu, bob, 'DELETE', `/api/v4/channels/${ch.id}`)
    expect(err(outsider)).toEqual([403, 'api.context.permissions.app_error'])
    expect((await api(emu, admin, 'DELETE', `/api/v4/channels/${ch.id}`)).status).toBe(200)
  })
})

describe('in-band WebSocket auth resolves the token as REST does', () => {
  const challenge = async (token: string): Promise<Sock> => {
    const s = await Sock.open(emu)
    s.send({ seq: 1, action: 'authentication_challenge', data: { token } })
    await s.until(x => x.closed || x.frames.some(f => f.seq_reply === 1))
    return s
  }
  const refused = async (token: string) => {
    expect((await api(emu, token, 'GET', '/api/v4/users/me')).status).toBe(401)
    const s = await challenge(token)
    // dropped without a close frame (gorilla Conn.Close), no hello, no reply
    expect([s.closed, s.closeCode, s.events('hello').length, s.frames.length]).toEqual([true, 1006, 0, 0])
    const header = await Sock.open(emu, token) // header auth falls back to waiting for a challenge
    await settle()
    expect(header.events('hello')).toHaveLength(0)
    header.close()
  }

  it('a valid token authenticates; revoked, disabled and expired tokens are refused', async () => {
    const bot = await newBot()
    const ok = await challenge(bot.token)
    expect(ok.frames.find(f => f.seq_reply === 1)).toEqual({ status: 'OK', seq_reply: 1 })
    ok.close()
    const tokens = (await api(emu, admin, 'GET', `/api/v4/users/${bot.id}/tokens`)).body as Array<{
      id: string
    }>
    await api(emu, admin, 'POST', '/api/v4/users/tokens/disable', { token_id: tokens[0]!.id })
    await refused(bot.token)
    await api(emu, admin, 'POST', '/api/v4/users/tokens/enable', { token_id: tokens[0]!.id })
    expect((await api(emu, bot.token, 'GET', '/api/v4/users/me')).status).toBe(200)
    await api(emu, admin, 'POST', '/api/v4/users/tokens/revoke', { token_id: tokens[0]!.id })
    await refused(bot.token)
    const expired = await api(emu, admin, 'POST', `/api/v4/users/${bot.id}/tokens`, {
      description: 'old',
      expires_at: Date.now() - 1000,
    })
    await refused(expired.body.token)
  })

  it("a disabled user's token is refused (and accepted again once the bot is enabled)", async () => {
    const bot = await newBot()
    await api(emu, admin, 'POST', `/api/v4/bots/${bot.id}/disable`)
    await refused(bot.token)
    await api(emu, admin, 'POST', `/api/v4/bots/${bot.id}/enable`)
    const s = await challenge(bot.token)
    expect(s.events('hello')).toHaveLength(1)
    s.close()
  })

  it('before auth, the router checks action, then seq, then authentication (its order)', async () => {
    const s = await Sock.open(emu)
    s.send({ seq: 0 })
    s.send({ seq: 0, action: 'ping' })
    s.send({ seq: 2, action: 'ping' })
    await s.until(x => x.frames.length >= 3)
    expect(s.frames.map(f => f.error?.id)).toEqual([
      'api.web_socket_router.no_action.app_error',
      'api.web_socket_router.bad_seq.app_error',
      'api.web_socket_router.not_authenticated.app_error',
    ])
    s.close()
  })
})

describe('a socket whose session ends (WebConn.IsAuthenticated) gets no more events', () => {
  it('after logout the open socket stays open but receives nothing; other users still do', async () => {
    const login = await api(emu, undefined, 'POST', '/api/v4/users/login', {
      login_id: 'alice',
      password: emu.seed.users.alice.password,
    })
    const session = login.headers.get('token')!
    const mine = await Sock.open(emu, session)
    const other = await Sock.open(emu, bob)
    await api(emu, admin, 'POST', '/api/v4/posts', { channel_id: town, message: 'before logout' })
    await mine.until(s => s.events('posted').length === 1)
    expect((await api(emu, session, 'POST', '/api/v4/users/logout')).status).toBe(200)
    await api(emu, admin, 'POST', '/api/v4/posts', { channel_id: town, message: 'after logout' })
    await other.until(s => s.events('posted').some(e => JSON.parse(e.data.post).message === 'after logout'))
    await settle(200)
    expect(mine.events('posted').map(e => JSON.parse(e.data.post).message)).toEqual(['before logout'])
    expect(mine.closed).toBe(false)
    // actions are refused (the router's 401), except a new challenge, which authenticates it again
    mine.send({ seq: 7, action: 'user_typing', data: { channel_id: town } })
    const refused = await mine.until(s => s.frames.find(f => f.seq_reply === 7))
    expect([refused.status, refused.error?.id]).toEqual([
      'FAIL',
      'api.web_socket_router.not_authenticated.app_error',
    ])
    mine.send({ seq: 8, action: 'authentication_challenge', data: { token: alice } })
    expect((await mine.until(s => s.frames.find(f => f.seq_reply === 8))).status).toBe('OK')
    await api(emu, admin, 'POST', '/api/v4/posts', { channel_id: town, message: 'after re-auth' })
    await mine.until(s => s.events('posted').some(e => JSON.parse(e.data.post).message === 'after re-auth'))
    mine.close()
    other.close()
  })
})

describe('bot changes emit user_updated (app.PatchBot / UpdateActive → sendUpdatedUserEvent)', () => {
  it('patch: the sanitized user to everyone but the bot, the full user to the bot; no change, no event', async () => {
    const bot = await newBot()
    const other = await Sock.open(emu, alice)
    const self = await Sock.open(emu, bot.token)
    await other.event('hello')
    await self.event('hello')
    await api(emu, admin, 'PUT', `/api/v4/bots/${bot.id}`, { display_name: 'Fid Bot' })
    const seen = await other.event('user_updated')
    expect(seen.broadcast).toMatchObject({
      omit_users: { [bot.id]: true },
      user_id: '',
      channel_id: '',
      team_id: '',
    })
    expect(seen.data.user).toMatchObject({ id: bot.id, first_name: 'Fid Bot', is_bot: true })
    expect(seen.data.user).not.toHaveProperty('notify_props')
    expect(seen.data.user).not.toHaveProperty('password')
    const own = await self.event('user_updated')
    expect(own.broadcast).toMatchObject({ omit_users: null, user_id: bot.id })
    expect(own.data.user).toMatchObject({ id: bot.id, first_name: 'Fid Bot', notify_props: {} })
    expect(self.events('user_updated')).toHaveLength(1)
    await api(emu, admin, 'PUT', `/api/v4/bots/${bot.id}`, { display_name: 'Fid Bot' })
    await settle()
    expect(other.events('user_updated')).toHaveLength(1)
    other.close()
    self.close()
  })

  it('disable and enable: user_updated with delete_at set, then cleared (only when the state changes)', async () => {
    const bot = await newBot()
    const other = await Sock.open(emu, alice)
    await other.event('hello')
    await api(emu, admin, 'POST', `/api/v4/bots/${bot.id}/disable`)
    const off = await other.event('user_updated')
    expect(off.data.user.id).toBe(bot.id)
    expect(off.data.user.delete_at).toBeGreaterThan(0)
    await api(emu, admin, 'POST', `/api/v4/bots/${bot.id}/disable`)
    await api(emu, admin, 'POST', `/api/v4/bots/${bot.id}/enable`)
    await other.until(x => x.events('user_updated').length >= 2)
    await settle()
    const events = other.events('user_updated')
    expect(events.map(e => e.data.user.delete_at === 0)).toEqual([false, true])
    other.close()
  })
})

describe('WebSocket transport limits', () => {
  it('the 8 KiB read limit (model.SocketMaxMessageSizeKb): 8192 bytes pass, 8193 close with 1009', async () => {
    const s = await Sock.open(emu, alice)
    await s.event('hello')
    const frame = (size: number, seq: number): string => {
      const base = JSON.stringify({ seq, action: 'ping', data: { pad: '' } })
      return JSON.stringify({ seq, action: 'ping', data: { pad: 'x'.repeat(size - base.length) } })
    }
    expect(Buffer.byteLength(frame(8192, 1))).toBe(8192)
    s.ws.send(frame(8192, 1))
    expect((await s.until(x => x.frames.find(f => f.seq_reply === 1))).status).toBe('OK')
    s.ws.send(frame(8193, 2))
    await s.until(x => x.closed)
    expect(s.closeCode).toBe(1009)
    expect(s.frames.find(f => f.seq_reply === 2)).toBeUndefined()
  })

  it('a rate-limited upgrade gets the same 429 as REST (http.Error "limit exceeded", throttled headers)', async () => {
    const limited = await startEmulator({ rateLimit: { perSecond: 1, burst: 0 } })
    try {
      expect((await fetch(`${limited.url}/api/v4/system/ping`)).status).toBe(200)
      const rest = await fetch(`${limited.url}/api/v4/system/ping`)
      const restBody = await rest.text()
      const ws = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
        (resolve, reject) => {
          const req = request(`${limited.url}/api/v4/websocket`, {
            headers: {
              Connection: 'Upgrade',
              Upgrade: 'websocket',
              'Sec-WebSocket-Version': '13',
              'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
            },
          })
          req.on('response', res => {
            let body = ''
            res.on('data', c => (body += c))
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
          })
          req.on('upgrade', () => reject(new Error('upgraded despite the limit')))
          req.on('error', reject)
          req.end()
        },
      )
      for (const r of [
        { status: rest.status, body: restBody, h: (k: string) => rest.headers.get(k) },
        { status: ws.status, body: ws.body, h: (k: string) => ws.headers[k] as string | undefined },
      ]) {
        expect([r.status, r.body]).toEqual([429, 'limit exceeded\n'])
        expect(r.h('content-type')).toBe('text/plain; charset=utf-8')
        expect(r.h('x-content-type-options')).toBe('nosniff')
        expect(r.h('x-ratelimit-limit')).toBe('1')
        expect(r.h('x-ratelimit-remaining')).toBe('0')
        expect(Number(r.h('retry-after'))).toBeGreaterThanOrEqual(1)
        expect(r.h('x-ratelimit-reset')).toMatch(/^\d+$/)
      }
    } finally {
      await limited.stop()
    }
  })
})
