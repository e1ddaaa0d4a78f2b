/**
 * Interactive message actions (`POST /posts/{id}/actions/{action_id}` → the integration URL) and
 * `POST /posts/ephemeral`.
 * @module
 */
import type { Post } from '../../types/index.js'
import { type App, isSystemAdmin } from '../app.js'
import { sanitizePost, sendEphemeral } from '../posts.js'
import { readableChannel } from '../rest-core.js'
import { AppError, badParam, badUrlParam, forbidden, isValidId, notFound } from '../util.js'
import { type CallResult, call, newTrigger, slackText } from './shared.js'

interface ActionResponse {
  update?: Partial<Post> | null
  ephemeral_text?: string
  skip_slack_parsing?: boolean
}

const KEPT_PROPS = ['from_webhook', 'override_username', 'override_icon_url'] as const

export function registerActions(app: App): void {
  const { store, hub } = app

  app.route('POST', '/api/v4/posts/:post_id/actions/:action_id', async ctx => {
    const me = ctx.user()
    if (!isValidId(ctx.params.post_id)) throw badUrlParam('post_id')
    const post = store.posts.get(ctx.params.post_id)
    if (!post || post.delete_at) throw notFound('app.post.get.app_error', 'post')
    const ch = readableChannel(app, ctx, post.channel_id)
    const b = (await ctx.json<{ selected_option?: unknown } | null>()) ?? {}
    const action = (post.props.attachments ?? [])
      .flatMap(a => a.actions ?? [])
      .find(a => a.id === ctx.params.action_id)
    if (!action?.integration?.url) throw notFound('api.post.do_action.action_id.app_error', 'action')
    const triggerId = newTrigger(app, me.id)
    const context = { ...(action.integration.context ?? {}) } as Record<string, unknown>
    if (typeof b.selected_option === 'string' && b.selected_option)
      context.selected_option = b.selected_option
    const team = store.teams.get(ch.team_id)
    let res: CallResult
    try {
      res = await call(action.integration.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({
          user_id: me.id,
          user_name: me.username,
          channel_id: ch.id,
          channel_name: ch.name,
          team_id: ch.team_id,
          team_domain: team?.name ?? '',
          post_id: post.id,
          trigger_id: triggerId,
          type: action.type ?? 'button',
          data_source: action.data_source ?? '',
          context,
        }),
      })
    } catch {
      res = { status: 0, type: '', text: '' }
    }
    if (res.status !== 200)
      throw new AppError(400, 'api.post.do_action.action_integration.app_error', 'Action integration error.')
    let r: ActionResponse = {}
    if (res.text.trim()) {
      try {
        r = JSON.parse(res.text) as ActionResponse
      } catch {
        throw new AppError(
          400,
          'api.post.do_action.action_integration.app_error',
          'Action integration error.',
        )
      }
    }
    if (r.update) {
      const changed = typeof r.update.message === 'string' && r.update.message !== post.message
      if (typeof r.update.message === 'string') post.message = r.update.message
      // No props in the update keeps the original props; otherwise they are replaced, with the
      // webhook markers of the original retained (and dropped when the original had none).
      if (r.update.props && typeof r.update.props === 'object') {
        const next: Record<string, unknown> = { ...r.update.props }
        for (const k of KEPT_PROPS) {
          if (post.props[k] !== undefined) next[k] = post.props[k]
          else delete next[k]
        }
        post.props = next
      }
      post.update_at = store.now()
      if (changed) post.edit_at = post.update_at
      store.touch('post', post.id)
      hub.broadcast(
        'post_edited',
        { post: JSON.stringify(sanitizePost(post)) },
        { channel_id: post.channel_id },
      )
    }
    if (r.ephemeral_text) {
      const props = Object.fromEntries(
        KEPT_PROPS.filter(k => post.props[k] !== undefined).map(k => [k, post.props[k]]),
      )
      sendEphemeral(app, me.id, {
        channel_id: ch.id,
        message: r.skip_slack_parsing ? r.ephemeral_text : slackText(app, r.ephemeral_text),
        root_id: post.root_id || post.id,
        user_id: me.id,
        props,
      })
    }
    return { body: { status: 'OK', trigger_id: triggerId } }
  })

  app.route('POST', '/api/v4/posts/ephemeral', async ctx => {
    const me = ctx.user()
    // create_post_ephemeral: held by system admins and (via their role) bots.
    if (!me.is_bot && !isSystemAdmin(me)) throw forbidden()
    const b = await ctx.json<{
      user_id?: string
      post?: { channel_id?: string; message?: string; props?: Record<string, unknown>; root_id?: string }
    }>()
    if (!isValidId(b?.user_id)) throw badParam('user_id')
    if (!b.post || !isValidId(b.post.channel_id)) throw badParam('post.channel_id')
    if (!store.channels.get(b.post.channel_id))
      throw notFound('app.channel.get.existing.app_error', 'channel')
    const p = sendEphemeral(app, b.user_id, {
      channel_id: b.post.channel_id,
      message: typeof b.post.message === 'string' ? b.post.message : '',
      root_id: typeof b.post.root_id === 'string' ? b.post.root_id : '',
      props: b.post.props && typeof b.post.props === 'object' ? b.post.props : {},
      user_id: me.id,
    })
    return { status: 201, body: sanitizePost(p) }
  })
}
