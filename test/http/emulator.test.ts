/**
 * End to end: the emulator plays Mattermost and calls the receiver exactly as the server would
 * (slash command execution, response_url, button clicks, outgoing webhooks). Every assertion is
 * what a human user (alice) sees over REST.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import {
  createReceiver,
  type ReceiverEvent,
  type ReceiverServer,
  respond,
  signActionContext,
} from '../../src/index.js'
import { SECRET } from './helpers.js'

let emu: Emulator
let server: ReceiverServer
const commandTokens: string[] = []
const webhookTokens: string[] = []
const events: ReceiverEvent[] = []
let lateDone: Promise<void> = Promise.resolve()
let openGate: () => void = () => {}
let hookSeen: (ev: ReceiverEvent) => void = () => {}

const receiver = createReceiver({
  signingSecret: SECRET,
  commandTokens: () => commandTokens,
  webhookTokens: () => webhookTokens,
  ackTimeoutMs: 200,
  async dispatch(ev) {
    events.push(ev)
    if (ev.kind === 'command') {
      if (ev.payload.text === 'later') {
        // Still busy when the ack timeout passes: the receiver answers for us meanwhile.
        const url = ev.payload.response_url
        const gate = new Promise<void>(r => (openGate = r))
        lateDone = gate.then(() => respond(url, { response_type: 'in_channel', text: 'deploy finished' }))
        await lateDone
        return undefined
      }
      return {
        response_type: 'in_channel',
        text: `deploying ${ev.payload.text} for @${ev.payload.user_name}`,
      }
    }
    if (ev.kind === 'action')
      return { update: { message: `Approved by @${ev.payload.user_name} (${String(ev.context.ticket)})` } }
    if (ev.kind === 'webhook') {
      hookSeen(ev)
      return { text: `building ${ev.payload.text.split(' ')[1] ?? ''}` }
    }
    return undefined
  },
})

async function api<T>(path: string, token: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(`${emu.url}/api/v4${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  return { status: res.status, body: (await res.json()) as T }
}
type PostList = { order: string[]; posts: Record<string, { message: string; user_id: string }> }
const messagesSeenByAlice = async (): Promise<string[]> => {
  const { body } = await api<PostList>(
    `/channels/${emu.seed.channels.townSquare.id}/posts`,
    emu.seed.users.alice.token,
  )
  return body.order.map(id => body.posts[id]!.message)
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0 })
  server = await receiver.listen(0)
  const { admin } = emu.seed.users
  const created = await api<{ token: string }>('/commands', admin.token, {
    method: 'POST',
    body: {
      team_id: emu.seed.team.id,
      trigger: 'deploy',
      url: receiver.urls(server.url).command,
      method: 'P',
    },
  })
  expect(created.status).toBe(201)
  commandTokens.push(created.body.token) // learned from Mattermost, as the bot does
})
afterAll(async () => {
  await server?.close()
  await emu?.stop()
})

describe('receiver ↔ emulator', () => {
  it('a slash command run by alice reaches the handler and its in_channel answer is posted', async () => {
    const res = await api<{ text: string }>('/commands/execute', emu.seed.users.alice.token, {
      method: 'POST',
      body: { channel_id: emu.seed.channels.townSquare.id, command: '/deploy prod' },
    })
    expect(res.status).toBe(200)
    const ev = events.at(-1)
    expect(ev?.kind).toBe('command')
    expect(ev?.kind === 'command' && ev.payload).toMatchObject({
      command: '/deploy',
      text: 'prod',
      user_name: 'alice',
    })
    expect(await messagesSeenByAlice()).toContain('deploying prod for @alice')
  })

  it('a slow command is acked empty (no error for alice) and answers later through response_url', async () => {
    const res = await api<Record<string, unknown>>('/commands/execute', emu.seed.users.alice.token, {
      method: 'POST',
      body: { channel_id: emu.seed.channels.townSquare.id, command: '/deploy later' },
    })
    expect(res.status).toBe(200) // answered while the handler waits on the gate
    expect(await messagesSeenByAlice()).not.toContain('deploy finished')
    openGate()
    await lateDone
    expect(await messagesSeenByAlice()).toContain('deploy finished')
  })

  it('when the token does not match, the command fails for alice and the handler never runs', async () => {
    const saved = commandTokens.splice(0)
    const before = events.length
    try {
      const res = await api<{ id: string }>('/commands/execute', emu.seed.users.alice.token, {
        method: 'POST',
        body: { channel_id: emu.seed.channels.townSquare.id, command: '/deploy prod' },
      })
      expect(res.status).toBe(500)
      expect(res.body.id).toBe('api.command.execute_command.failed_resp.app_error')
      expect(events.length).toBe(before)
    } finally {
      commandTokens.push(...saved)
    }
  })

  it('a button click by alice is verified and the post update is what alice then sees', async () => {
    const { admin, alice } = emu.seed.users
    const post = await api<{ id: string }>('/posts', admin.token, {
      method: 'POST',
      body: {
        channel_id: emu.seed.channels.townSquare.id,
        message: 'Approve ticket?',
        props: {
          attachments: [
            {
              text: 'ticket 42',
              actions: [
                {
                  id: 'approve',
                  type: 'button',
                  name: 'Approve',
                  integration: {
                    url: receiver.urls(server.url).action,
                    context: { _mk: signActionContext('ticket', { ticket: 42 }, SECRET) },
                  },
                },
              ],
            },
          ],
        },
      },
    })
    expect(post.status).toBe(201)
    const click = await api<{ status: string }>(`/posts/${post.body.id}/actions/approve`, alice.token, {
      method: 'POST',
      body: {},
    })
    expect(click.status).toBe(200)
    const seen = await api<{ message: string }>(`/posts/${post.body.id}`, alice.token)
    expect(seen.body.message).toBe('Approved by @alice (42)')
  })

  it('a forged button context makes the click fail for alice and leaves the post unchanged', async () => {
    const { admin, alice } = emu.seed.users
    const post = await api<{ id: string }>('/posts', admin.token, {
      method: 'POST',
      body: {
        channel_id: emu.seed.channels.townSquare.id,
        message: 'Untouched',
        props: {
          attachments: [
            {
              actions: [
                {
                  id: 'forged',
                  type: 'button',
                  name: 'Go',
                  integration: {
                    url: receiver.urls(server.url).action,
                    context: { _mk: signActionContext('ticket', { ticket: 1 }, 'not-the-right-secret-000') },
                  },
                },
              ],
            },
          ],
        },
      },
    })
    const click = await api<{ id: string }>(`/posts/${post.body.id}/actions/forged`, alice.token, {
      method: 'POST',
      body: {},
    })
    expect(click.status).toBe(400)
    expect(click.body.id).toBe('api.post.do_action.action_integration.app_error')
    expect((await api<{ message: string }>(`/posts/${post.body.id}`, alice.token)).body.message).toBe(
      'Untouched',
    )
  })

  it('an outgoing webhook (JSON) fired by alice’s post is token-checked and its reply is posted', async () => {
    const { admin, alice } = emu.seed.users
    const hook = await api<{ token: string }>('/hooks/outgoing', admin.token, {
      method: 'POST',
      body: {
        team_id: emu.seed.team.id,
        channel_id: emu.seed.channels.townSquare.id,
        trigger_words: ['build'],
        callback_urls: [receiver.urls(server.url).webhook],
        content_type: 'application/json',
      },
    })
    expect(hook.status).toBe(201)
    webhookTokens.push(hook.body.token)
    const seen = new Promise<ReceiverEvent>(r => (hookSeen = r))
    await api('/posts', alice.token, {
      method: 'POST',
      body: { channel_id: emu.seed.channels.townSquare.id, message: 'build main' },
    })
    const ev = await seen
    expect(ev.kind === 'webhook' && ev.payload).toMatchObject({ trigger_word: 'build', user_name: 'alice' })
    // The reply post is created after our HTTP answer; wait for it (bounded).
    let messages: string[] = []
    for (let i = 0; i < 50 && !messages.includes('building main'); i++) {
      messages = await messagesSeenByAlice()
      if (!messages.includes('building main')) await new Promise(r => setTimeout(r, 20))
    }
    expect(messages).toContain('building main')
  })
})
