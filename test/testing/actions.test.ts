// The harness drives a bot as a person would: slash commands, buttons, menus, dialogs, edits and
// the clock, against a real emulator and a real Bot over loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ArgumentError } from '../../src/core/errors.js'
import { attachment, Bot, field } from '../../src/index.js'
import { startTestServer, type TestServer, TestTimeoutError } from '../../src/testing/index.js'

let t: TestServer
let bot: Bot
beforeAll(async () => {
  t = await startTestServer()
  bot = new Bot({ url: t.url, token: t.botToken, threadReplies: false })
  bot.command('deploy', { args: [{ name: 'service' }] }, async ctx => {
    if (!ctx.params.service) {
      await ctx.openDialog(
        {
          callback_id: 'deploy',
          title: 'Deploy',
          elements: [field.text('service', 'Service'), field.select('env', 'Env', ['staging', 'prod'])],
          notify_on_cancel: true,
        },
        { from: 'slash' },
      )
      return undefined
    }
    await ctx.send(ctx.channelId, {
      message: `Deploy ${ctx.params.service}?`,
      props: {
        attachments: [
          attachment({
            text: 'Approve?',
            actions: [
              ctx.button('approve', 'Approve', { context: { service: ctx.params.service } }),
              ctx.menu('env', 'Environment', [
                { text: 'Staging', value: 'staging' },
                { text: 'Production', value: 'prod' },
              ]),
            ],
          }),
        ],
      },
    })
    return `Requested deploy of ${ctx.params.service}`
  })
  bot.action('approve', ctx =>
    ctx.update({ message: `Approved ${String(ctx.values.service)} by @${ctx.action.user_name}` }),
  )
  bot.action('env', ctx => ctx.send(ctx.channelId, `env is ${ctx.selected}`))
  bot.dialog('deploy', ctx => {
    if (ctx.cancelled) return ctx.send(ctx.channelId, 'deploy cancelled')
    if (!ctx.values.service) return ctx.fieldErrors({ service: 'required' })
    return ctx.send(ctx.channelId, `Deploying ${String(ctx.values.service)} to ${String(ctx.values.env)}`)
  })
  await bot.start()
})
afterAll(async () => {
  await bot?.stop({ timeout: 1000 })
  await t?.stop()
})

describe('bot.button and ctx.button', () => {
  it('take the same options; the old positional (context, style) form is refused, not mis-signed', () => {
    const b = bot.button('approve', 'Approve', { context: { service: 'web' }, style: 'primary' })
    expect(b).toMatchObject({ id: 'approve', name: 'Approve', style: 'primary', type: 'button' })
    // biome-ignore lint/suspicious/noExplicitAny: the pre-fix call shape, on purpose
    expect(() => (bot.button as any)('approve', 'Approve', { service: 'web' }, 'primary')).toThrow(
      ArgumentError,
    )
    expect(() => bot.button('bad id', 'X')).toThrow(ArgumentError)
  })
})

describe('t.command', () => {
  it('runs the slash command as the user and returns the answer', async () => {
    const res = await t.command('/deploy web', { as: 'bob' })
    expect(res.text).toBe('Requested deploy of web')
    const msg = await t.waitForPost({ text: 'Deploy web?' })
    expect(msg.channel_id).toBe(t.seed.channels.townSquare.id)
  })
})

describe('t.click', () => {
  it('presses a button by label and the bot edits its post; t.waitForEdit sees the edit', async () => {
    await t.command('/deploy api')
    const msg = await t.waitForPost({ text: 'Deploy api?' })
    await t.click(msg, 'Approve', { as: 'bob' })
    const edited = await t.waitForEdit(msg, 'Approved api by @bob')
    expect(edited.edit_at).toBeGreaterThan(0)
  })
  it('picks a menu option by action id', async () => {
    await t.command('/deploy db')
    const msg = await t.waitForPost({ text: 'Deploy db?' })
    await t.click(msg, 'env', { option: 'prod' })
    await t.waitForPost({ text: 'env is prod' })
  })
  it('names the buttons there are when none matches', async () => {
    await t.command('/deploy cache')
    const msg = await t.waitForPost({ text: 'Deploy cache?' })
    const err = await t.click(msg, 'Reject').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ArgumentError)
    expect((err as Error).message).toContain('"Approve"')
  })
})

describe('dialogs', () => {
  it('waits for the dialog a command opened and submits it; field errors come back', async () => {
    await t.command('/deploy')
    const d = await t.waitForDialog()
    expect(d.dialog.title).toBe('Deploy')
    expect(d.dialog.elements?.map(e => e.name)).toEqual(['service', 'env'])
    const bad = await t.submitDialog(d, { service: '', env: 'prod' })
    expect(bad.errors).toEqual({ service: 'required' })
    expect(await t.submitDialog(d, { service: 'web', env: 'prod' })).toEqual({})
    await t.waitForPost({ text: 'Deploying web to prod' })
  })
  it('a cancelled dialog notifies the integration', async () => {
    await t.command('/deploy', { as: 'bob' })
    const d = await t.waitForDialog({ as: 'bob' })
    await t.submitDialog(d, {}, { cancelled: true })
    await t.waitForPost({ text: 'deploy cancelled' })
  })
  it('times out with a TestTimeoutError when nothing opens', async () => {
    await t.command('/deploy web')
    const err = await t.waitForDialog({ timeoutMs: 300 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TestTimeoutError)
    expect((err as Error).message).toContain('no dialog opened for @alice')
  })
})

describe('t.waitForEdit and t.advanceClock', () => {
  it('waitForEdit times out naming the message it has', async () => {
    const p = await t.post('townSquare', 'never edited')
    const err = await t.waitForEdit(p, 'edited', { timeoutMs: 200 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TestTimeoutError)
    expect((err as Error).message).toContain('"never edited"')
  })
  it("advanceClock moves the emulator's clock: later posts are stamped after it", async () => {
    const before = await t.post('townSquare', 'clock')
    t.advanceClock(60_000)
    const after = await t.post('townSquare', 'clock later')
    expect(after.create_at - before.create_at).toBeGreaterThanOrEqual(60_000)
  })
})
