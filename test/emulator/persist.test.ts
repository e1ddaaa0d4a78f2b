import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../../src/emulator/index.js'
import { api } from './helpers.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const FILES = { sqlite: 'state.sqlite', journal: 'state.journal' } as const

describe.each(['sqlite', 'journal'] as const)('persist with %s', using => {
  const dir = mkdtempSync(join(tmpdir(), `mk-emu-persist-${using}-`))
  dirs.push(dir)
  const start = () => startEmulator({ persist: dir, persistWith: using })

  it('state survives a restart: seed, tokens, users, channels, posts, reactions, files, prefs', async () => {
    const first = await start()
    const seed = first.seed
    const carol = first.createUser({ username: 'carol', password: 'carol-password-1' })
    const ch = await api(first, seed.users.alice.token, 'POST', '/api/v4/channels', {
      team_id: seed.team.id,
      name: 'kept',
      display_name: 'Kept',
      type: 'P',
    })
    const root = await api(first, seed.users.alice.token, 'POST', '/api/v4/posts', {
      channel_id: ch.body.id,
      message: 'root',
    })
    const up = await api(
      first,
      seed.users.alice.token,
      'POST',
      `/api/v4/files?channel_id=${ch.body.id}&filename=a.txt`,
      'file bytes',
    )
    const fid = up.body.file_infos[0].id
    // root and reply in different milliseconds: posts sharing one have no stored order
    await new Promise(r => setTimeout(r, 2))
    const reply = await api(first, seed.users.alice.token, 'POST', '/api/v4/posts', {
      channel_id: ch.body.id,
      message: 'reply',
      root_id: root.body.id,
      file_ids: [fid],
    })
    await api(first, seed.users.alice.token, 'PUT', `/api/v4/posts/${root.body.id}/patch`, {
      message: 'root v2',
    })
    await api(first, seed.users.alice.token, 'POST', '/api/v4/reactions', {
      user_id: seed.users.alice.id,
      post_id: root.body.id,
      emoji_name: 'ok',
    })
    await api(first, seed.users.alice.token, 'PUT', '/api/v4/users/me/preferences', [
      { user_id: seed.users.alice.id, category: 'c', name: 'n', value: 'v' },
    ])
    await api(first, seed.users.bob.token, 'POST', '/api/v4/users/login', { login_id: 'bob', password: 'x' })
    await first.stop()
    // exactly the store asked for (better-sqlite3 is a devDependency, so both stores run here)
    expect(existsSync(join(dir, FILES[using]))).toBe(true)
    expect(existsSync(join(dir, FILES[using === 'sqlite' ? 'journal' : 'sqlite']))).toBe(false)

    const second = await start()
    try {
      expect(second.seed).toEqual(seed)
      const tok = seed.users.alice.token
      expect((await api(second, tok, 'GET', '/api/v4/users/me')).body.username).toBe('alice')
      expect((await api(second, carol.token, 'GET', '/api/v4/users/me')).body.username).toBe('carol')
      const login = await api(second, undefined, 'POST', '/api/v4/users/login', {
        login_id: 'carol',
        password: 'carol-password-1',
      })
      expect(login.status).toBe(200)
      const kept = await api(second, tok, 'GET', `/api/v4/teams/${seed.team.id}/channels/name/kept`)
      expect(kept.body.id).toBe(ch.body.id)
      expect((await api(second, seed.users.bob.token, 'GET', `/api/v4/channels/${ch.body.id}`)).status).toBe(
        403,
      )
      const posts = await api(second, tok, 'GET', `/api/v4/channels/${ch.body.id}/posts`)
      expect(posts.body.order).toEqual([reply.body.id, root.body.id])
      expect(posts.body.posts[root.body.id]).toMatchObject({
        message: 'root v2',
        reply_count: 1,
        has_reactions: true,
      })
      expect((await api(second, tok, 'GET', `/api/v4/posts/${root.body.id}/reactions`)).body).toHaveLength(1)
      const file = await fetch(`${second.url}/api/v4/files/${fid}`, {
        headers: { Authorization: `Bearer ${tok}` },
      })
      expect(await file.text()).toBe('file bytes')
      expect((await api(second, tok, 'GET', '/api/v4/users/me/preferences')).body).toContainEqual({
        user_id: seed.users.alice.id,
        category: 'c',
        name: 'n',
        value: 'v',
      })
      // new writes keep going to the same store
      const more = await api(second, tok, 'POST', '/api/v4/posts', {
        channel_id: ch.body.id,
        message: 'third',
      })
      expect(more.status).toBe(201)
    } finally {
      await second.stop()
    }
    const third = await start()
    try {
      const posts = await api(third, seed.users.alice.token, 'GET', `/api/v4/channels/${ch.body.id}/posts`)
      expect(posts.body.order).toHaveLength(3)
    } finally {
      await third.stop()
    }
  })
})

describe('persistWith', () => {
  it("'auto' uses SQLite when better-sqlite3 loads", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk-emu-persist-auto-'))
    dirs.push(dir)
    const emu = await startEmulator({ persist: dir })
    await emu.stop()
    expect(existsSync(join(dir, FILES.sqlite))).toBe(true)
  })
})
