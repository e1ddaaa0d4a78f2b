// The events and system messages REST actions cause, with their broadcast scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Emulator } from '../../src/emulator/index.js'
import { api, Sock, settle, startSeeded, type WsEvent } from './helpers.js'

let emu: Emulator
let alice: string
let bob: string
let team: string
beforeAll(async () => {
  ;({ emu, alice, bob, team } = await startSeeded())
})
afterAll(() => emu.stop())

const postOf = (e: WsEvent) =>
  JSON.parse(e.data.post) as { type: string; message: string; props: Record<string, unknown> }
let n = 0
const channel = async (type: 'O' | 'P' = 'O') =>
  (
    await api(emu, alice, 'POST', '/api/v4/channels', {
      team_id: team,
      name: `ev-${++n}`,
      display_name: `Ev ${n}`,
      type,
    })
  ).body as { id: string }

describe('system messages', () => {
  it('join / add / leave / remove post system_* messages to the channel', async () => {
    const ch = await channel()
    const ws = await Sock.open(emu, alice)
    await api(emu, bob, 'POST', `/api/v4/channels/${ch.id}/members`, { user_id: emu.seed.users.bob.id })
    const join = postOf(await ws.event('posted', e => postOf(e).type === 'system_join_channel'))
    expect(join).toMatchObject({ message: '@bob joined the channel.', props: { username: 'bob' } })
    await api(emu, bob, 'DELETE', `/api/v4/channels/${ch.id}/members/me`)
    const leave = postOf(await ws.event('posted', e => postOf(e).type === 'system_leave_channel'))
    expect(leave.props).toEqual({ username: 'bob' })
    await api(emu, alice, 'POST', `/api/v4/channels/${ch.id}/members`, { user_id: emu.seed.users.bob.id })
    const add = postOf(await ws.event('posted', e => postOf(e).type === 'system_add_to_channel'))
    expect(add.props).toEqual({
      userId: emu.seed.users.alice.id,
      username: 'alice',
      addedUserId: emu.seed.users.bob.id,
      addedUsername: 'bob',
    })
    await api(emu, alice, 'DELETE', `/api/v4/channels/${ch.id}/members/${emu.seed.users.bob.id}`)
    const removed = postOf(await ws.event('posted', e => postOf(e).type === 'system_remove_from_channel'))
    expect(removed.props).toEqual({ removedUserId: emu.seed.users.bob.id, removedUsername: 'bob' })
    ws.close()
  })

  it('header / purpose / display name changes and archive / restore post system messages; none without a change', async () => {
    const ch = await channel()
    const ws = await Sock.open(emu, alice)
    await api(emu, alice, 'PUT', `/api/v4/channels/${ch.id}/patch`, {
      header: 'new header',
      purpose: 'p',
      display_name: 'D2',
    })
    await ws.until(s => s.events('posted').length === 3)
    expect(ws.events('posted').map(e => postOf(e).type)).toEqual([
      'system_header_change',
      'system_purpose_change',
      'system_displayname_change',
    ])
    expect(postOf(ws.events('posted')[0]!).props).toMatchObject({ old_header: '', new_header: 'new header' })
    await api(emu, alice, 'PUT', `/api/v4/channels/${ch.id}/patch`, { header: 'new header' })
    await settle()
    expect(ws.events('posted')).toHaveLength(3)
    await api(emu, alice, 'DELETE', `/api/v4/channels/${ch.id}`)
    await ws.event('posted', e => postOf(e).type === 'system_channel_deleted')
    await api(emu, alice, 'POST', `/api/v4/channels/${ch.id}/restore`)
    await ws.event('posted', e => postOf(e).type === 'system_channel_restored')
    ws.close()
  })

  it('system messages do not fire outgoing webhooks and cannot be created or edited through REST', async () => {
    const ch = await channel()
    const sys = await api(emu, alice, 'POST', '/api/v4/posts', {
      channel_id: ch.id,
      message: 'x',
      type: 'system_join_channel',
    })
    expect([sys.status, sys.body.id]).toEqual([400, 'api.context.invalid_param.app_error'])
    const ws = await Sock.open(emu, alice)
    await api(emu, alice, 'PUT', `/api/v4/channels/${ch.id}/patch`, { header: 'h' })
    const p = JSON.parse((await ws.event('posted')).data.post) as { id: string }
    const edit = await api(emu, alice, 'PUT', `/api/v4/posts/${p.id}/patch`, { message: 'changed' })
    expect([edit.status, edit.body.id]).toEqual([400, 'api.post.update_post.system_message.app_error'])
    ws.close()
  })
})

describe('broadcast scopes of REST actions', () => {
  it('channel_updated reaches members only; channel_deleted the whole team; channel_created the creator only', async () => {
    const ch = await channel('P')
    const wsA = await Sock.open(emu, alice)
    const wsB = await Sock.open(emu, bob)
    await api(emu, alice, 'PUT', `/api/v4/channels/${ch.id}/patch`, { purpose: 'secret' })
    const upd = await wsA.event('channel_updated')
    expect([upd.broadcast.channel_id, JSON.parse(upd.data.channel).purpose]).toEqual([ch.id, 'secret'])
    const pub = await channel('O')
    await wsA.event('channel_created', e => e.data.channel_id === pub.id)
    await api(emu, alice, 'DELETE', `/api/v4/channels/${pub.id}`)
    const del = await wsB.event('channel_deleted', e => e.data.channel_id === pub.id)
    expect(del.broadcast.team_id).toBe(team)
    await settle()
    expect(wsB.events('channel_updated')).toHaveLength(0)
    expect(wsB.events('channel_created')).toHaveLength(0)
    wsA.close()
    wsB.close()
  })

  it('REST typing → typing to the channel without the sender; status → status_change to that user only', async () => {
    const town = emu.seed.channels.townSquare.id
    const wsA = await Sock.open(emu, alice)
    const wsB = await Sock.open(emu, bob)
    await api(emu, alice, 'POST', '/api/v4/users/me/typing', { channel_id: town })
    const t = await wsB.event('typing')
    expect(t.data).toEqual({ parent_id: '', user_id: emu.seed.users.alice.id })
    expect(t.broadcast.omit_users).toEqual({ [emu.seed.users.alice.id]: true })
    await api(emu, alice, 'PUT', '/api/v4/users/me/status', {
      user_id: emu.seed.users.alice.id,
      status: 'dnd',
    })
    const st = await wsA.event('status_change', e => e.data.status === 'dnd')
    expect(st.broadcast.user_id).toBe(emu.seed.users.alice.id)
    await settle()
    expect(wsA.events('typing')).toHaveLength(0)
    expect(wsB.events('status_change').filter(e => e.data.user_id === emu.seed.users.alice.id)).toHaveLength(
      0,
    )
    wsA.close()
    wsB.close()
  })

  it('a web session (MMAUTHTOKEN cookie) authenticates the WebSocket upgrade', async () => {
    const login = await api(emu, undefined, 'POST', '/api/v4/users/login', {
      login_id: 'bob',
      password: 'bob-password-1',
    })
    const token = login.headers.get('token')!
    const { default: WebSocket } = await import('ws')
    const ws = new WebSocket(`${emu.url.replace('http', 'ws')}/api/v4/websocket`, {
      headers: { Cookie: `MMAUTHTOKEN=${token}` },
    })
    const hello = await new Promise<{ event: string; seq: number }>((resolve, reject) => {
      ws.once('message', raw => resolve(JSON.parse(String(raw))))
      ws.once('error', reject)
    })
    expect([hello.event, hello.seq]).toEqual(['hello', 0])
    ws.terminate()
  })

  it('leaving a team: leave_team to the team (the leaver included), out of its channels, others → 403', async () => {
    const carol = emu.createUser({ username: 'carol-leaves' })
    const town = emu.seed.channels.townSquare.id
    emu.addToChannel(town, carol.id)
    const wsA = await Sock.open(emu, alice)
    const wsC = await Sock.open(emu, carol.token)
    const byBob = await api(emu, bob, 'DELETE', `/api/v4/teams/${team}/members/${carol.id}`)
    expect([byBob.status, byBob.body.id]).toEqual([403, 'api.context.permissions.app_error'])
    const ok = await api(emu, carol.token, 'DELETE', `/api/v4/teams/${team}/members/me`)
    expect(ok.body).toEqual({ status: 'OK' })
    for (const ws of [wsA, wsC]) {
      const ev = await ws.event('leave_team')
      expect([ev.data, ev.broadcast.team_id]).toEqual([{ user_id: carol.id, team_id: team }, team])
    }
    await wsC.event('user_removed', e => e.data.channel_id === town)
    expect((await api(emu, alice, 'GET', `/api/v4/channels/${town}/members/${carol.id}`)).status).toBe(404)
    expect((await api(emu, carol.token, 'GET', `/api/v4/teams/${team}`)).status).toBe(403)
    wsA.close()
    wsC.close()
  })
})
