/**
 * Interactive message actions (`POST /posts/{id}/actions/{action_id}` → the integration URL, for
 * stored posts and, through the action cookie, ephemeral ones) and `POST /posts/ephemeral`.
 * @module
 */
import type { Channel, Post } from '../../types/index.js'
import type { App, Ctx } from '../app.js'
import { AppError, badParam, badUrlParam, forbidden, notFound } from '../errors.js'
import { isValidId } from '../ids.js'
import { isSystemAdmin } from '../permissions.js'
import { recordEdit } from '../post-edit.js'
import { sanitizePost, sendEphemeral } from '../posts.js'
import { readableChannel } from '../rest-channels.js'
import { type ActionCookie, addActionCookies, openCookie, RETAIN_PROP_KEYS } from './cookies.js'
import { type CallResult, call, newTrigger, slackText } from './shared.js'

interface ActionResponse {
  update?: Partial<Post> | null
  ephemeral_text?: string
  skip_slack_parsing?: boolean
}

/** What a click needs, from the stored post or (for an ephemeral post) from the action's cookie. */
interface Target {
  url: string
  context: Record<string, unknown>
  type: string
  dataSource: string
  channel: Channel
  /** Where `ephemeral_text` goes: the post's thread. */
  rootId: string
  /** Webhook props the `ephemeral_text` reply carries over. */
  retain: Record<string, unknown>
  /** The stored post (absent for an ephemeral one, which an `update` cannot reach). */
  post?: Post
}

const integrationError = (): AppError =>
  new AppError(400, 'api.post.do_action.action_integration.app_error', 'Action integration error.')

/**
 * The real `doPostAction` + `DoPostActionWithCookie`: a cookie, when sent, must open (else 400) and
 * its channel must be readable; without one the post's channel decides. A stored post always wins
 * over the cookie; an unstored one needs the cookie, for the same post id.
 */
function resolveTarget(app: App, ctx: Ctx, postId: string, actionId: string, raw: unknown): Target {
  const { store } = app
  const me = ctx.user()
  const cookie = typeof raw === 'string' && raw ? openCookie(app, raw) : undefined
  const post = store.posts.get(postId)
  if (cookie) {
    if (!isValidId(cookie.channel_id) || !store.channels.get(cookie.channel_id))
      throw notFound('app.channel.get.existing.app_error', 'existing channel')
    readableChannel(app, ctx, cookie.channel_id)
  } else if (post) {
    readableChannel(app, ctx, post.channel_id)
  } else if (!isSystemAdmin(me)) {
    // No post, so no channel: only a system-wide read_channel_content grant (admins) gets past.
    throw forbidden()
  }
  if (post && !post.delete_at) {
    const action = (post.props.attachments ?? []).flatMap(a => a.actions ?? []).find(a => a.id === actionId)
    if (!action?.integration?.url) throw notFound('api.post.do_action.action_id.app_error', 'action')
    return {
      url: action.integration.url,
      context: { ...(action.integration.context ?? {}) },
      type: action.type ?? 'button',
      dataSource: action.data_source ?? '',
      channel: store.channels.get(post.channel_id)!,
      rootId: post.root_id || post.id,
      retain: Object.fromEntries(
        RETAIN_PROP_KEYS.filter(k => post.props[k] !== undefined).map(k => [k, post.props[k]]),
      ),
      post,
    }
  }
  if (!cookie) throw notFound('app.post.get.app_error', 'post')
  return fromCookie(app, postId, cookie)
}

function fromCookie(app: App, postId: string, c: ActionCookie): Target {
  if (!c.integration) throw integrationError()
  if (c.post_id !== postId) throw integrationError()
  return {
    url: typeof c.integration.url === 'string' ? c.integration.url : '',
    context: { ...(c.integration.context ?? {}) },
    type: c.type || 'button',
    dataSource: c.data_source ?? '',
    channel: app.store.channels.get(c.channel_id!)!,
    rootId: c.root_post_id ?? '',
    retain: { ...(c.retain_props ?? {}) },
  }
}

export function registerActions(app: App): void {
  const { store, hub } = app
  app.ephemeralPreparers.push(addActionCookies)

  app.route('POST', '/api/v4/posts/:post_id/actions/:action_id', async ctx => {
    const me = ctx.user()
    if (!isValidId(ctx.params.post_id)) throw badUrlParam('post_id')
    const b = (await ctx.json<{ selected_option?: unknown; cookie?: unknown } | null>()) ?? {}
    const t = resolveTarget(app, ctx, ctx.params.post_id, ctx.params.action_id ?? '', b.cookie)
    const ch = t.channel
    const triggerId = newTrigger(app, me.id)
    // selected_option (and the data source) are sent only for a select with a choice.
    const selected = t.type === 'select' && typeof b.selected_option === 'string' ? b.selected_option : ''
    if (selected) t.context.selected_option = selected
    const team = store.teams.get(ch.team_id)
    let res: CallResult
    try {
      res = await call(t.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({
          user_id: me.id,
          user_name: me.username,
          channel_id: ch.id,
          channel_name: ch.name,
          team_id: ch.team_id,
          team_domain: team?.name ?? '',
          post_id: ctx.params.post_id,
          trigger_id: triggerId,
          type: t.type,
          data_source: selected ? t.dataSource : '',
          context: t.context,
        }),
      })
    } catch {
      res = { status: 0, type: '', text: '' }
    }
    if (res.status !== 200) throw integrationError()
    let r: ActionResponse = {}
    if (res.text.trim()) {
      try {
        r = JSON.parse(res.text) as ActionResponse
      } catch {
        throw integrationError()
      }
    }
    if (r.update) {
      // An ephemeral post is not stored, so the update finds nothing (and ephemeral_text is skipped).
      if (!t.post) throw notFound('app.post.get.app_error', 'post')
      const post = t.post
      const changed = typeof r.update.message === 'string' && r.update.message !== post.message
      if (changed) recordEdit(app, { ...post })
      if (typeof r.update.message === 'string') post.message = r.update.message
      // No props in the update keeps the original props; otherwise they are replaced, with the
      // webhook markers of the original retained (and dropped when the original had none).
      if (r.update.props && typeof r.update.props === 'object') {
        const next: Record<string, unknown> = { ...r.update.props }
        for (const k of RETAIN_PROP_KEYS) {
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
      sendEphemeral(app, me.id, {
        channel_id: ch.id,
        message: r.skip_slack_parsing ? r.ephemeral_text : slackText(app, r.ephemeral_text),
        root_id: t.rootId,
        user_id: me.id,
        props: { ...t.retain },
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
