// The official @mattermost/client against the emulator, part three: slash commands executed
// through Client4 against a real local integration server, and WebSocket events beyond `posted`
// received by the official WebSocketClient (on `ws`, token in the Authorization header).
import type { Client4 } from '@mattermost/client'
import type { Command, CommandResponse } from '@mattermost/types/integrations'
import type { Post } from '@mattermost/types/posts'
import type { Reaction } from '@mattermost/types/reactions'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { HookServer } from '../emulator/hookserver.js'
import {
  expectConsecutiveSeq,
  installWebSocketGlobals,
  json,
  type Listener,
  officialClients,
  waitFor,
} from './setup.js'

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator()
  installWebSocketGlobals()
})
afterAll(() => emu.stop())
const { client, listen } = officialClients(() => emu)

describe('slash commands through Client4 against a local integration', () => {
  let hook: HookServer
  let base = ''
  beforeAll(async () => {
    hook = await HookServer.start()
    base = hook.url
    hook.answers.set('/release', r => {
      const text = r.form.get('text') ?? ''
      const reply = text.startsWith('secret')
        ? { response_type: 'ephemeral', text: 'only you can see this' }
        : { response_type: 'in_channel', text: `released ${text}` }
      return { body: reply }
    })
  })
  afterAll(() => hook.stop())

  let cmd: Command
  let token = ''

  it('editCommand changes the editable fields and keeps id, token, creator and create_at', async () => {
    const admin = client(emu.seed.users.admin.token)
    cmd = await admin.addCommand({
      team_id: emu.seed.team.id,
      trigger: 'shipit',
      url: `${base}/old`,
      method: 'P',
      display_name: 'Ship it',
    } as Command)
    const edited = await admin.editCommand({
      ...cmd,
      trigger: 'Release',
      url: `${base}/release`,
      description: 'Release a build',
      auto_complete: true,
      auto_complete_hint: '[version]',
    })
    expect(edited).toMatchObject({
      id: cmd.id,
      token: cmd.token,
      create_at: cmd.create_at,
      creator_id: emu.seed.users.admin.id,
      team_id: emu.seed.team.id,
      trigger: 'release', // lower-cased, as UpdateCommand does
      url: `${base}/release`,
      method: 'P',
      description: 'Release a build',
      auto_complete: true,
      auto_complete_hint: '[version]',
      display_name: 'Ship it',
      delete_at: 0,
    })
    expect(edited.update_at).toBeGreaterThanOrEqual(cmd.update_at)
    // the body must be the command at its own path
    await expect(admin.editCommand({ ...edited, team_id: 'x'.repeat(26) })).rejects.toMatchObject({
      status_code: 400,
    })
  })

  it('regenCommandToken returns a new token that the command keeps', async () => {
    const admin = client(emu.seed.users.admin.token)
    const regen = await admin.regenCommandToken(cmd.id)
    expect(Object.keys(regen)).toEqual(['token'])
    expect(regen.token).toMatch(/^[a-z0-9]{26}$/)
    expect(regen.token).not.toBe(cmd.token)
    token = regen.token
    const listed = (await admin.getCustomTeamCommands(emu.seed.team.id)).find(c => c.id === cmd.id)
    expect(listed?.token).toBe(token)
    // alice is no manager of the command: 403
    await expect(client(emu.seed.users.alice.token).regenCommandToken(cmd.id)).rejects.toMatchObject({
      status_code: 403,
    })
  })

  it('executeCommand: the integration gets the form, `Token` auth; in_channel makes a post', async () => {
    const { alice, bob } = emu.seed.users
    const ts = emu.seed.channels.townSquare
    const a = await listen(alice.token)
    const b = await listen(bob.token)
    const c = client(alice.token)
    const args = { channel_id: ts.id, team_id: emu.seed.team.id }
    // the old trigger is gone after the edit
    await expect(c.executeCommand('/shipit now', args)).rejects.toMatchObject({
      status_code: 404,
      server_error_id: 'api.command.execute_command.not_found.app_error',
    })
    const before = hook.received.length
    const res: CommandResponse = await c.executeCommand('/release v1.2   now', args)
    expect(res).toMatchObject({ response_type: 'in_channel', text: 'released v1.2   now' })
    expect(typeof res.trigger_id).toBe('string')

    expect(hook.received.length).toBe(before + 1)
    const hit = hook.received[before]!
    expect(hit.method).toBe('POST')
    expect(hit.path).toBe('/release')
    expect(hit.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/)
    expect(hit.headers.authorization).toBe(`Token ${token}`)
    expect(hit.headers.accept).toBe('application/json')
    const form = new URLSearchParams(hit.body)
    expect({
      token: form.get('token'),
      team_id: form.get('team_id'),
      team_domain: form.get('team_domain'),
      channel_id: form.get('channel_id'),
      channel_name: form.get('channel_name'),
      user_id: form.get('user_id'),
      user_name: form.get('user_name'),
      command: form.get('command'),
      text: form.get('text'),
    }).toEqual({
      token,
      team_id: emu.seed.team.id,
      team_domain: emu.seed.team.name,
      channel_id: ts.id,
      channel_name: 'town-square',
      user_id: alice.id,
      user_name: 'alice',
      command: '/release',
      text: 'v1.2   now',
    })
    expect(form.get('response_url')).toMatch(new RegExp(`^${emu.url}/hooks/commands/[a-z0-9]{26}$`))
    expect(form.get('trigger_id')).toBe(res.trigger_id)

    // in_channel: a real post by the caller, marked from_webhook, seen by everyone in the channel
    const seen = await b.next('posted', e => json<Post>(e.data.post).message === 'released v1.2   now')
    expect(seen.broadcast.channel_id).toBe(ts.id)
    const post = json<Post>(seen.data.post)
    expect(post).toMatchObject({ user_id: alice.id, channel_id: ts.id, root_id: '' })
    expect(post.props.from_webhook).toBe('true')
    const list = await c.getPosts(ts.id)
    expect(list.posts[post.id]?.message).toBe('released v1.2   now')
    expectConsecutiveSeq(a)
    expectConsecutiveSeq(b)
    a.ws.close()
    b.ws.close()
  })

  it('executeCommand: an ephemeral response reaches only the caller, as ephemeral_message', async () => {
    const { alice, bob } = emu.seed.users
    const ts = emu.seed.channels.townSquare
    const a = await listen(alice.token)
    const b = await listen(bob.token)
    const c = client(alice.token)
    const res = await c.executeCommand('/release secret', { channel_id: ts.id, team_id: emu.seed.team.id })
    expect(res).toMatchObject({ response_type: 'ephemeral', text: 'only you can see this' })
    const eph = await a.next('ephemeral_message')
    expect(eph.broadcast).toMatchObject({ user_id: alice.id, channel_id: ts.id })
    const post = json<Post>(eph.data.post)
    expect(post).toMatchObject({
      type: 'system_ephemeral',
      channel_id: ts.id,
      message: 'only you can see this',
      root_id: '',
    })
    expect(post.id).toMatch(/^[a-z0-9]{26}$/)
    // not stored, not sent to anyone else
    await c.createPost({ channel_id: ts.id, message: 'fence' } as Post)
    await b.next('posted', e => json<Post>(e.data.post).message === 'fence')
    expect(b.events.some(e => e.event === 'ephemeral_message')).toBe(false)
    const list = await c.getPosts(ts.id)
    expect(Object.values(list.posts).some(p => p.message === 'only you can see this')).toBe(false)
    expectConsecutiveSeq(a)
    a.ws.close()
    b.ws.close()
  })

  // HandleCommandResponsePost (app/command.go): the caller's post, from_webhook for custom commands.
  it('executeCommand: the ephemeral post is authored by the caller and marked from_webhook', async () => {
    const { alice } = emu.seed.users
    const ts = emu.seed.channels.townSquare
    const a = await listen(alice.token)
    await client(alice.token).executeCommand('/release secret', {
      channel_id: ts.id,
      team_id: emu.seed.team.id,
    })
    const post = json<Post>((await a.next('ephemeral_message')).data.post)
    expect(post.user_id).toBe(alice.id)
    expect(post.props.from_webhook).toBe('true')
    a.ws.close()
  })

  // api4 executeCommand encodes a model.CommandResponse: all 12 fields, no omitempty.
  it('executeCommand: the reply has every CommandResponse key', async () => {
    const res = await client(emu.seed.users.alice.token).executeCommand('/release v2', {
      channel_id: emu.seed.channels.townSquare.id,
      team_id: emu.seed.team.id,
    })
    expect(Object.keys(res).sort()).toEqual(
      [
        'response_type',
        'text',
        'username',
        'channel_id',
        'icon_url',
        'type',
        'props',
        'goto_location',
        'trigger_id',
        'skip_slack_parsing',
        'attachments',
        'extra_responses',
      ].sort(),
    )
  })
})

describe('WebSocket events beyond posted, through the official WebSocketClient', () => {
  let alice: Listener
  let bob: Listener
  let c: Client4
  let post: Post
  beforeAll(async () => {
    alice = await listen(emu.seed.users.alice.token)
    bob = await listen(emu.seed.users.bob.token)
    c = client(emu.seed.users.alice.token)
    post = await c.createPost({ channel_id: emu.seed.channels.offTopic.id, message: 'watch me' } as Post)
    await bob.next('posted', e => json<Post>(e.data.post).id === post.id)
  })
  afterAll(() => {
    alice.ws.close()
    bob.ws.close()
  })

  it('post_edited after an edit: channel scope, the edited post as JSON', async () => {
    const from = bob.events.length
    await c.patchPost({ id: post.id, message: 'watch me (edited)' })
    const e = await bob.next('post_edited', undefined, from)
    expect(e.broadcast).toMatchObject({ channel_id: emu.seed.channels.offTopic.id, user_id: '', team_id: '' })
    const p = json<Post>(e.data.post)
    expect(p).toMatchObject({
      id: post.id,
      channel_id: emu.seed.channels.offTopic.id,
      user_id: emu.seed.users.alice.id,
      message: 'watch me (edited)',
      create_at: post.create_at,
    })
    expect(p.edit_at).toBeGreaterThan(0)
    expect(e.seq).toBeGreaterThan(bob.events[from - 1]!.seq)
  })

  it('reaction_added / reaction_removed: channel scope, the reaction as JSON', async () => {
    const bc = client(emu.seed.users.bob.token)
    const from = alice.events.length
    await bc.addReaction(emu.seed.users.bob.id, post.id, 'tada')
    const added = await alice.next('reaction_added', undefined, from)
    expect(added.broadcast).toMatchObject({ channel_id: emu.seed.channels.offTopic.id, user_id: '' })
    const r = json<Reaction>(added.data.reaction)
    expect(r).toMatchObject({
      user_id: emu.seed.users.bob.id,
      post_id: post.id,
      emoji_name: 'tada',
      channel_id: emu.seed.channels.offTopic.id,
    })
    expect(r.create_at).toBeGreaterThan(0)
    await bc.removeReaction(emu.seed.users.bob.id, post.id, 'tada')
    const removed = await alice.next('reaction_removed', undefined, from)
    expect(removed.broadcast.channel_id).toBe(emu.seed.channels.offTopic.id)
    expect(json<Reaction>(removed.data.reaction)).toMatchObject({
      user_id: emu.seed.users.bob.id,
      post_id: post.id,
      emoji_name: 'tada',
    })
    expect(removed.seq).toBeGreaterThan(added.seq)
  })

  it('post_deleted after a delete: channel scope; delete_by only for admins', async () => {
    const admin = await listen(emu.seed.users.admin.token)
    const from = bob.events.length
    await c.deletePost(post.id)
    const e = await bob.next('post_deleted', undefined, from)
    expect(e.broadcast).toMatchObject({ channel_id: emu.seed.channels.offTopic.id, user_id: '' })
    expect(json<Post>(e.data.post)).toMatchObject({ id: post.id, channel_id: emu.seed.channels.offTopic.id })
    expect(e.data).not.toHaveProperty('delete_by')
    const onAdmin = await admin.next('post_deleted')
    expect(json<Post>(onAdmin.data.post).id).toBe(post.id)
    admin.ws.close()
  })

  it('direct_added on DM creation reaches the other user, scoped to the new channel', async () => {
    const u = emu.createUser({ username: 'dm-target', password: 'dm-target-pass-1' })
    const target = await listen(u.token)
    const dm = await c.createDirectChannel([emu.seed.users.alice.id, u.id])
    const e = await target.next('direct_added')
    expect(e.broadcast).toMatchObject({ channel_id: dm.id, user_id: '', team_id: '' })
    expect(e.data).toEqual({ creator_id: emu.seed.users.alice.id, teammate_id: u.id })
    expect((await alice.next('direct_added', x => x.broadcast.channel_id === dm.id)).data.teammate_id).toBe(
      u.id,
    )
    // asking again finds the same channel and announces nothing new
    await c.createDirectChannel([u.id, emu.seed.users.alice.id])
    await c.createPost({ channel_id: dm.id, message: 'dm fence' } as Post)
    await target.next('posted', x => json<Post>(x.data.post).message === 'dm fence')
    expect(target.events.filter(x => x.event === 'direct_added').length).toBe(1)
    expectConsecutiveSeq(target)
    target.ws.close()
  })

  it('typing after a user_typing action: channel scope, the typist omitted', async () => {
    const ts = emu.seed.channels.townSquare.id
    const reply = new Promise<Record<string, unknown>>(resolve =>
      alice.ws.sendMessage('user_typing', { channel_id: ts, parent_id: '' }, resolve),
    )
    expect(await reply).toMatchObject({ status: 'OK' })
    const e = await bob.next('typing')
    expect(e.data).toEqual({ parent_id: '', user_id: emu.seed.users.alice.id })
    expect(e.broadcast).toMatchObject({
      channel_id: ts,
      user_id: '',
      omit_users: { [emu.seed.users.alice.id]: true },
    })
    // userTyping() is the same action; the typist never hears its own typing
    alice.ws.userTyping(ts, '')
    await waitFor(() => bob.events.filter(x => x.event === 'typing').length === 2)
    expect(alice.events.some(x => x.event === 'typing')).toBe(false)
  })

  it('every event arrived with the next seq and no reconnect', () => {
    expectConsecutiveSeq(alice)
    expectConsecutiveSeq(bob)
    const names = bob.events.map(e => e.event)
    for (const n of [
      'hello',
      'posted',
      'post_edited',
      'reaction_added',
      'reaction_removed',
      'post_deleted',
      'typing',
    ])
      expect(names).toContain(n)
  })
})

// DeletePost (app/post.go): a sanitized post_deleted to everyone, one with delete_by to admins.
describe('post_deleted for admins', () => {
  it('carries delete_by with the deleting user', async () => {
    const admin = await listen(emu.seed.users.admin.token)
    const c = client(emu.seed.users.alice.token)
    const p = await c.createPost({ channel_id: emu.seed.channels.offTopic.id, message: 'gone soon' } as Post)
    await c.deletePost(p.id)
    const e = await admin.next('post_deleted', x => json<Post>(x.data.post).id === p.id)
    expect(e.data.delete_by).toBe(emu.seed.users.alice.id)
    admin.ws.close()
  })
})
