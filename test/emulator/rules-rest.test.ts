// REST rules added from the server source: permanent deletes, include_deleted, restore, pins,
// tokens, files and public links, ping, web (cookie) logins with CSRF, per-user rate limits, WS scopes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { api, Sock, settle, startSeeded } from './helpers.js'

let emu: Emulator
let admin: string
let alice: string
let bob: string
let team: string
let town: string
beforeAll(async () => {
  ;({ emu, admin, alice, bob, team, town } = await startSeeded())
})
afterAll(() => emu.stop())

const post = async (token: string, message: string, extra: Record<string, unknown> = {}) =>
  (await api(emu, token, 'POST', '/api/v4/posts', { channel_id: town, message, ...extra })).body as {
    id: string
    create_at: number
  }

describe('posts', () => {
  it('permanent=true: 501 while EnableAPIPostDeletion is off, then 403 for non-admins, then gone with replies', async () => {
    const root = await post(alice, 'doomed root')
    const reply = await post(bob, 'doomed reply', { root_id: root.id })
    const off = await api(emu, admin, 'DELETE', `/api/v4/posts/${root.id}?permanent=true`)
    expect([off.status, off.body.id]).toEqual([501, 'api.post.delete_post.not_enabled.app_error'])
    emu.config.EnableAPIPostDeletion = true
    try {
      const notAdmin = await api(emu, alice, 'DELETE', `/api/v4/posts/${root.id}?permanent=true`)
      expect([notAdmin.status, notAdmin.body.id]).toEqual([403, 'api.context.permissions.app_error'])
      const ws = await Sock.open(emu, bob)
      const ok = await api(emu, admin, 'DELETE', `/api/v4/posts/${root.id}?permanent=true`)
      expect([ok.status, ok.body]).toEqual([200, { status: 'OK' }])
      await ws.until(s => s.events('post_deleted').length === 2)
      for (const id of [root.id, reply.id]) {
        const r = await api(emu, admin, 'GET', `/api/v4/posts/${id}?include_deleted=true`)
        expect([r.status, r.body.id]).toEqual([404, 'app.post.get.app_error'])
      }
      ws.close()
    } finally {
      emu.config.EnableAPIPostDeletion = false
    }
  })

  it('channel posts include_deleted: 403 for non-admins; admins see deleted posts in the page', async () => {
    const p = await post(alice, 'soft deleted')
    await api(emu, alice, 'DELETE', `/api/v4/posts/${p.id}`)
    const no = await api(emu, alice, 'GET', `/api/v4/channels/${town}/posts?include_deleted=true`)
    expect([no.status, no.body.id]).toEqual([403, 'api.context.permissions.app_error'])
    expect((await api(emu, alice, 'GET', `/api/v4/channels/${town}/posts`)).body.order).not.toContain(p.id)
    const yes = await api(emu, admin, 'GET', `/api/v4/channels/${town}/posts?include_deleted=true`)
    expect(yes.body.posts[p.id].delete_at).toBeGreaterThan(0)
  })

  it('pinned posts list; reactions for many posts at once', async () => {
    const a = await post(alice, 'pin me')
    const b = await post(alice, 'react to me')
    await api(emu, alice, 'POST', `/api/v4/posts/${a.id}/pin`)
    const pinned = await api(emu, bob, 'GET', `/api/v4/channels/${town}/pinned`)
    expect(pinned.body.order).toEqual([a.id])
    await api(emu, bob, 'POST', '/api/v4/reactions', {
      user_id: emu.seed.users.bob.id,
      post_id: b.id,
      emoji_name: 'tada',
    })
    const many = await api(emu, alice, 'POST', '/api/v4/posts/ids/reactions', [a.id, b.id])
    expect(many.body[a.id]).toEqual([])
    expect(many.body[b.id].map((r: { emoji_name: string }) => r.emoji_name)).toEqual(['tada'])
    const bad = await api(emu, alice, 'POST', '/api/v4/posts/ids/reactions', ['nope'])
    expect([bad.status, bad.body.id]).toEqual([400, 'api.context.invalid_body_param.app_error'])
  })
})

describe('teams and channels', () => {
  it('archive twice → 400; restore → channel_restored to the team; posting in an archived channel → 400', async () => {
    const ch = (
      await api(emu, alice, 'POST', '/api/v4/channels', {
        team_id: team,
        name: 'arch',
        display_name: 'A',
        type: 'O',
      })
    ).body as { id: string }
    const ws = await Sock.open(emu, bob)
    await api(emu, alice, 'DELETE', `/api/v4/channels/${ch.id}`)
    const twice = await api(emu, alice, 'DELETE', `/api/v4/channels/${ch.id}`)
    expect([twice.status, twice.body.id]).toEqual([400, 'api.channel.delete_channel.deleted.app_error'])
    const archived = await api(emu, alice, 'POST', '/api/v4/posts', { channel_id: ch.id, message: 'x' })
    expect([archived.status, archived.body.id]).toEqual([
      400,
      'api.post.create_post.can_not_post_to_deleted.error',
    ])
    const restored = await api(emu, alice, 'POST', `/api/v4/channels/${ch.id}/restore`)
    expect([restored.status, restored.body.delete_at]).toEqual([200, 0])
    const ev = await ws.event('channel_restored')
    expect([ev.data.channel_id, ev.broadcast.team_id]).toEqual([ch.id, team])
    const again = await api(emu, alice, 'POST', `/api/v4/channels/${ch.id}/restore`)
    expect([again.status, again.body.id]).toEqual([400, 'api.channel.restore_channel.restored.app_error'])
    ws.close()
  })

  it('public channels of a team; one team member; channel_created goes to the creator only', async () => {
    const wsBob = await Sock.open(emu, bob)
    const wsAlice = await Sock.open(emu, alice)
    const made = await api(emu, alice, 'POST', '/api/v4/channels', {
      team_id: team,
      name: 'p-only',
      display_name: 'P',
      type: 'P',
    })
    await wsAlice.event('channel_created', e => e.data.channel_id === made.body.id)
    await settle()
    expect(wsBob.events('channel_created')).toHaveLength(0)
    const list = await api(emu, bob, 'GET', `/api/v4/teams/${team}/channels`)
    const names = list.body.map((c: { name: string }) => c.name)
    expect(names).toContain('town-square')
    expect(names).not.toContain('p-only')
    expect(names).not.toContain('private-room')
    const m = await api(emu, bob, 'GET', `/api/v4/teams/${team}/members/me`)
    expect(m.body).toMatchObject({ team_id: team, user_id: emu.seed.users.bob.id })
    const carol = emu.createUser({ username: 'carol' })
    const nm = await api(emu, admin, 'GET', `/api/v4/teams/${team}/members/${carol.id}`)
    expect(nm.status).toBe(200)
    wsBob.close()
    wsAlice.close()
  })
})

describe('access tokens (admin views)', () => {
  it('GET /users/tokens lists all without secrets for admins, 403 otherwise; search by username', async () => {
    const all = await api(emu, admin, 'GET', '/api/v4/users/tokens?per_page=200')
    expect(all.status).toBe(200)
    expect(all.body.length).toBeGreaterThan(3)
    expect(all.body.every((t: Record<string, unknown>) => !('token' in t))).toBe(true)
    expect((await api(emu, alice, 'GET', '/api/v4/users/tokens')).status).toBe(403)
    const found = await api(emu, admin, 'POST', '/api/v4/users/tokens/search', { term: 'alice' })
    expect(found.body.map((t: { user_id: string }) => t.user_id)).toEqual([emu.seed.users.alice.id])
    expect((await api(emu, alice, 'POST', '/api/v4/users/tokens/search', { term: 'alice' })).status).toBe(403)
  })
})

describe('files', () => {
  const upload = async (token: string, name: string) => {
    const r = await api(
      emu,
      token,
      'POST',
      `/api/v4/files?channel_id=${town}&filename=${name}`,
      Buffer.from('bytes'),
    )
    return r
  }
  it('EnableFileAttachments=false → 403 on upload and download', async () => {
    const ok = await upload(alice, 'a.txt')
    const fid = ok.body.file_infos[0].id
    emu.config.EnableFileAttachments = false
    try {
      const up = await upload(alice, 'b.txt')
      expect([up.status, up.body.id]).toEqual([403, 'api.file.attachments.disabled.app_error'])
      expect((await api(emu, alice, 'GET', `/api/v4/files/${fid}`)).status).toBe(403)
    } finally {
      emu.config.EnableFileAttachments = true
    }
  })

  it('public links: 501 by default; 400 until attached; then served without a session, only with the right h', async () => {
    const fid = (await upload(alice, 'pub.txt')).body.file_infos[0].id
    const off = await api(emu, alice, 'GET', `/api/v4/files/${fid}/link`)
    expect([off.status, off.body.id]).toEqual([501, 'api.file.get_public_link.disabled.app_error'])
    emu.config.EnablePublicLink = true
    try {
      const early = await api(emu, alice, 'GET', `/api/v4/files/${fid}/link`)
      expect([early.status, early.body.id]).toEqual([400, 'api.file.get_public_link.no_post.app_error'])
      await post(alice, 'with file', { file_ids: [fid] })
      const link = (await api(emu, alice, 'GET', `/api/v4/files/${fid}/link`)).body.link as string
      expect(link.startsWith(emu.config.SiteURL)).toBe(true)
      const res = await fetch(link)
      expect([res.status, await res.text()]).toEqual([200, 'bytes'])
      const forged = await fetch(link.replace(/h=.*/, 'h=forged'))
      expect(forged.status).toBe(400)
      const thumb = await api(emu, alice, 'GET', `/api/v4/files/${fid}/thumbnail`)
      expect([thumb.status, thumb.body.id]).toEqual([
        400,
        'api.file.get_file_thumbnail.no_thumbnail.app_error',
      ])
    } finally {
      emu.config.EnablePublicLink = false
    }
  })
})

describe('system', () => {
  it('ping: mobile version fields; get_server_status adds database_status / filestore_status', async () => {
    const plain = await api(emu, undefined, 'GET', '/api/v4/system/ping')
    expect(plain.body).toMatchObject({ status: 'OK', AndroidMinVersion: '', IosMinVersion: '' })
    expect(plain.body).not.toHaveProperty('database_status')
    const full = await api(
      emu,
      undefined,
      'GET',
      '/api/v4/system/ping?get_server_status=true&use_rest_semantics=true',
    )
    expect(full.body).toMatchObject({ status: 'OK', database_status: 'OK', filestore_status: 'OK' })
  })
})

describe('web (cookie) sessions', () => {
  const login = (headers: Record<string, string>) =>
    fetch(`${emu.url}/api/v4/users/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ login_id: 'bob', password: 'bob-password-1' }),
    })
  it('cookies only when the login carries X-Requested-With; cookie POSTs need the CSRF token or that header', async () => {
    expect((await login({})).headers.getSetCookie()).toEqual([])
    const res = await login({ 'X-Requested-With': 'XMLHttpRequest' })
    const cookies = res.headers.getSetCookie()
    const jar = Object.fromEntries(cookies.map(c => c.split(';')[0]!.split('=') as [string, string]))
    expect(Object.keys(jar).sort()).toEqual(['MMAUTHTOKEN', 'MMCSRF', 'MMUSERID'])
    expect(cookies.find(c => c.startsWith('MMAUTHTOKEN'))).toMatch(/HttpOnly/)
    expect(jar.MMAUTHTOKEN).toBe(res.headers.get('token'))
    const cookie = `MMAUTHTOKEN=${jar.MMAUTHTOKEN}; MMCSRF=${jar.MMCSRF}`
    expect(
      (await api(emu, undefined, 'GET', '/api/v4/users/me', undefined, { Cookie: cookie })).body.username,
    ).toBe('bob')
    const body = { channel_id: town, message: 'from the web' }
    const bare = await api(emu, undefined, 'POST', '/api/v4/posts', body, { Cookie: cookie })
    expect([bare.status, bare.body.id]).toEqual([401, 'api.context.session_expired.app_error'])
    const csrf = await api(emu, undefined, 'POST', '/api/v4/posts', body, {
      Cookie: cookie,
      'X-CSRF-Token': jar.MMCSRF!,
    })
    expect(csrf.status).toBe(201)
    const xrw = await api(emu, undefined, 'POST', '/api/v4/posts', body, {
      Cookie: cookie,
      'X-Requested-With': 'XMLHttpRequest',
    })
    expect(xrw.status).toBe(201)
    // Header (Bearer) tokens are never CSRF-checked.
    expect((await api(emu, jar.MMAUTHTOKEN, 'POST', '/api/v4/posts', body)).status).toBe(201)
  })
})

describe('rate limit VaryByUser', () => {
  it('a second limit keyed by the user: another token of the same user is limited too', async () => {
    const limited = await startEmulator({ rateLimit: { perSecond: 1, burst: 1, varyByUser: true } })
    try {
      const t1 = limited.seed.users.alice.token
      // A second session for alice (the login itself has no token, so it is keyed by address).
      const login = await api(limited, undefined, 'POST', '/api/v4/users/login', {
        login_id: 'alice',
        password: 'alice-password-1',
      })
      const t2 = login.headers.get('token')!
      expect(t2).not.toBe(t1)
      const me = (token: string) => api(limited, token, 'GET', '/api/v4/users/me')
      expect((await me(t1)).status).toBe(200)
      expect((await me(t1)).status).toBe(200)
      // t2's token bucket is untouched, but alice's user bucket is spent.
      const third = await me(t2)
      expect([third.status, third.headers.get('content-type'), third.text]).toEqual([
        429,
        'text/plain; charset=utf-8',
        'limit exceeded\n',
      ])
      expect(third.headers.get('x-ratelimit-limit')).toBe('2')
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      // Another user is not affected.
      expect((await me(limited.seed.users.bob.token)).status).toBe(200)
    } finally {
      await limited.stop()
    }
  })
})

describe('post timestamps and cursors (the real store compares create_at strictly)', () => {
  it('a system admin sets create_at, others cannot; posts may share a millisecond; after/before skip the cursor millisecond', async () => {
    const ch = emu.createChannel({
      name: 'same-ms',
      members: [emu.seed.users.alice.id, emu.seed.users.admin.id],
    })
    const at = (message: string, create_at: number) =>
      api(emu, admin, 'POST', '/api/v4/posts', { channel_id: ch.id, message, create_at })
    const T = Date.now() - 60_000
    const made: Array<{ id: string; create_at: number; message: string }> = []
    for (const [m, t] of [
      ['a', T],
      ['b1', T + 1],
      ['b2', T + 1],
      ['b3', T + 1],
      ['c', T + 2],
    ] as const) {
      const r = await at(m, t)
      expect(r.status).toBe(201)
      made.push(r.body)
    }
    expect(made.map(p => p.create_at)).toEqual([T, T + 1, T + 1, T + 1, T + 2])
    // a non-admin's create_at is the server's clock
    const mine = await api(emu, alice, 'POST', '/api/v4/posts', {
      channel_id: ch.id,
      message: 'now',
      create_at: T,
    })
    expect(mine.body.create_at).toBeGreaterThan(T + 59_000)
    type P = (typeof made)[0]
    const [a, b1, , b3, c] = made as [P, P, P, P, P]
    const page = async (q: string) => {
      const r = await api(emu, alice, 'GET', `/api/v4/channels/${ch.id}/posts?${q}`)
      expect(r.status).toBe(200)
      return (r.body.order as string[]).map(id => r.body.posts[id].message as string)
    }
    // after=b1: CreateAt > b1's, so b2 and b3 (same millisecond) are not there
    expect(await page(`after=${b1.id}`)).toEqual(['now', 'c'])
    expect(await page(`before=${b3.id}`)).toEqual(['a'])
    expect(await page(`after=${a.id}&per_page=2`)).toEqual(['b2', 'b1'])
    expect(await page(`after=${a.id}&per_page=2&page=1`)).toEqual(['c', 'b3'])
    expect(await page(`before=${c.id}`)).toEqual(['b3', 'b2', 'b1', 'a'])
    // since=T+1 is strict as well (UpdateAt > since)
    expect(await page(`since=${T + 1}`)).toEqual(['now', 'c'])
    // an imported old post takes its place in time, and does not move last_post_at back
    const before = (await api(emu, alice, 'GET', `/api/v4/channels/${ch.id}`)).body.last_post_at
    await at('old', T - 5)
    expect((await page('per_page=200')).at(-1)).toBe('old')
    expect((await api(emu, alice, 'GET', `/api/v4/channels/${ch.id}`)).body.last_post_at).toBe(before)
  })
})
