// Slash commands, rule by rule: registration, the request to the command URL, the response.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Emulator } from '../../src/emulator/index.js'
import { api, MEMBER_INTEGRATIONS, Sock, startSeeded } from './helpers.js'
import { HookServer } from './hookserver.js'

let emu: Emulator
let hs: HookServer
let alice: string
let team: string
let town: string
beforeAll(async () => {
  ;({ emu, alice, team, town } = await startSeeded(MEMBER_INTEGRATIONS))
  hs = await HookServer.start()
})
afterAll(async () => {
  await emu.stop()
  await hs.stop()
})

let n = 0
async function command(method: 'P' | 'G' = 'P', extra: Record<string, unknown> = {}) {
  const trigger = `cmd${++n}`
  const r = await api(emu, alice, 'POST', '/api/v4/commands', {
    team_id: team,
    trigger,
    method,
    url: `${hs.url}/${trigger}`,
    ...extra,
  })
  expect(r.status).toBe(201)
  return r.body as { id: string; token: string; trigger: string }
}
const exec = (cmd: string, body: Record<string, unknown> = {}) =>
  api(emu, alice, 'POST', '/api/v4/commands/execute', { channel_id: town, command: cmd, ...body })

describe('registration', () => {
  it('201 with a 26-char token, trigger lowercased; each invalid field has its error id', async () => {
    const c = await command()
    expect(c.token).toMatch(/^[a-z0-9]{26}$/)
    const up = await api(emu, alice, 'POST', '/api/v4/commands', {
      team_id: team,
      trigger: 'UPPER',
      method: 'P',
      url: `${hs.url}/u`,
    })
    expect(up.body.trigger).toBe('upper')
    const bad = async (patch: Record<string, unknown>, id: string) => {
      const r = await api(emu, alice, 'POST', '/api/v4/commands', {
        team_id: team,
        trigger: `t${++n}`,
        method: 'P',
        url: `${hs.url}/x`,
        ...patch,
      })
      expect([r.status, r.body.id]).toEqual([400, id])
    }
    await bad({ trigger: '/slash' }, 'model.command.is_valid.trigger.app_error')
    await bad({ trigger: 'two words' }, 'model.command.is_valid.trigger.app_error')
    await bad({ url: 'ftp://x' }, 'model.command.is_valid.url.app_error')
    await bad({ method: 'X' }, 'model.command.is_valid.method.app_error')
    await bad({ display_name: 'd'.repeat(65) }, 'model.command.is_valid.display_name.app_error')
    await bad({ trigger: 'upper' }, 'api.command.duplicate_trigger.app_error')
  })

  it('PUT keeps id/token/creator/team, re-validates, rejects a clashing trigger; regen token; delete', async () => {
    const c = await command()
    const other = await command()
    const put = await api(emu, alice, 'PUT', `/api/v4/commands/${c.id}`, { ...c, description: 'new' })
    expect([put.status, put.body.description, put.body.token]).toEqual([200, 'new', c.token])
    const clash = await api(emu, alice, 'PUT', `/api/v4/commands/${c.id}`, { ...c, trigger: other.trigger })
    expect([clash.status, clash.body.id]).toEqual([400, 'api.command.duplicate_trigger.app_error'])
    const noId = await api(emu, alice, 'PUT', `/api/v4/commands/${c.id}`, { ...c, id: undefined })
    expect([noId.status, noId.body.id]).toEqual([400, 'api.context.invalid_param.app_error'])
    const noTeam = await api(emu, alice, 'PUT', `/api/v4/commands/${c.id}`, { ...c, team_id: undefined })
    expect([noTeam.status, noTeam.body.id]).toEqual([400, 'api.command.team_mismatch.app_error'])
    const regen = await api(emu, alice, 'PUT', `/api/v4/commands/${c.id}/regen_token`)
    expect(regen.body.token).toMatch(/^[a-z0-9]{26}$/)
    expect(regen.body.token).not.toBe(c.token)
    const byBob = await api(emu, emu.seed.users.bob.token, 'PUT', `/api/v4/commands/${c.id}/regen_token`)
    expect([byBob.status, byBob.body.id]).toEqual([403, 'api.context.permissions.app_error'])
    expect((await api(emu, alice, 'DELETE', `/api/v4/commands/${c.id}`)).body).toEqual({ status: 'OK' })
    expect((await api(emu, alice, 'GET', `/api/v4/commands/${c.id}`)).status).toBe(404)
  })

  it('list sanitizes commands the caller cannot manage; EnableCommands=false → 501', async () => {
    const c = await command()
    const list = await api(emu, emu.seed.users.bob.token, 'GET', `/api/v4/commands?team_id=${team}`)
    const seen = list.body.find((x: { id: string }) => x.id === c.id)
    expect(seen).toMatchObject({ token: '', url: '', creator_id: '' })
    emu.config.EnableCommands = false
    try {
      const r = await exec(`/${c.trigger}`)
      expect([r.status, r.body.id]).toEqual([501, 'api.command.disabled.app_error'])
    } finally {
      emu.config.EnableCommands = true
    }
  })
})

describe('execute', () => {
  it('POST form with every field and Authorization: Token; the command is lowercased, text untrimmed', async () => {
    const c = await command('P')
    hs.answers.set(`/${c.trigger}`, { body: { text: 'hi' } })
    const res = await exec(`/${c.trigger.toUpperCase()} some  text @bob ~off-topic`)
    expect(res.status).toBe(200)
    expect(res.body.trigger_id).toBeTruthy()
    const req = await hs.next(`/${c.trigger}`)
    expect(req.method).toBe('POST')
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(req.headers.authorization).toBe(`Token ${c.token}`)
    expect(req.headers.accept).toBe('application/json')
    const f = req.form
    expect(f.get('token')).toBe(c.token)
    expect(f.get('command')).toBe(`/${c.trigger}`)
    expect(f.get('text')).toBe('some  text @bob ~off-topic')
    expect(f.get('team_domain')).toBe(emu.seed.team.name)
    expect(f.get('channel_name')).toBe('town-square')
    expect(f.get('user_name')).toBe('alice')
    expect(f.get('response_url')).toMatch(/\/hooks\/commands\/[a-z0-9]{26}$/)
    expect(f.getAll('user_mentions_ids')).toEqual([emu.seed.users.bob.id])
    expect(f.getAll('channel_mentions_ids')).toEqual([emu.seed.channels.offTopic.id])
    expect(f.get('trigger_id')).toBe(res.body.trigger_id)
  })

  it('method G sends the same fields in the query string', async () => {
    const c = await command('G')
    await exec(`/${c.trigger} x`)
    const req = await hs.next(`/${c.trigger}`)
    expect(req.method).toBe('GET')
    expect(req.query.get('token')).toBe(c.token)
    expect(req.query.get('text')).toBe('x')
  })

  it('in_channel → a post by the invoker with from_webhook; ephemeral (default) → ephemeral_message only', async () => {
    const c = await command('P', { username: 'cmdname' })
    const ws = await Sock.open(emu, alice)
    hs.answers.set(`/${c.trigger}`, {
      body: { response_type: 'in_channel', text: 'public <http://a.b|link>' },
    })
    await exec(`/${c.trigger}`)
    const posted = await ws.event('posted', e => JSON.parse(e.data.post).message.startsWith('public'))
    const post = JSON.parse(posted.data.post)
    expect(post.user_id).toBe(emu.seed.users.alice.id)
    expect(post.message).toBe('public [link](http://a.b)')
    expect(post.props).toMatchObject({ from_webhook: 'true', override_username: 'cmdname' })
    hs.answers.set(`/${c.trigger}`, { body: { text: 'only you' } })
    await exec(`/${c.trigger}`)
    const eph = await ws.event('ephemeral_message')
    expect(JSON.parse(eph.data.post)).toMatchObject({ message: 'only you', type: 'system_ephemeral' })
    expect(eph.broadcast.user_id).toBe(emu.seed.users.alice.id)
    ws.close()
  })

  it('extra_responses each make their own post; a text/plain body is the text', async () => {
    const c = await command()
    const ws = await Sock.open(emu, alice)
    hs.answers.set(`/${c.trigger}`, {
      body: {
        response_type: 'in_channel',
        text: 'one',
        extra_responses: [{ response_type: 'in_channel', text: 'two' }],
      },
    })
    await exec(`/${c.trigger}`)
    await ws.event('posted', e => JSON.parse(e.data.post).message === 'two')
    hs.answers.set(`/${c.trigger}`, { body: 'plain words', type: 'text/plain' })
    const r = await exec(`/${c.trigger}`)
    expect(r.body.text).toBe('plain words')
    ws.close()
  })

  it('non-200 → 500 failed_resp; unknown trigger → 404; system_ type → 400; non-member → 403', async () => {
    const c = await command()
    hs.answers.set(`/${c.trigger}`, { status: 500, body: 'boom' })
    const r = await exec(`/${c.trigger}`)
    expect([r.status, r.body.id]).toEqual([500, 'api.command.execute_command.failed_resp.app_error'])
    const nf = await exec('/nosuchcommand')
    expect([nf.status, nf.body.id]).toEqual([404, 'api.command.execute_command.not_found.app_error'])
    hs.answers.set(`/${c.trigger}`, { body: { response_type: 'in_channel', text: 'x', type: 'system_join' } })
    const sys = await exec(`/${c.trigger}`)
    expect([sys.status, sys.body.id]).toEqual([400, 'api.context.invalid_param.app_error'])
    const priv = await api(emu, emu.seed.users.bob.token, 'POST', '/api/v4/commands/execute', {
      channel_id: emu.seed.channels.privateRoom.id,
      command: `/${c.trigger}`,
    })
    expect(priv.status).toBe(403)
  })

  it('in_channel command posts fire outgoing webhooks (triggerWebhooks = true)', async () => {
    const c = await command()
    const hook = await api(emu, alice, 'POST', '/api/v4/hooks/outgoing', {
      team_id: team,
      channel_id: town,
      trigger_words: ['cmdfired'],
      callback_urls: [`${hs.url}/out-from-cmd`],
    })
    expect(hook.status).toBe(201)
    hs.answers.set(`/${c.trigger}`, { body: { response_type: 'in_channel', text: 'cmdfired now' } })
    await exec(`/${c.trigger}`)
    const req = await hs.next('/out-from-cmd')
    expect(req.form.get('text')).toBe('cmdfired now')
  })
})

describe('response_url', () => {
  it('accepts 5 delayed responses (text/plain ok), then 400 try_use.invalid; unknown id → 404', async () => {
    const c = await command()
    await exec(`/${c.trigger}`)
    const url = (await hs.next(`/${c.trigger}`)).form.get('response_url')!
    const ws = await Sock.open(emu, alice)
    for (let i = 0; i < 5; i++) {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ response_type: 'in_channel', text: `late ${i}` }),
      })
      expect([r.status, r.headers.get('content-type'), await r.text()]).toEqual([200, 'text/plain', 'ok'])
    }
    await ws.event('posted', e => JSON.parse(e.data.post).message === 'late 4')
    const sixth = await fetch(url, { method: 'POST', body: 'again' })
    expect(sixth.status).toBe(400)
    expect(((await sixth.json()) as { id: string }).id).toBe('app.command_webhook.try_use.invalid')
    const unknown = await fetch(`${emu.url}/hooks/commands/${'a'.repeat(26)}`, { method: 'POST', body: 'x' })
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { id: string }).id).toBe('app.command_webhook.get.missing')
    ws.close()
  })
})

// Last in this file: the clock moved here stays moved for the emulator.
describe('expiries, with faults.advanceClock', () => {
  it('a response_url older than 30 min → 404 app.command_webhook.get.missing; a trigger id older than 30 s → 400 expired', async () => {
    const c = await command()
    await exec(`/${c.trigger}`)
    const form = (await hs.next(`/${c.trigger}`)).form
    const url = form.get('response_url')!
    const trigger = form.get('trigger_id')!
    const dialog = {
      callback_id: 'cb',
      title: 'T',
      elements: [{ display_name: 'N', name: 'n', type: 'text' }],
    }
    const open = (t: string) =>
      api(emu, undefined, 'POST', '/api/v4/actions/dialogs/open', {
        trigger_id: t,
        url: `${hs.url}/d`,
        dialog,
      })
    emu.faults.advanceClock(30_001)
    const late = await open(trigger)
    expect([late.status, late.body.id]).toEqual([400, 'interactive_message.decode_trigger_id.expired'])
    // still inside 30 minutes: the response_url works
    const ok = await fetch(url, { method: 'POST', body: 'still fine' })
    expect(ok.status).toBe(200)
    emu.faults.advanceClock(30 * 60_000)
    const gone = await fetch(url, { method: 'POST', body: 'too late' })
    expect(gone.status).toBe(404)
    expect(((await gone.json()) as { id: string }).id).toBe('app.command_webhook.get.missing')
  })
})
