/**
 * Interactive dialogs: `POST /actions/dialogs/open` (authorised by a trigger id, not a session)
 * and `POST /actions/dialogs/submit` (web client → server → the dialog's URL).
 * @module
 */
import type { App } from '../app.js'
import { AppError, badParam } from '../errors.js'
import { isValidId, newId } from '../ids.js'
import { readableChannel } from '../rest-channels.js'
import { call, useTrigger } from './shared.js'

export function registerDialogs(app: App): void {
  const { hub } = app

  app.route('POST', '/api/v4/actions/dialogs/open', async ctx => {
    const b = await ctx.json<{ trigger_id?: unknown; url?: unknown; dialog?: unknown }>()
    if (!b || typeof b.trigger_id !== 'string' || !b.trigger_id) throw badParam('trigger_id')
    if (typeof b.url !== 'string' || !b.url) throw badParam('url')
    if (!b.dialog || typeof b.dialog !== 'object') throw badParam('dialog')
    const userId = useTrigger(app, b.trigger_id)
    // The user's client gets the dialog with a short client trigger id instead of the signed one.
    hub.broadcast(
      'open_dialog',
      { dialog: JSON.stringify({ ...b, trigger_id: newId() }) },
      { user_id: userId },
    )
    return { body: { status: 'OK' } }
  })

  app.route('POST', '/api/v4/actions/dialogs/submit', async ctx => {
    const me = ctx.user()
    const b = await ctx.json<Record<string, unknown>>()
    if (!b || typeof b.url !== 'string' || !b.url) throw badParam('url')
    if (!isValidId(b.channel_id)) throw badParam('channel_id')
    readableChannel(app, ctx, b.channel_id)
    const { url, ...rest } = b
    const res = await call(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({
        type: 'dialog_submission',
        callback_id: rest.callback_id ?? '',
        state: rest.state ?? '',
        user_id: me.id,
        channel_id: rest.channel_id,
        team_id: rest.team_id ?? '',
        submission: rest.submission ?? {},
        cancelled: rest.cancelled === true,
      }),
    }).catch(() => ({ status: 0, type: '', text: '' }))
    if (res.status !== 200)
      throw new AppError(400, 'api.dialog.submit.integration_error', 'Dialog integration error.')
    if (!res.text.trim()) return { body: {} }
    try {
      return { body: JSON.parse(res.text) as unknown }
    } catch {
      throw new AppError(400, 'api.dialog.submit.integration_error', 'Dialog integration error.')
    }
  })
}
