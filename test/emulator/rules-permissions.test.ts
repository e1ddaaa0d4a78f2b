/**
 * Who may do what, by the default roles of a fresh server (`model/role.go`), and the denial
 * codes the server answers with.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../../src/emulator/index.js'
import { api, MEMBER_INTEGRATIONS, type Seeded, startSeeded } from './helpers.js'

let s: Seeded
beforeAll(async () => {
  s = await startSeeded()
})
afterAll(async () => {
  await s.emu.stop()
})

const DENIED = 'api.context.permissions.app_error'
const command = (team: string, trigger: string) => ({
  team_id: team,
  trigger,
  url: 'http://127.0.0.1:9/x',
  method: 'P',
})

describe('integrations belong to team and system admins by default (EnableOnlyAdminIntegrations)', () => {
  it('a plain member may not create a slash command, incoming or outgoing webhook', async () => {
    const cmd = await api(s.emu, s.alice, 'POST', '/api/v4/commands', command(s.team, 'alicecmd'))
    expect([cmd.status, cmd.body.id]).toEqual([403, DENIED])
    const inc = await api(s.emu, s.alice, 'POST', '/api/v4/hooks/incoming', { channel_id: s.town })
    expect([inc.status, inc.body.id]).toEqual([403, DENIED])
    const out = await api(s.emu, s.alice, 'POST', '/api/v4/hooks/outgoing', {
      team_id: s.team,
      channel_id: s.town,
      callback_urls: ['http://127.0.0.1:9/x'],
    })
    expect([out.status, out.body.id]).toEqual([403, DENIED])
    const list = await api(s.emu, s.alice, 'GET', `/api/v4/commands?team_id=${s.team}&custom_only=true`)
    expect(list.status).toBe(403)
    expect((await api(s.emu, s.alice, 'GET', `/api/v4/hooks/incoming?team_id=${s.team}`)).status).toBe(403)
  })

  it('the system admin may, and the seeded bot is a team admin so it can register its commands', async () => {
    expect((await api(s.emu, s.admin, 'POST', '/api/v4/commands', command(s.team, 'admincmd'))).status).toBe(
      201,
    )
    const mine = await api(s.emu, s.bot, 'POST', '/api/v4/commands', command(s.team, 'botcmd'))
    expect(mine.status).toBe(201)
    const member = await api(s.emu, s.bot, 'GET', `/api/v4/teams/${s.team}/members/me`)
    expect(member.body.roles.split(' ')).toContain('team_admin')
    // a team admin holds manage_others_slash_commands: it sees and edits the admin's command
    const list = await api(s.emu, s.bot, 'GET', `/api/v4/commands?team_id=${s.team}&custom_only=true`)
    expect(list.body.find((c: { trigger: string }) => c.trigger === 'admincmd')?.token).toHaveLength(26)
  })

  it('promoting a member to team admin (schemeRoles) grants them integrations; demoting takes it back', async () => {
    const alice = s.emu.seed.users.alice.id
    const path = `/api/v4/teams/${s.team}/members/${alice}/schemeRoles`
    // bob is no team admin: he may not promote anyone
    expect((await api(s.emu, s.bob, 'PUT', path, { scheme_admin: true, scheme_user: true })).status).toBe(403)
    expect((await api(s.emu, s.admin, 'PUT', path, { scheme_admin: true, scheme_user: true })).status).toBe(
      200,
    )
    const hook = await api(s.emu, s.alice, 'POST', '/api/v4/hooks/incoming', { channel_id: s.town })
    expect(hook.status).toBe(201)
    expect((await api(s.emu, s.admin, 'PUT', path, { scheme_admin: false, scheme_user: true })).status).toBe(
      200,
    )
    expect((await api(s.emu, s.alice, 'GET', `/api/v4/hooks/incoming/${hook.body.id}`)).status).toBe(403)
  })

  it('with EnableOnlyAdminIntegrations off, members manage their own, never others', async () => {
    const emu = await startEmulator(MEMBER_INTEGRATIONS)
    try {
      const { alice, bob } = emu.seed.users
      const team = emu.seed.team.id
      const c = await api(emu, alice.token, 'POST', '/api/v4/commands', command(team, 'alicecmd'))
      expect(c.status).toBe(201)
      const other = await api(emu, bob.token, 'PUT', `/api/v4/commands/${c.body.id}`, {
        ...c.body,
        trigger: 'bobcmd',
      })
      expect([other.status, other.body.id]).toEqual([403, DENIED])
      const h = await api(emu, alice.token, 'POST', '/api/v4/hooks/incoming', {
        channel_id: emu.seed.channels.townSquare.id,
      })
      expect(h.status).toBe(201)
      expect((await api(emu, bob.token, 'DELETE', `/api/v4/hooks/incoming/${h.body.id}`)).status).toBe(403)
      const seen = await api(emu, bob.token, 'GET', `/api/v4/hooks/incoming?team_id=${team}`)
      expect(seen.body).toEqual([])
    } finally {
      await emu.stop()
    }
  })
})

describe('town-square (app/channel.go removeUserFromChannel)', () => {
  const ERR = 'api.channel.remove.default.app_error'
  it('nobody leaves it', async () => {
    const r = await api(s.emu, s.bob, 'DELETE', `/api/v4/channels/${s.town}/members/me`)
    expect([r.status, r.body.id]).toEqual([400, ERR])
  })
  it('nobody is removed from it, not even by an admin', async () => {
    const alice = s.emu.seed.users.alice.id
    const r = await api(s.emu, s.admin, 'DELETE', `/api/v4/channels/${s.town}/members/${alice}`)
    expect([r.status, r.body.id]).toEqual([400, ERR])
    expect((await api(s.emu, s.alice, 'GET', `/api/v4/channels/${s.town}/members/me`)).status).toBe(200)
  })
  it('other channels can still be left', async () => {
    expect((await api(s.emu, s.bob, 'DELETE', `/api/v4/channels/${s.off}/members/me`)).status).toBe(200)
  })
})

describe('denial status codes', () => {
  it('reacting as someone else is 403 api.reaction.save_reaction.user_id.app_error', async () => {
    const p = await api(s.emu, s.alice, 'POST', '/api/v4/posts', { channel_id: s.town, message: 'react' })
    const r = await api(s.emu, s.bob, 'POST', '/api/v4/reactions', {
      user_id: s.emu.seed.users.alice.id,
      post_id: p.body.id,
      emoji_name: 'smile',
    })
    expect([r.status, r.body.id]).toEqual([403, 'api.reaction.save_reaction.user_id.app_error'])
    expect((await api(s.emu, s.bob, 'GET', `/api/v4/posts/${p.body.id}/reactions`)).body).toEqual([])
  })
  it('patching another user is 403 and changes nothing; patching yourself works', async () => {
    const alice = s.emu.seed.users.alice
    const r = await api(s.emu, s.bob, 'PUT', `/api/v4/users/${alice.id}/patch`, { nickname: 'pwned' })
    expect([r.status, r.body.id]).toEqual([403, DENIED])
    expect((await api(s.emu, s.bob, 'GET', `/api/v4/users/${alice.id}`)).body.nickname).not.toBe('pwned')
    const own = await api(s.emu, s.bob, 'PUT', '/api/v4/users/me/patch', {
      nickname: 'Bobby',
      position: 'ops',
    })
    expect(own.status).toBe(200)
    expect(own.body).toMatchObject({ nickname: 'Bobby', position: 'ops' })
    expect(own.body.password).toBeUndefined()
    const taken = await api(s.emu, s.bob, 'PUT', '/api/v4/users/me/patch', { username: alice.username })
    expect([taken.status, taken.body.id]).toEqual([400, 'app.user.save.username_exists.app_error'])
    const typed = await api(s.emu, s.bob, 'PUT', '/api/v4/users/me/patch', { nickname: 5 })
    expect(typed.status).toBe(400)
  })
})
