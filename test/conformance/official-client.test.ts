// The official @mattermost/client drives the emulator: proof that it talks like Mattermost.
import { WebSocketClient } from '@mattermost/client'
import type { Post } from '@mattermost/types/posts'
import type { UserProfile } from '@mattermost/types/users'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { installWebSocketGlobals, officialClients, waitFor } from './setup.js'

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator()
  installWebSocketGlobals()
})
afterAll(() => emu.stop())
const { client } = officialClients(() => emu)

describe('Client4 against the emulator', () => {
  it('logs in with a password and reads the Token header', async () => {
    const c = client()
    const me: UserProfile = await c.login('alice', 'alice-password-1')
    expect(me.username).toBe('alice')
    expect(c.getToken()).toMatch(/^[a-z0-9]{26}$/)
    const again = await c.getMe()
    expect(again.id).toBe(me.id)
  })

  it('maps errors to ClientError with the server id and status', async () => {
    const c = client('not-a-real-token')
    await expect(c.getMe()).rejects.toMatchObject({
      status_code: 401,
      server_error_id: 'api.context.session_expired.app_error',
    })
    await expect(client().login('matterbot', 'x')).rejects.toMatchObject({
      server_error_id: 'api.user.login.bot_login_forbidden.app_error',
    })
  })

  it('channels by name, DMs, posts, threads, reactions, files', async () => {
    const { alice, bob } = emu.seed.users
    const c = client(alice.token)
    const ch = await c.getChannelByNameAndTeamName(emu.seed.team.name, 'town-square')
    expect(ch.id).toBe(emu.seed.channels.townSquare.id)
    const dm = await c.createDirectChannel([alice.id, bob.id])
    const dm2 = await c.createDirectChannel([bob.id, alice.id])
    expect(dm.id).toBe(dm2.id)
    expect(dm.name).toBe([alice.id, bob.id].sort().join('__'))
    const root: Post = await c.createPost({ channel_id: ch.id, message: 'hello' } as Post)
    const reply = await c.createPost({ channel_id: ch.id, message: 'reply', root_id: root.id } as Post)
    const thread = await c.getPostThread(root.id)
    expect(thread.order).toEqual(expect.arrayContaining([root.id, reply.id]))
    const edited = await c.patchPost({ id: root.id, message: 'hello edited' })
    expect(edited.edit_at).toBeGreaterThan(0)
    await c.addReaction(alice.id, root.id, 'thumbsup')
    const reactions = await c.getReactionsForPost(root.id)
    expect(reactions.map(r => r.emoji_name)).toEqual(['thumbsup'])
    const form = new FormData()
    form.append('channel_id', ch.id)
    form.append('files', new Blob([Buffer.from('file body')]), 'note.txt')
    const up = await c.uploadFile(form)
    expect(up.file_infos[0]!.name).toBe('note.txt')
    const res = await fetch(c.getFileUrl(up.file_infos[0]!.id, 0), {
      headers: { Authorization: `Bearer ${alice.token}` },
    })
    expect(await res.text()).toBe('file body')
    await c.deletePost(reply.id)
    await expect(c.getPost(reply.id)).rejects.toMatchObject({ status_code: 404 })
  })

  it('commands CRUD and incoming webhooks', async () => {
    const c = client(emu.seed.users.admin.token)
    const cmd = await c.addCommand({
      team_id: emu.seed.team.id,
      trigger: 'echoes',
      url: 'http://127.0.0.1:9/x',
      method: 'P',
    } as never)
    expect(cmd.token).toMatch(/^[a-z0-9]{26}$/)
    const list = await c.getCustomTeamCommands(emu.seed.team.id)
    expect(list.map(x => x.trigger)).toContain('echoes')
    await c.deleteCommand(cmd.id)
    const hook = await c.createIncomingWebhook({
      channel_id: emu.seed.channels.offTopic.id,
      display_name: 'ci',
    } as never)
    const r = await fetch(`${emu.url}/hooks/${hook.id}`, {
      method: 'POST',
      body: JSON.stringify({ text: 'from a hook' }),
    })
    expect(r.headers.get('content-type')).toBe('text/plain')
    expect(await r.text()).toBe('ok')
  })

  it('WebSocketClient receives events with correct seq and resumes after a dropped socket', async () => {
    const { bob, alice } = emu.seed.users
    const seen: Array<{ event: string; seq: number; data: Record<string, unknown> }> = []
    let missed = 0
    const ws2 = new WebSocketClient({
      newWebSocketFn: (url: string) =>
        new WebSocket(url, { headers: { Authorization: `Bearer ${bob.token}` } }) as never,
    } as never)
    ws2.addMessageListener(m => seen.push(m as never))
    ws2.addMissedMessageListener(() => {
      missed++
    })
    const first = new Promise<void>(resolve => ws2.addFirstConnectListener(() => resolve()))
    ws2.initialize(`${emu.url.replace('http', 'ws')}/api/v4/websocket`)
    await first
    const c = client(alice.token)
    await c.createPost({ channel_id: emu.seed.channels.townSquare.id, message: 'before drop' } as Post)
    await waitFor(() => seen.some(e => e.event === 'posted' && String(e.data.post).includes('before drop')))
    emu.faults.dropSockets()
    await c.createPost({ channel_id: emu.seed.channels.townSquare.id, message: 'while away' } as Post)
    await waitFor(
      () => seen.some(e => e.event === 'posted' && String(e.data.post).includes('while away')),
      15_000,
    )
    const events = seen.filter(e => e.seq !== undefined && e.event !== undefined)
    const hello = events.filter(e => e.event === 'hello')
    expect(hello.length).toBe(1) // resumed: no second hello
    expect(missed).toBe(0)
    ws2.close()
  }, 30_000)
})
