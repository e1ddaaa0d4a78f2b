// More of the official @mattermost/client against the emulator: outgoing webhook update, bots,
// access tokens, preferences, pins, archive/restore, ping, webhook counts. Each reply is typed
// with @mattermost/types and checked for the fields that type declares.
import { Client4 } from '@mattermost/client'
import type { Bot } from '@mattermost/types/bots'
import type { IncomingWebhooksWithCount, OutgoingWebhook } from '@mattermost/types/integrations'
import type { PostList } from '@mattermost/types/posts'
import type { PreferenceType } from '@mattermost/types/preferences'
import type { UserAccessToken } from '@mattermost/types/users'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator({ config: { EnableBotAccountCreation: true } })
})
afterAll(() => emu.stop())

function client(token: string): Client4 {
  const c = new Client4()
  c.setUrl(emu.url)
  c.setToken(token)
  return c
}

const OUTGOING_KEYS: Array<keyof OutgoingWebhook> = [
  'id',
  'token',
  'create_at',
  'update_at',
  'delete_at',
  'creator_id',
  'channel_id',
  'team_id',
  'trigger_words',
  'trigger_when',
  'callback_urls',
  'display_name',
  'description',
  'content_type',
  'username',
  'icon_url',
]

describe('Client4, continued', () => {
  it('outgoing webhooks: create, update, regen token, list by channel, errors as ClientError', async () => {
    const c = client(emu.seed.users.alice.token)
    const hook: OutgoingWebhook = await c.createOutgoingWebhook({
      team_id: emu.seed.team.id,
      channel_id: emu.seed.channels.townSquare.id,
      trigger_words: ['deploy'],
      callback_urls: ['http://127.0.0.1:9/out'],
    } as OutgoingWebhook)
    expect(Object.keys(hook).sort()).toEqual([...OUTGOING_KEYS].sort())
    const updated = await c.updateOutgoingWebhook({ ...hook, trigger_words: ['ship'], display_name: 'Ship' })
    expect(updated).toMatchObject({
      id: hook.id,
      token: hook.token,
      trigger_words: ['ship'],
      display_name: 'Ship',
    })
    const regen = await c.regenOutgoingHookToken(hook.id)
    expect(regen.token).not.toBe(hook.token)
    const list = await c.getOutgoingWebhooks(emu.seed.channels.townSquare.id)
    expect(list.map(h => h.id)).toContain(hook.id)
    await expect(
      c.updateOutgoingWebhook({ ...hook, channel_id: emu.seed.channels.privateRoom.id }),
    ).rejects.toMatchObject({
      status_code: 403,
      server_error_id: 'api.webhook.create_outgoing.not_open.app_error',
    })
  })

  it('incoming webhooks with a total count', async () => {
    const c = client(emu.seed.users.alice.token)
    await c.createIncomingWebhook({ channel_id: emu.seed.channels.townSquare.id } as never)
    const counted = (await c.getIncomingWebhooks(emu.seed.team.id, 0, 60, true)) as IncomingWebhooksWithCount
    expect(counted.total_count).toBeGreaterThanOrEqual(1)
    expect(Array.isArray(counted.incoming_webhooks)).toBe(true)
  })

  it('bots: create, patch, list, disable, enable, assign', async () => {
    const c = client(emu.seed.users.admin.token)
    const bot: Bot = await c.createBot({ username: 'helper-bot', display_name: 'Helper' })
    expect(bot).toMatchObject({
      username: 'helper-bot',
      display_name: 'Helper',
      owner_id: emu.seed.users.admin.id,
    })
    expect(typeof bot.create_at).toBe('number')
    const patched = await c.patchBot(bot.user_id, { description: 'helps' })
    expect(patched.description).toBe('helps')
    expect((await c.getBots()).map(b => b.user_id)).toContain(bot.user_id)
    expect((await c.disableBot(bot.user_id)).delete_at).toBeGreaterThan(0)
    expect((await c.enableBot(bot.user_id)).delete_at).toBe(0)
    const assigned = await c.assignBot(bot.user_id, emu.seed.users.alice.id)
    expect(assigned.owner_id).toBe(emu.seed.users.alice.id)
  })

  it('access tokens: the secret only on create; it works as a Bearer token; revoke', async () => {
    const admin = client(emu.seed.users.admin.token)
    const bot = await admin.createBot({ username: 'token-bot' })
    const created: UserAccessToken = await admin.createUserAccessToken(bot.user_id, 'ci token')
    expect(created.token).toMatch(/^[a-z0-9]{26}$/)
    const asBot = client(created.token!)
    expect((await asBot.getMe()).id).toBe(bot.user_id)
    const listed = await admin.getUserAccessTokensForUser(bot.user_id)
    expect(listed[0]).not.toHaveProperty('token')
    expect((await admin.getUserAccessTokens()).length).toBeGreaterThan(0)
    await admin.revokeUserAccessToken(created.id)
    await expect(asBot.getMe()).rejects.toMatchObject({ status_code: 401 })
  })

  it('preferences: save, read, delete', async () => {
    const c = client(emu.seed.users.bob.token)
    const me = emu.seed.users.bob.id
    const pref: PreferenceType = {
      user_id: me,
      category: 'display_settings',
      name: 'use_military_time',
      value: 'true',
    }
    await c.savePreferences(me, [pref])
    expect(await c.getMyPreferences()).toContainEqual(pref)
    await c.deletePreferences(me, [pref])
    expect(await c.getMyPreferences()).not.toContainEqual(pref)
  })

  it('pin / unpin / pinned list; archive and unarchive a channel; ping with server status', async () => {
    const c = client(emu.seed.users.alice.token)
    const post = await c.createPost({
      channel_id: emu.seed.channels.offTopic.id,
      message: 'pin this',
    } as never)
    await c.pinPost(post.id)
    const pinned: PostList = await c.getPinnedPosts(emu.seed.channels.offTopic.id)
    expect(pinned.order).toEqual([post.id])
    expect(pinned.posts[post.id]!.is_pinned).toBe(true)
    await c.unpinPost(post.id)
    expect((await c.getPinnedPosts(emu.seed.channels.offTopic.id)).order).toEqual([])
    const ch = await c.createChannel({
      team_id: emu.seed.team.id,
      name: 'to-archive',
      display_name: 'T',
      type: 'O',
    } as never)
    await c.deleteChannel(ch.id)
    const restored = await c.unarchiveChannel(ch.id)
    expect(restored.delete_at).toBe(0)
    const ping = await c.ping(true)
    expect(ping).toMatchObject({ status: 'OK', database_status: 'OK', filestore_status: 'OK' })
  })
})
