// User routes a web client uses: search filters, team / channel memberships, profile images.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Emulator } from '../../src/emulator/index.js'
import { api, startSeeded } from './helpers.js'

let emu: Emulator
let alice: string
beforeAll(async () => {
  ;({ emu, alice } = await startSeeded())
})
afterAll(() => emu.stop())

const names = (body: Array<{ username: string }>) => body.map(u => u.username).sort()

describe('users', () => {
  it('search: term required (400), channel / team filters, inactive users only with allow_inactive', async () => {
    const missing = await api(emu, alice, 'POST', '/api/v4/users/search', {})
    expect([missing.status, missing.body.id]).toEqual([400, 'api.context.invalid_body_param.app_error'])
    const priv = emu.seed.channels.privateRoom.id
    const inPriv = await api(emu, alice, 'POST', '/api/v4/users/search', { term: '', in_channel_id: priv })
    expect(names(inPriv.body)).toEqual(['admin', 'alice'])
    const notIn = await api(emu, alice, 'POST', '/api/v4/users/search', {
      term: 'b',
      not_in_channel_id: priv,
    })
    expect(names(notIn.body)).toContain('bob')
    expect(names(notIn.body)).not.toContain('alice')
    // A disabled bot is an inactive user.
    const admin = emu.seed.users.admin.token
    emu.config.EnableBotAccountCreation = true
    const bot = await api(emu, admin, 'POST', '/api/v4/bots', { username: 'gone-user' })
    emu.config.EnableBotAccountCreation = false
    await api(emu, admin, 'POST', `/api/v4/bots/${bot.body.user_id}/disable`)
    expect(names((await api(emu, alice, 'POST', '/api/v4/users/search', { term: 'gone' })).body)).toEqual([])
    const withInactive = await api(emu, alice, 'POST', '/api/v4/users/search', {
      term: 'gone',
      allow_inactive: true,
    })
    expect(names(withInactive.body)).toEqual(['gone-user'])
  })

  it('team members of a user; channel members of a user in a team (incl. DMs); others are 403', async () => {
    const team = emu.seed.team.id
    const tm = await api(emu, alice, 'GET', '/api/v4/users/me/teams/members')
    expect(tm.body).toEqual([expect.objectContaining({ team_id: team, user_id: emu.seed.users.alice.id })])
    await api(emu, alice, 'POST', '/api/v4/channels/direct', [emu.seed.users.alice.id, emu.seed.users.bob.id])
    const cm = await api(emu, alice, 'GET', `/api/v4/users/me/teams/${team}/channels/members`)
    const ids = cm.body.map((m: { channel_id: string }) => m.channel_id)
    expect(ids).toContain(emu.seed.channels.privateRoom.id)
    expect(cm.body.every((m: { user_id: string }) => m.user_id === emu.seed.users.alice.id)).toBe(true)
    expect(cm.body.length).toBeGreaterThanOrEqual(4)
    const other = await api(emu, alice, 'GET', `/api/v4/users/${emu.seed.users.bob.id}/teams/members`)
    expect(other.status).toBe(403)
  })

  it('profile image: a PNG for any user, 404 for unknown ids, 401 without a session', async () => {
    const res = await fetch(`${emu.url}/api/v4/users/${emu.seed.users.bob.id}/image`, {
      headers: { Authorization: `Bearer ${alice}` },
    })
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(
      Buffer.from(await res.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG')
    expect((await api(emu, alice, 'GET', `/api/v4/users/${'a'.repeat(26)}/image`)).status).toBe(404)
    expect((await api(emu, undefined, 'GET', `/api/v4/users/${emu.seed.users.bob.id}/image`)).status).toBe(
      401,
    )
  })

  it("a user's channels across teams hide archived ones unless include_deleted; users/ids honours since", async () => {
    const ch = await api(emu, alice, 'POST', '/api/v4/channels', {
      team_id: emu.seed.team.id,
      name: 'gone-soon',
      display_name: 'G',
      type: 'O',
    })
    await api(emu, alice, 'DELETE', `/api/v4/channels/${ch.body.id}`)
    const ids = async (q: string) =>
      (await api(emu, alice, 'GET', `/api/v4/users/me/channels${q}`)).body.map((c: { id: string }) => c.id)
    expect(await ids('')).not.toContain(ch.body.id)
    expect(await ids('?include_deleted=true')).toContain(ch.body.id)
    expect((await api(emu, alice, 'GET', `/api/v4/users/${emu.seed.users.bob.id}/channels`)).status).toBe(403)
    const all = [emu.seed.users.alice.id, emu.seed.users.bob.id]
    expect((await api(emu, alice, 'POST', '/api/v4/users/ids', all)).body).toHaveLength(2)
    expect(
      (await api(emu, alice, 'POST', `/api/v4/users/ids?since=${Date.now() + 60_000}`, all)).body,
    ).toEqual([])
  })
})
