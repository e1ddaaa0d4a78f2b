/**
 * The endpoints a bot reaches for beyond posting: accounts, autocomplete, channel listing and
 * search, collapsed-reply threads, edit history, reactions and `set_online`, against the
 * emulator over loopback, with the server's denials.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BadRequestError } from '../../src/client/errors.js'
import { type Emulator, startEmulator } from '../../src/emulator/index.js'
import { Client, ForbiddenError, isEvent, NotFoundError, type RealtimeEvent } from '../../src/index.js'

let emu: Emulator
let admin: Client
let alice: Client
let bob: Client
let bot: Client
let team: string
let town: string
beforeAll(async () => {
  emu = await startEmulator()
  const u = emu.seed.users
  admin = new Client({ url: emu.url, token: u.admin.token })
  alice = new Client({ url: emu.url, token: u.alice.token })
  bob = new Client({ url: emu.url, token: u.bob.token })
  bot = new Client({ url: emu.url, token: u.bot.token })
  team = emu.seed.team.id
  town = emu.seed.channels.townSquare.id
})
afterAll(async () => {
  for (const c of [admin, alice, bob, bot]) await c?.close()
  await emu?.stop()
})

describe('users', () => {
  it('create: an admin makes an account that can log in; a member may not', async () => {
    const carol = await admin.users.create({
      username: 'carol',
      email: 'carol@example.com',
      password: 'carol-password-1',
    })
    expect(carol).toMatchObject({ username: 'carol', email: 'carol@example.com' })
    expect(carol).not.toHaveProperty('password')
    await expect(
      alice.users.create({ username: 'mallory', email: 'm@example.com', password: 'password-123' }),
    ).rejects.toBeInstanceOf(ForbiddenError)
    await expect(
      admin.users.create({ username: 'carol', email: 'c2@example.com', password: 'password-123' }),
    ).rejects.toMatchObject({
      serverId: 'app.user.save.username_exists.app_error',
    })
  })
  it('autocomplete matches prefixes; in a channel, the rest of the team comes as out_of_channel', async () => {
    const { users } = await alice.users.autocomplete('@al', { inTeam: team })
    expect(users.map(u => u.username)).toEqual(['alice'])
    const room = emu.createChannel({ name: 'ac-room', members: [emu.seed.users.alice.id] })
    const r = await alice.users.autocomplete('', { inTeam: team, inChannel: room.id })
    expect(r.users.map(u => u.username)).toEqual(['alice'])
    expect(r.out_of_channel?.map(u => u.username)).toContain('bob')
    await expect(bob.users.autocomplete('a', { inChannel: room.id })).rejects.toBeInstanceOf(ForbiddenError)
  })
})

describe('channels', () => {
  it('forTeam pages the open channels; search finds by name or display name', async () => {
    emu.createChannel({ name: 'deploy-web', display_name: 'Web Deploys', members: [emu.seed.users.alice.id] })
    const page = await alice.channels.forTeam(team, { perPage: 200 })
    expect(page.map(c => c.name)).toEqual(expect.arrayContaining(['town-square', 'off-topic', 'deploy-web']))
    expect(page.every(c => c.type === 'O')).toBe(true)
    expect((await alice.channels.search(team, 'deploy')).map(c => c.name)).toEqual(['deploy-web'])
    expect((await alice.channels.search(team, 'web deploys')).map(c => c.name)).toEqual(['deploy-web'])
  })
})

describe('posts', () => {
  it('editHistory: earlier versions newest first, only for the author', async () => {
    const p = await alice.posts.create({ channel_id: town, message: 'v1' })
    await expect(alice.posts.editHistory(p.id)).rejects.toBeInstanceOf(NotFoundError)
    await alice.posts.update(p.id, { message: 'v2' })
    await alice.posts.update(p.id, { message: 'v3' })
    const history = await alice.posts.editHistory(p.id)
    expect(history.map(h => h.message)).toEqual(['v2', 'v1'])
    expect(history.every(h => h.original_id === p.id && h.id !== p.id && h.delete_at > 0)).toBe(true)
    expect((await alice.posts.get(p.id)).message).toBe('v3')
    await expect(bob.posts.editHistory(p.id)).rejects.toBeInstanceOf(ForbiddenError)
  })
  it('setOnline: false marks the posted event set_online=false', async () => {
    const rt = alice.realtime()
    const seen: RealtimeEvent[] = []
    rt.on('event', e => void seen.push(e))
    await rt.connect()
    try {
      const quiet = await bot.posts.create({ channel_id: town, message: 'quietly' }, { setOnline: false })
      const loud = await bot.posts.create({ channel_id: town, message: 'loudly' })
      const posted = async (id: string) => {
        for (let i = 0; i < 200; i++) {
          const ev = seen.find(e => isEvent(e, 'posted') && e.post.id === id)
          if (ev) return ev
          await new Promise(r => setTimeout(r, 10))
        }
        throw new Error(`no posted event for ${id}`)
      }
      expect((await posted(quiet.id)).data.set_online).toBe(false)
      expect((await posted(loud.id)).data.set_online).toBe(true)
    } finally {
      await rt.close()
    }
  })
})

describe('reactions', () => {
  it("remove takes one's own reaction away; another user's is forbidden", async () => {
    const p = await alice.posts.create({ channel_id: town, message: 'react to me' })
    await alice.reactions.add(p.id, 'tada')
    await expect(bob.reactions.remove(p.id, 'tada', emu.seed.users.alice.id)).rejects.toBeInstanceOf(
      ForbiddenError,
    )
    expect(await bob.reactions.list(p.id)).toHaveLength(1)
    await alice.reactions.remove(p.id, 'tada')
    expect(await bob.reactions.list(p.id)).toEqual([])
  })
})

describe('threads (collapsed reply threads)', () => {
  it('repliers and the root author follow; unread counts, mentions, read and unfollow', async () => {
    const root = await alice.posts.create({ channel_id: town, message: 'thread root' })
    await bob.posts.create({ channel_id: town, root_id: root.id, message: 'a reply for @alice' })
    const mine = await alice.threads.list(team)
    const t = mine.threads.find(x => x.id === root.id)
    expect(t).toMatchObject({ reply_count: 1, unread_replies: 1, unread_mentions: 1 })
    expect(t?.participants.map(u => u.username).sort()).toEqual(['alice', 'bob'])
    expect(mine.total_unread_threads).toBeGreaterThanOrEqual(1)
    // bob replied, so he follows and has read his own reply
    expect(await bob.threads.get(team, root.id)).toMatchObject({ unread_replies: 0 })
    const read = await alice.threads.markRead(team, root.id)
    expect(read).toMatchObject({ unread_replies: 0, unread_mentions: 0 })
    expect(
      (await alice.threads.list(team, { unread: true })).threads.find(x => x.id === root.id),
    ).toBeUndefined()
    await alice.threads.unfollow(team, root.id)
    expect((await alice.threads.list(team)).threads.find(x => x.id === root.id)).toBeUndefined()
    await alice.threads.follow(team, root.id)
    expect((await alice.threads.list(team)).threads.find(x => x.id === root.id)).toBeDefined()
  })
  it("another user's threads are forbidden; a thread you never joined is not found", async () => {
    const root = await alice.posts.create({ channel_id: town, message: 'private matter' })
    await alice.posts.create({ channel_id: town, root_id: root.id, message: 'self reply' })
    await expect(bob.threads.list(team, {}, emu.seed.users.alice.id)).rejects.toBeInstanceOf(ForbiddenError)
    await expect(bob.threads.get(team, root.id)).rejects.toBeInstanceOf(NotFoundError)
    await expect(bob.threads.markRead(team, 'x'.repeat(25))).rejects.toBeInstanceOf(BadRequestError)
  })
})

describe('with persist, edit history and thread memberships survive a restart', () => {
  for (const store of ['sqlite', 'journal'] as const)
    it(store, async () => {
      const { mkdtemp, rm } = await import('node:fs/promises')
      const { tmpdir } = await import('node:os')
      const { join } = await import('node:path')
      const dir = await mkdtemp(join(tmpdir(), 'mk-endpoints-'))
      let e = await startEmulator({ persist: dir, persistWith: store })
      try {
        let c = new Client({ url: e.url, token: e.seed.users.alice.token })
        const root = await c.posts.create({ channel_id: e.seed.channels.townSquare.id, message: 'before' })
        await c.posts.update(root.id, { message: 'after' })
        await c.posts.create({
          channel_id: e.seed.channels.townSquare.id,
          root_id: root.id,
          message: 'reply',
        })
        await c.close()
        await e.stop()
        e = await startEmulator({ persist: dir, persistWith: store })
        c = new Client({ url: e.url, token: e.seed.users.alice.token })
        expect((await c.posts.editHistory(root.id)).map(p => p.message)).toEqual(['before'])
        expect((await c.threads.get(e.seed.team.id, root.id)).reply_count).toBe(1)
        await c.close()
      } finally {
        await e.stop()
        await rm(dir, { recursive: true, force: true })
      }
    })
})
