// Post rules the AI kit leans on. ai_generated_by (app/post.go, FillInPostProps): only the poster
// or a bot may be named, the server adds ai_generated_by_username and drops an unknown user.
// PostEditTimeLimit (api4/post.go): message edits after the limit are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'

let emu: Emulator
const call = async (token: string, method: string, path: string, body: unknown) => {
  const res = await fetch(`${emu.url}/api/v4${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(async () => {
  await emu?.stop()
})

describe('ai_generated_by', () => {
  it('accepts the poster or a bot, names it, refuses another human, drops an unknown user', async () => {
    const { alice, bob, bot } = emu.seed.users
    const channel_id = emu.seed.channels.townSquare.id
    const post = (props: Record<string, unknown>) =>
      call(alice.token, 'POST', '/posts', { channel_id, message: 'hi', props })
    const own = await post({ ai_generated_by: alice.id })
    expect(own.status).toBe(201)
    expect((own.body.props as Record<string, unknown>).ai_generated_by_username).toBe(alice.username)
    const byBot = await post({ ai_generated_by: bot.id })
    expect((byBot.body.props as Record<string, unknown>).ai_generated_by_username).toBe(bot.username)
    const other = await post({ ai_generated_by: bob.id })
    expect(other).toMatchObject({
      status: 400,
      body: { id: 'api.post.fill_in_post_props.invalid_ai_generated_user.app_error' },
    })
    const unknown = await post({ ai_generated_by: 'x'.repeat(26) })
    expect(unknown.status).toBe(201)
    expect(unknown.body.props).not.toHaveProperty('ai_generated_by')
    // An edit is checked the same way.
    const edited = await call(alice.token, 'PUT', `/posts/${own.body.id}/patch`, {
      props: { ai_generated_by: bob.id },
    })
    expect(edited.status).toBe(400)
  })
})

describe('PostEditTimeLimit', () => {
  it('refuses a message edit after the limit (props-only edits pass); -1 is no limit', async () => {
    const { alice } = emu.seed.users
    const channel_id = emu.seed.channels.townSquare.id
    emu.config.PostEditTimeLimit = 60
    try {
      const p = await call(alice.token, 'POST', '/posts', { channel_id, message: 'v1' })
      expect((await call(alice.token, 'PUT', `/posts/${p.body.id}/patch`, { message: 'v2' })).status).toBe(
        200,
      )
      emu.faults.advanceClock(61_000)
      const late = await call(alice.token, 'PUT', `/posts/${p.body.id}/patch`, { message: 'v3' })
      expect(late).toMatchObject({
        status: 400,
        body: { id: 'api.post.update_post.permissions_time_limit.app_error' },
      })
      const full = await call(alice.token, 'PUT', `/posts/${p.body.id}`, { id: p.body.id, message: 'v3' })
      expect(full.status).toBe(400)
      const props = await call(alice.token, 'PUT', `/posts/${p.body.id}/patch`, { props: { x: '1' } })
      expect(props.status).toBe(200)
      emu.config.PostEditTimeLimit = -1
      expect((await call(alice.token, 'PUT', `/posts/${p.body.id}/patch`, { message: 'v3' })).status).toBe(
        200,
      )
    } finally {
      emu.config.PostEditTimeLimit = -1
    }
  })
})
