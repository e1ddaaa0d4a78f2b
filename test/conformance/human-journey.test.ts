// A seeded human's journey through the official @mattermost/client, as a web client makes it:
// password login (no seeded token), a WebSocketClient on that session, then post, react, a custom
// slash command, a button click whose integration opens a dialog, the dialog's submission, and
// logout, after which the session is dead on REST and on the WebSocket. The integration is a real
// HTTP server on loopback that records every request and answers per path (possibly calling the
// emulator back, as a real integration does with the trigger id of a click).
import type { Client4 } from '@mattermost/client'
import type {
  Command,
  CommandResponse,
  DialogSubmission,
  OpenDialogRequest,
  SubmitDialogResponse,
} from '@mattermost/types/integrations'
import type { Post } from '@mattermost/types/posts'
import type { Reaction } from '@mattermost/types/reactions'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { HookServer } from '../emulator/hookserver.js'
import {
  expectConsecutiveSeq,
  installWebSocketGlobals,
  json,
  type Listener,
  officialClients,
} from './setup.js'

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator()
  installWebSocketGlobals()
})
afterAll(() => emu.stop())
const { client, listen } = officialClients(() => emu)

describe('every seeded human logs in with a password', () => {
  it('admin, alice and bob: Client4.login gives a fresh session token that REST and the WebSocket accept', async () => {
    for (const name of ['admin', 'alice', 'bob'] as const) {
      const seeded = emu.seed.users[name]
      expect(seeded.password).toBe(`${name}-password-1`)
      const c = client()
      const me = await c.login(name, seeded.password!)
      expect(me).toMatchObject({ id: seeded.id, username: name })
      expect(me.is_bot ?? false).toBe(false) // omitempty on the server
      expect(me).not.toHaveProperty('password')
      const token = c.getToken()
      expect(token).toMatch(/^[a-z0-9]{26}$/)
      expect(token).not.toBe(seeded.token)
      expect((await c.getMe()).id).toBe(seeded.id)
      const l = await listen(token)
      const hello = l.events[0]!
      expect(hello).toMatchObject({ event: 'hello', seq: 0 })
      expect(hello.broadcast.user_id).toBe(seeded.id)
      l.ws.close()
    }
    await expect(client().login('alice', 'not-her-password')).rejects.toMatchObject({
      status_code: 401,
      server_error_id: 'api.user.login.invalid_credentials_email_username',
    })
  })
})

describe("alice's journey on a password session: the REST and WebSocket API of a web client", () => {
  let hook: HookServer
  let alice: Client4
  let token = ''
  let ws: Listener
  let cmd: Command
  let posted: Post
  let buttonPost: Post
  let clickTrigger = ''
  let dialogOpenReply: { status: number; body: unknown } | undefined
  let opened: OpenDialogRequest

  const ts = () => emu.seed.channels.townSquare
  const aliceId = () => emu.seed.users.alice.id
  const onTownSquare = (message: string) => (e: { data: Record<string, unknown> }) =>
    json<Post>(e.data.post).message === message

  beforeAll(async () => {
    hook = await HookServer.start()
    alice = client()
    await alice.login('alice', emu.seed.users.alice.password!)
    token = alice.getToken()
    ws = await listen(token)
  })
  afterAll(async () => {
    ws.ws.close()
    await hook.stop()
  })

  it('1. alice posts in town-square; `posted` arrives on her session socket', async () => {
    expect(token).not.toBe(emu.seed.users.alice.token)
    expect(ws.events[0]!.broadcast.user_id).toBe(aliceId())
    const created = await alice.createPost({ channel_id: ts().id, message: 'hello from a password' } as Post)
    expect(created).toMatchObject({
      user_id: aliceId(),
      channel_id: ts().id,
      message: 'hello from a password',
      root_id: '',
    })
    expect(created.id).toMatch(/^[a-z0-9]{26}$/)
    const e = await ws.next('posted', x => json<Post>(x.data.post).id === created.id)
    expect(e.broadcast.channel_id).toBe(ts().id)
    expect(e.data).toMatchObject({ channel_type: 'O', channel_name: 'town-square', sender_name: '@alice' })
    expect(json<Post>(e.data.post)).toMatchObject({
      id: created.id,
      user_id: aliceId(),
      message: 'hello from a password',
    })
    posted = created
  })

  it('2. alice reacts; `reaction_added` arrives with her reaction', async () => {
    const from = ws.events.length
    const r: Reaction = await alice.addReaction(aliceId(), posted.id, 'rocket')
    expect(r).toMatchObject({ user_id: aliceId(), post_id: posted.id, emoji_name: 'rocket' })
    const e = await ws.next('reaction_added', undefined, from)
    expect(e.broadcast.channel_id).toBe(ts().id)
    expect(json<Reaction>(e.data.reaction)).toMatchObject({
      user_id: aliceId(),
      post_id: posted.id,
      emoji_name: 'rocket',
      channel_id: ts().id,
    })
    expect((await alice.getReactionsForPost(posted.id)).map(x => [x.user_id, x.emoji_name])).toEqual([
      [aliceId(), 'rocket'],
    ])
  })

  it('3. a custom slash command (admin by password) run by alice: the integration sees alice, in_channel posts', async () => {
    const admin = client()
    const adminMe = await admin.login('admin', emu.seed.users.admin.password!)
    expect(admin.getToken()).not.toBe(emu.seed.users.admin.token)
    cmd = await admin.addCommand({
      team_id: emu.seed.team.id,
      trigger: 'journey',
      url: `${hook.url}/command`,
      method: 'P',
      display_name: 'Journey',
    } as Command)
    expect(cmd).toMatchObject({ trigger: 'journey', creator_id: adminMe.id, method: 'P' })
    hook.answers.set('/command', h => {
      const text = new URLSearchParams(h.body).get('text')
      return { body: { response_type: 'in_channel', text: `deploying ${text}` } }
    })
    const from = ws.events.length
    const res: CommandResponse = await alice.executeCommand('/journey v7 now', {
      channel_id: ts().id,
      team_id: emu.seed.team.id,
    })
    expect(res).toMatchObject({ response_type: 'in_channel', text: 'deploying v7 now' })

    const hits = hook.to('/command')
    expect(hits.length).toBe(1)
    const hit = hits[0]!
    expect(hit.method).toBe('POST')
    expect(hit.headers.authorization).toBe(`Token ${cmd.token}`)
    const form = new URLSearchParams(hit.body)
    expect({
      user_id: form.get('user_id'),
      user_name: form.get('user_name'),
      channel_id: form.get('channel_id'),
      team_id: form.get('team_id'),
      command: form.get('command'),
      text: form.get('text'),
      token: form.get('token'),
    }).toEqual({
      user_id: aliceId(),
      user_name: 'alice',
      channel_id: ts().id,
      team_id: emu.seed.team.id,
      command: '/journey',
      text: 'v7 now',
      token: cmd.token,
    })
    expect(form.get('trigger_id')).toBe(res.trigger_id)

    const e = await ws.next('posted', onTownSquare('deploying v7 now'), from)
    const p = json<Post>(e.data.post)
    expect(p).toMatchObject({ user_id: aliceId(), channel_id: ts().id, message: 'deploying v7 now' })
    expect(p.props.from_webhook).toBe('true')
    expect((await alice.getPost(p.id)).message).toBe('deploying v7 now')
  })

  it('4. the bot posts a button; alice clicks it; the integration sees alice and answers an update', async () => {
    const bot = client(emu.seed.users.bot.token)
    // The click handler (step 5's dialog is opened from here, with the click's trigger id).
    hook.answers.set('/click', async h => {
      const trigger = String(h.json?.trigger_id ?? '')
      const r = await fetch(`${emu.url}/api/v4/actions/dialogs/open`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          trigger_id: trigger,
          url: `${hook.url}/dialog`,
          dialog: {
            callback_id: 'approve-T-42',
            title: 'Approve T-42',
            introduction_text: 'Say why.',
            submit_label: 'Approve',
            state: 'ticket=T-42',
            elements: [{ display_name: 'Reason', name: 'reason', type: 'text' }],
          },
        }),
      })
      dialogOpenReply = { status: r.status, body: await r.json() }
      return { body: { update: { message: 'T-42: approval in progress (alice)' } } }
    })
    const from = ws.events.length
    buttonPost = await bot.createPost({
      channel_id: ts().id,
      message: 'T-42 needs approval',
      props: {
        attachments: [
          {
            text: 'Deploy T-42 to production?',
            actions: [
              {
                id: 'approve',
                name: 'Approve',
                type: 'button',
                integration: { url: `${hook.url}/click`, context: { ticket: 'T-42', step: 2 } },
              },
            ],
          },
        ],
      },
    } as unknown as Post)
    expect(buttonPost.user_id).toBe(emu.seed.users.bot.id)
    const seen = json<Post>(
      (await ws.next('posted', x => json<Post>(x.data.post).id === buttonPost.id, from)).data.post,
    )
    const action = (seen.props.attachments as Array<{ actions: Array<Record<string, unknown>> }>)[0]!
      .actions[0]!
    expect(action).toMatchObject({ id: 'approve', name: 'Approve', type: 'button' })
    // PostToJSON strips the integration: alice never sees the URL or the private context
    expect(action).not.toHaveProperty('integration')

    const edits = ws.events.length
    const res = (await alice.doPostAction(buttonPost.id, 'approve')) as unknown as {
      status: string
      trigger_id: string
    }
    expect(res.status).toBe('OK')
    expect(typeof res.trigger_id).toBe('string')
    expect(res.trigger_id.length).toBeGreaterThan(0)

    const clicks = hook.to('/click')
    expect(clicks.length).toBe(1)
    const click = clicks[0]!.json!
    expect(click).toMatchObject({
      user_id: aliceId(),
      user_name: 'alice',
      channel_id: ts().id,
      channel_name: 'town-square',
      team_id: emu.seed.team.id,
      team_domain: emu.seed.team.name,
      post_id: buttonPost.id,
      type: 'button',
      context: { ticket: 'T-42', step: 2 },
    })
    expect(click.trigger_id).toBe(res.trigger_id)
    clickTrigger = String(click.trigger_id)

    const e = await ws.next('post_edited', x => json<Post>(x.data.post).id === buttonPost.id, edits)
    expect(e.broadcast.channel_id).toBe(ts().id)
    const edited = json<Post>(e.data.post)
    expect(edited).toMatchObject({
      id: buttonPost.id,
      user_id: emu.seed.users.bot.id,
      message: 'T-42: approval in progress (alice)',
      create_at: buttonPost.create_at,
    })
    expect(edited.edit_at).toBeGreaterThan(0)
    expect((await alice.getPost(buttonPost.id)).message).toBe('T-42: approval in progress (alice)')
  })

  it("5. the click opened a dialog on alice's socket; an `errors` answer comes back, then {} succeeds", async () => {
    expect(dialogOpenReply).toEqual({ status: 200, body: { status: 'OK' } })
    const e = await ws.next('open_dialog')
    expect(e.broadcast.user_id).toBe(aliceId())
    opened = json<OpenDialogRequest>(e.data.dialog)
    expect(opened.url).toBe(`${hook.url}/dialog`)
    expect(opened.dialog).toMatchObject({
      callback_id: 'approve-T-42',
      title: 'Approve T-42',
      state: 'ticket=T-42',
      elements: [{ display_name: 'Reason', name: 'reason', type: 'text' }],
    })
    // The client gets its own trigger id, not the signed one the integration used.
    expect(opened.trigger_id).toMatch(/^[a-z0-9]{26}$/)
    expect(opened.trigger_id).not.toBe(clickTrigger)

    const answers: SubmitDialogResponse[] = [{ errors: { reason: 'Too short.' } }, {}]
    hook.answers.set('/dialog', () => ({ body: answers.shift() }))
    const submit = (reason: string): DialogSubmission => ({
      url: opened.url,
      callback_id: opened.dialog.callback_id!,
      state: opened.dialog.state!,
      // what a client claims is ignored: the server puts the session's user here
      user_id: emu.seed.users.bob.id,
      channel_id: ts().id,
      team_id: emu.seed.team.id,
      submission: { reason },
      cancelled: false,
    })
    const first = await alice.submitInteractiveDialog(submit('ok'))
    expect(first).toEqual({ errors: { reason: 'Too short.' } })
    const second = await alice.submitInteractiveDialog(submit('ship it, tests are green'))
    expect(second).toEqual({})

    const subs = hook.to('/dialog').map(h => h.json)
    expect(subs.length).toBe(2)
    const want = (reason: string) => ({
      type: 'dialog_submission',
      callback_id: 'approve-T-42',
      state: 'ticket=T-42',
      user_id: aliceId(),
      channel_id: ts().id,
      team_id: emu.seed.team.id,
      submission: { reason },
      cancelled: false,
    })
    expect(subs[0]).toEqual(want('ok'))
    expect(subs[1]).toEqual(want('ship it, tests are green'))
    expect(subs[0]).not.toHaveProperty('url')
  })

  it('6. alice logs out: the session token is 401 on REST and refused on the WebSocket', async () => {
    expectConsecutiveSeq(ws)
    const res = await alice.logout()
    expect(res.status).toBe(200) // Client4 has read the body; ok is what clears its token
    expect(alice.getToken()).toBe('')

    // the same token, through Client4 and raw
    await expect(client(token).getMe()).rejects.toMatchObject({
      status_code: 401,
      server_error_id: 'api.context.session_expired.app_error',
    })
    await expect(
      client(token).createPost({ channel_id: ts().id, message: 'after logout' } as Post),
    ).rejects.toMatchObject({ status_code: 401, server_error_id: 'api.context.session_expired.app_error' })
    const raw = await fetch(`${emu.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${token}` } })
    expect(raw.status).toBe(401)
    expect(await raw.json()).toMatchObject({
      id: 'api.context.session_expired.app_error',
      status_code: 401,
    })
    // the seeded personal token of alice is untouched by the logout of her password session
    expect((await client(emu.seed.users.alice.token).getMe()).id).toBe(aliceId())

    // WebSocket: the upgrade carries no valid session, so no hello; the in-band challenge with
    // the dead token makes the server drop the connection (no close frame: 1006).
    const sock = new WebSocket(`${emu.url.replace('http', 'ws')}/api/v4/websocket`, {
      headers: { Authorization: `Bearer ${token}` },
    })
    const frames: string[] = []
    sock.on('message', m => frames.push(String(m)))
    const closed = new Promise<number>(r => sock.on('close', code => r(code)))
    await new Promise<void>((resolve, reject) => {
      sock.once('open', () => resolve())
      sock.once('error', reject)
    })
    await new Promise(r => setTimeout(r, 200))
    expect(frames).toEqual([])
    sock.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token } }))
    expect(await closed).toBe(1006)
    expect(frames).toEqual([])
  })
})
