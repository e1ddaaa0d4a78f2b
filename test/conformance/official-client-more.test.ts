// More of the official @mattermost/client against the emulator: outgoing webhook update, bots,
// access tokens, preferences, pins, archive/restore, ping, webhook counts, webhook deletion. Each
// reply is typed with @mattermost/types; the last block checks reply shapes against those types.
import type { Bot } from '@mattermost/types/bots'
import type { ServerChannel } from '@mattermost/types/channels'
import type { FileInfo } from '@mattermost/types/files'
import type {
  Command,
  IncomingWebhook,
  IncomingWebhooksWithCount,
  OutgoingWebhook,
} from '@mattermost/types/integrations'
import type { Post, PostList } from '@mattermost/types/posts'
import type { PreferenceType } from '@mattermost/types/preferences'
import type { UserAccessToken, UserProfile } from '@mattermost/types/users'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { officialClients } from './setup.js'

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator({
    config: { EnableBotAccountCreation: true, EnableOnlyAdminIntegrations: false },
  })
})
afterAll(() => emu.stop())
const { client } = officialClients(() => emu)

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

describe('webhook deletion through Client4', () => {
  it('removeIncomingWebhook: later GET and DELETE are 404 app.webhooks.get_incoming.app_error; the hook stops posting', async () => {
    const c = client(emu.seed.users.alice.token)
    const hook = await c.createIncomingWebhook({
      channel_id: emu.seed.channels.offTopic.id,
      display_name: 'doomed',
    } as never)
    expect((await c.getIncomingWebhook(hook.id)).display_name).toBe('doomed')
    expect(await c.removeIncomingWebhook(hook.id)).toEqual({ status: 'OK' })
    const gone = { status_code: 404, server_error_id: 'app.webhooks.get_incoming.app_error' }
    await expect(c.getIncomingWebhook(hook.id)).rejects.toMatchObject(gone)
    await expect(c.removeIncomingWebhook(hook.id)).rejects.toMatchObject(gone)
    const listed = (await c.getIncomingWebhooks(emu.seed.team.id, 0, 200)) as Array<{ id: string }>
    expect(listed.map(h => h.id)).not.toContain(hook.id)
    // HandleIncomingWebhook: a deleted hook is an invalid one (400)
    const r = await fetch(`${emu.url}/hooks/${hook.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'after delete' }),
    })
    expect(r.status).toBe(400)
    expect(((await r.json()) as { id: string }).id).toBe('web.incoming_webhook.invalid.app_error')
  })

  it('removeOutgoingWebhook: later GET, regen and DELETE are 404 app.webhooks.get_outgoing.app_error', async () => {
    const c = client(emu.seed.users.alice.token)
    const hook = await c.createOutgoingWebhook({
      team_id: emu.seed.team.id,
      channel_id: emu.seed.channels.offTopic.id,
      trigger_words: ['doomed'],
      callback_urls: ['http://127.0.0.1:9/doomed'],
    } as OutgoingWebhook)
    expect((await c.getOutgoingWebhook(hook.id)).trigger_words).toEqual(['doomed'])
    expect(await c.removeOutgoingWebhook(hook.id)).toEqual({ status: 'OK' })
    const gone = { status_code: 404, server_error_id: 'app.webhooks.get_outgoing.app_error' }
    await expect(c.getOutgoingWebhook(hook.id)).rejects.toMatchObject(gone)
    await expect(c.regenOutgoingHookToken(hook.id)).rejects.toMatchObject(gone)
    await expect(c.removeOutgoingWebhook(hook.id)).rejects.toMatchObject(gone)
    const listed = await c.getOutgoingWebhooks(emu.seed.channels.offTopic.id)
    expect(listed.map(h => h.id)).not.toContain(hook.id)
  })
})

// Runtime shape checks against the @mattermost/types declarations. Each spec lists every key the
// type declares (the mapped type makes tsc fail when @mattermost/types adds or renames one) with
// its JSON kinds and whether a response must carry it. A key the declaration marks required is
// 'opt' only where the real server omits it (`omitempty` in server/public/model/*.go) — noted.
// `extra` lists keys the real server sends that the declaration does not know.
type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'null' | 'any'
type Field = [kinds: Kind | Kind[], presence: 'req' | 'opt']
type Spec<T> = { [K in keyof Required<T>]: Field }
interface ShapeOf<T> {
  fields: Spec<T>
  extra?: Record<string, Kind | Kind[]>
}

function kindOf(v: unknown): Kind {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v as Kind
}

/** What is wrong with `value` as a `T`: missing keys, wrong kinds, keys nobody declares. */
function shapeProblems<T>(value: unknown, shape: ShapeOf<T>): string[] {
  if (kindOf(value) !== 'object') return [`not an object but ${kindOf(value)}`]
  const obj = value as Record<string, unknown>
  const fields = shape.fields as Record<string, Field>
  const problems: string[] = []
  const check = (k: string, want: Kind | Kind[]): void => {
    const kinds = Array.isArray(want) ? want : [want]
    if (!kinds.includes('any') && !kinds.includes(kindOf(obj[k])))
      problems.push(`${k}: ${kindOf(obj[k])}, want ${kinds.join('|')}`)
  }
  for (const [k, [kinds, presence]] of Object.entries(fields)) {
    if (k in obj) check(k, kinds)
    else if (presence === 'req') problems.push(`missing ${k}`)
  }
  for (const k of Object.keys(obj)) {
    if (k in fields) continue
    const extra = shape.extra?.[k]
    if (extra) check(k, extra)
    else problems.push(`undeclared ${k}`)
  }
  return problems
}

const S = 'string'
const N = 'number'
const B = 'boolean'
const O = 'object'

const USER: ShapeOf<UserProfile> = {
  fields: {
    id: [S, 'req'],
    create_at: [N, 'req'],
    update_at: [N, 'req'],
    delete_at: [N, 'req'],
    username: [S, 'req'],
    password: [S, 'opt'], // omitempty; sanitized away
    auth_data: [S, 'opt'],
    auth_service: [S, 'req'],
    email: [S, 'req'],
    nickname: [S, 'req'],
    first_name: [S, 'req'],
    last_name: [S, 'req'],
    position: [S, 'req'],
    roles: [S, 'req'],
    props: [O, 'opt'], // omitempty
    notify_props: [O, 'opt'], // omitempty
    last_password_update: [N, 'opt'], // omitempty
    last_picture_update: [N, 'opt'], // omitempty
    locale: [S, 'req'],
    timezone: [O, 'req'], // optional in the types, but the server always sends it
    mfa_active: [B, 'opt'], // omitempty
    last_activity_at: [N, 'opt'], // omitempty
    is_bot: [B, 'opt'], // omitempty
    bot_description: [S, 'opt'], // omitempty
    terms_of_service_id: [S, 'opt'], // omitempty
    terms_of_service_create_at: [N, 'opt'], // omitempty
    remote_id: [S, 'opt'],
    status: [S, 'opt'],
    custom_profile_attributes: [O, 'opt'],
    failed_attempts: [N, 'opt'],
  },
  extra: {
    disable_welcome_email: B,
    email_verified: B,
    allow_marketing: B,
    bot_last_icon_update: N,
    last_login: N,
  },
}

const CHANNEL: ShapeOf<ServerChannel> = {
  fields: {
    id: [S, 'req'],
    create_at: [N, 'req'],
    update_at: [N, 'req'],
    delete_at: [N, 'req'],
    team_id: [S, 'req'],
    type: [S, 'req'],
    display_name: [S, 'req'],
    name: [S, 'req'],
    header: [S, 'req'],
    purpose: [S, 'req'],
    last_post_at: [N, 'req'],
    last_root_post_at: [N, 'req'],
    creator_id: [S, 'req'],
    scheme_id: [[S, 'null'], 'req'], // *string on the server: null when unset
    teammate_id: [S, 'opt'],
    status: [S, 'opt'],
    group_constrained: [[B, 'null'], 'req'], // *bool on the server
    shared: [[B, 'null'], 'opt'],
    props: [[O, 'null'], 'opt'],
    policy_id: [[S, 'null'], 'opt'],
    banner_info: [[O, 'null'], 'opt'],
    policy_enforced: [B, 'opt'],
    policy_actions: [O, 'opt'],
    policy_is_active: [B, 'opt'],
    default_category_name: [S, 'opt'],
    managed_category_name: [S, 'opt'],
    autotranslation: [B, 'opt'],
    discoverable: [B, 'opt'],
    total_msg_count: [N, 'req'],
    total_msg_count_root: [N, 'req'],
  },
  extra: { extra_update_at: N },
}

const POST: ShapeOf<Post> = {
  fields: {
    id: [S, 'req'],
    create_at: [N, 'req'],
    update_at: [N, 'req'],
    edit_at: [N, 'req'],
    delete_at: [N, 'req'],
    is_pinned: [B, 'req'],
    user_id: [S, 'req'],
    channel_id: [S, 'req'],
    root_id: [S, 'req'],
    original_id: [S, 'req'],
    message: [S, 'req'],
    type: [S, 'req'],
    props: [O, 'req'],
    hashtags: [S, 'req'],
    pending_post_id: [S, 'req'],
    reply_count: [N, 'req'],
    file_ids: ['array', 'opt'],
    metadata: [O, 'req'],
    failed: [B, 'opt'],
    user_activity_posts: ['array', 'opt'],
    state: [S, 'opt'],
    filenames: ['array', 'opt'],
    last_reply_at: [N, 'opt'],
    participants: ['any', 'opt'],
    message_source: [S, 'opt'],
    is_following: [B, 'opt'],
    exists: [B, 'opt'],
    remote_id: [S, 'opt'],
  },
  extra: { has_reactions: B },
}

const POST_LIST: ShapeOf<PostList> = {
  fields: {
    order: ['array', 'req'],
    posts: [O, 'req'],
    next_post_id: [S, 'req'],
    prev_post_id: [S, 'req'],
    first_inaccessible_post_time: [N, 'req'],
  },
  extra: { has_next: B, next_cursor: S },
}

const FILE_INFO: ShapeOf<FileInfo> = {
  fields: {
    id: [S, 'req'],
    user_id: [S, 'req'],
    channel_id: [S, 'req'],
    create_at: [N, 'req'],
    update_at: [N, 'req'],
    delete_at: [N, 'req'],
    name: [S, 'req'],
    extension: [S, 'req'],
    size: [N, 'req'],
    mime_type: [S, 'req'],
    width: [N, 'opt'], // omitempty
    height: [N, 'opt'], // omitempty
    has_preview_image: [B, 'opt'], // omitempty
    clientId: [S, 'opt'], // a web-app field; the server's FileInfo has no such key
    post_id: [S, 'opt'],
    mini_preview: [[S, 'null'], 'opt'], // *[]byte on the server: base64 or null
    archived: [B, 'req'],
    link: [S, 'opt'],
  },
  extra: { remote_id: [S, 'null'], extra_info: S },
}

const COMMAND: ShapeOf<Command> = {
  fields: {
    id: [S, 'req'],
    token: [S, 'req'],
    create_at: [N, 'req'],
    update_at: [N, 'req'],
    delete_at: [N, 'req'],
    creator_id: [S, 'req'],
    team_id: [S, 'req'],
    trigger: [S, 'req'],
    method: [S, 'req'],
    username: [S, 'req'],
    icon_url: [S, 'req'],
    auto_complete: [B, 'req'],
    auto_complete_desc: [S, 'req'],
    auto_complete_hint: [S, 'req'],
    display_name: [S, 'req'],
    description: [S, 'req'],
    url: [S, 'req'],
  },
  extra: { plugin_id: S, autocomplete_data: O, autocomplete_icon_data: S },
}

const INCOMING: ShapeOf<IncomingWebhook> = {
  fields: {
    id: [S, 'req'],
    create_at: [N, 'req'],
    update_at: [N, 'req'],
    delete_at: [N, 'req'],
    last_used: [N, 'opt'], // declared, but the server's IncomingWebhook has no such field
    user_id: [S, 'req'],
    channel_id: [S, 'req'],
    team_id: [S, 'req'],
    display_name: [S, 'req'],
    description: [S, 'req'],
    username: [S, 'req'],
    icon_url: [S, 'req'],
    channel_locked: [B, 'req'],
  },
  extra: { webhook_schema_translation: [O, 'null'] },
}

describe('responses have the shapes @mattermost/types declares', () => {
  it('the checker itself reports missing, mistyped and undeclared keys', () => {
    const shape: ShapeOf<{ a: string; b?: number }> = { fields: { a: [S, 'req'], b: [N, 'opt'] } }
    expect(shapeProblems({ a: 'x' }, shape)).toEqual([])
    expect(shapeProblems({ b: '1', c: true }, shape)).toEqual([
      'missing a',
      'b: string, want number',
      'undeclared c',
    ])
    expect(shapeProblems([], shape)).toEqual(['not an object but array'])
  })

  it('User (UserProfile): me, another user, a bot', async () => {
    const c = client(emu.seed.users.alice.token)
    const me = await c.getMe()
    expect(shapeProblems(me, USER)).toEqual([])
    expect(me).toMatchObject({ id: emu.seed.users.alice.id, username: 'alice', delete_at: 0 })
    expect(me).not.toHaveProperty('password')
    expect(shapeProblems(await c.getUser(emu.seed.users.bob.id), USER)).toEqual([])
    const bot = await c.getUser(emu.seed.users.bot.id)
    expect(shapeProblems(bot, USER)).toEqual([])
    expect(bot.is_bot).toBe(true)
  })

  // The real model.Channel always sends total_msg_count_root (no omitempty, model/channel.go).
  it('Channel (ServerChannel): open, private, DM', async () => {
    const c = client(emu.seed.users.alice.token)
    const open = await c.getChannel(emu.seed.channels.townSquare.id)
    expect(shapeProblems(open, CHANNEL)).toEqual([])
    expect(open.type).toBe('O')
    expect(shapeProblems(await c.getChannel(emu.seed.channels.privateRoom.id), CHANNEL)).toEqual([])
    const dm = await c.createDirectChannel([emu.seed.users.alice.id, emu.seed.users.bob.id])
    expect(shapeProblems(dm, CHANNEL)).toEqual([])
    expect(dm.type).toBe('D')
  })

  it('Post: created, with a file, and as returned by getPost', async () => {
    const c = client(emu.seed.users.alice.token)
    const form = new FormData()
    form.append('channel_id', emu.seed.channels.offTopic.id)
    form.append('files', new Blob([Buffer.from('shape')]), 'shape.txt')
    const up = await c.uploadFile(form)
    const created = await c.createPost({
      channel_id: emu.seed.channels.offTopic.id,
      message: 'shape check',
      file_ids: [up.file_infos[0]!.id],
    } as Post)
    expect(shapeProblems(created, POST)).toEqual([])
    expect(created.file_ids).toEqual([up.file_infos[0]!.id])
    const got = await c.getPost(created.id)
    expect(shapeProblems(got, POST)).toEqual([])
    expect(got.message).toBe('shape check')
  })

  // The real model.PostList always sends first_inaccessible_post_time (model/post_list.go).
  it('PostList: channel posts and a thread', async () => {
    const c = client(emu.seed.users.alice.token)
    const list = await c.getPosts(emu.seed.channels.offTopic.id)
    expect(shapeProblems(list, POST_LIST)).toEqual([])
    expect(list.first_inaccessible_post_time).toBe(0)
    const root = await c.createPost({ channel_id: emu.seed.channels.offTopic.id, message: 'root' } as Post)
    expect(shapeProblems(await c.getPostThread(root.id), POST_LIST)).toEqual([])
  })

  it('PostList: every post in it is a Post', async () => {
    const c = client(emu.seed.users.alice.token)
    await c.createPost({ channel_id: emu.seed.channels.offTopic.id, message: 'in a list' } as Post)
    const list = await c.getPosts(emu.seed.channels.offTopic.id)
    expect(shapeProblems(list, POST_LIST)).toEqual([])
    expect(list.order.length).toBeGreaterThan(0)
    expect(Object.keys(list.posts).sort()).toEqual([...list.order].sort())
    for (const p of Object.values(list.posts)) expect(shapeProblems(p, POST)).toEqual([])
  })

  it('FileInfo: upload reply and getFileInfosForPost', async () => {
    const c = client(emu.seed.users.alice.token)
    const form = new FormData()
    form.append('channel_id', emu.seed.channels.offTopic.id)
    form.append('files', new Blob([Buffer.from('twelve bytes')]), 'info.txt')
    const info = (await c.uploadFile(form)).file_infos[0]!
    expect(shapeProblems(info, FILE_INFO)).toEqual([])
    expect(info).toMatchObject({ name: 'info.txt', extension: 'txt', size: 12, mime_type: 'text/plain' })
    const post = await c.createPost({
      channel_id: emu.seed.channels.offTopic.id,
      message: 'file',
      file_ids: [info.id],
    } as Post)
    const infos = await c.getFileInfosForPost(post.id)
    expect(infos.map(i => i.id)).toEqual([info.id])
    expect(shapeProblems(infos[0], FILE_INFO)).toEqual([])
  })

  it('Command: create, edit and list replies', async () => {
    const c = client(emu.seed.users.admin.token)
    const cmd = await c.addCommand({
      team_id: emu.seed.team.id,
      trigger: 'shape-check',
      url: 'http://127.0.0.1:9/shape',
      method: 'G',
    } as Command)
    expect(shapeProblems(cmd, COMMAND)).toEqual([])
    expect(cmd.method).toBe('G')
    expect(shapeProblems(await c.editCommand({ ...cmd, display_name: 'Shape' }), COMMAND)).toEqual([])
    const listed = await c.getCustomTeamCommands(emu.seed.team.id)
    for (const x of listed) expect(shapeProblems(x, COMMAND)).toEqual([])
    await c.deleteCommand(cmd.id)
  })

  it('IncomingWebhook: create, get, update and list replies', async () => {
    const c = client(emu.seed.users.alice.token)
    const hook: IncomingWebhook = await c.createIncomingWebhook({
      channel_id: emu.seed.channels.townSquare.id,
      display_name: 'shape',
    } as IncomingWebhook)
    expect(shapeProblems(hook, INCOMING)).toEqual([])
    expect(hook.channel_locked).toBe(false)
    expect(shapeProblems(await c.getIncomingWebhook(hook.id), INCOMING)).toEqual([])
    const updated = await c.updateIncomingWebhook({ ...hook, channel_locked: true })
    expect(shapeProblems(updated, INCOMING)).toEqual([])
    expect(updated.channel_locked).toBe(true)
    const listed = (await c.getIncomingWebhooks(emu.seed.team.id, 0, 200)) as IncomingWebhook[]
    for (const h of listed) expect(shapeProblems(h, INCOMING)).toEqual([])
  })
})
