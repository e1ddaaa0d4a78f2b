/**
 * Action cookies: what lets a client click a button or menu on an ephemeral post, which the server
 * never stores. When an ephemeral post leaves the server, every attachment action gets a `cookie`:
 * an AES-256-GCM sealed JSON object (base64 of nonce ‖ ciphertext ‖ tag, key per emulator) carrying
 * what a click needs — post id, root id, channel id, action type and data source, the integration
 * (URL and private context) and the webhook props to keep. Clients send it back in the click body;
 * only this emulator can open it, and the integration never appears in the clear.
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { Post } from '../../types/index.js'
import type { App } from '../app.js'
import { AppError } from '../errors.js'

/** The props an action response keeps from the original post (the real `PostActionRetainPropKeys`). */
export const RETAIN_PROP_KEYS = ['from_webhook', 'override_username', 'override_icon_url'] as const

/** The cookie's contents (field names as the real `PostActionCookie`). */
export interface ActionCookie {
  type?: string
  post_id?: string
  root_post_id?: string
  channel_id?: string
  data_source?: string
  integration?: { url?: string; context?: Record<string, unknown> }
  retain_props?: Record<string, unknown>
  remove_props?: string[]
}

const NONCE = 12
const TAG = 16
const keys = new WeakMap<App, Buffer>()

function keyOf(app: App): Buffer {
  let k = keys.get(app)
  if (!k) keys.set(app, (k = randomBytes(32)))
  return k
}

function seal(app: App, plain: string): string {
  const nonce = randomBytes(NONCE)
  const c = createCipheriv('aes-256-gcm', keyOf(app), nonce)
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()])
  return Buffer.concat([nonce, body, c.getAuthTag()]).toString('base64')
}

function actionError(detail: string): AppError {
  return new AppError(
    400,
    'api.post.do_action.action_integration.app_error',
    'Action integration error.',
    detail,
  )
}

/**
 * Open a cookie sent by a client. Anything this emulator did not seal (forged, altered, truncated,
 * not JSON) → 400 `api.post.do_action.action_integration.app_error`, as the real server answers.
 */
export function openCookie(app: App, cookie: string): ActionCookie {
  const raw = Buffer.from(cookie, 'base64')
  if (raw.length < NONCE + TAG) throw actionError('cookie too short')
  let plain: string
  try {
    const d = createDecipheriv('aes-256-gcm', keyOf(app), raw.subarray(0, NONCE))
    d.setAuthTag(raw.subarray(raw.length - TAG))
    plain = Buffer.concat([d.update(raw.subarray(NONCE, raw.length - TAG)), d.final()]).toString('utf8')
  } catch {
    throw actionError('cipher: message authentication failed')
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(plain)
  } catch {
    throw actionError('invalid cookie')
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw actionError('invalid cookie')
  return parsed as ActionCookie
}

/**
 * A copy of `post` whose attachment actions each carry a cookie (the real `AddPostActionCookies`).
 * The integration stays on the copy; `sanitizePost` removes it before the post reaches a client.
 */
export function addActionCookies(app: App, post: Post): Post {
  const atts = post.props?.attachments
  if (!Array.isArray(atts) || !atts.some(a => Array.isArray(a?.actions) && a.actions.length)) return post
  const retain: Record<string, unknown> = {}
  const remove: string[] = []
  for (const k of RETAIN_PROP_KEYS) {
    if (post.props[k] !== undefined) retain[k] = post.props[k]
    else remove.push(k)
  }
  const attachments = atts.map(a => {
    if (!Array.isArray(a?.actions)) return a
    const actions = a.actions.map(action => {
      const c: ActionCookie = {
        type: action.type ?? '',
        post_id: post.id,
        root_post_id: post.root_id || post.id,
        channel_id: post.channel_id,
        data_source: action.data_source ?? '',
        ...(action.integration ? { integration: action.integration } : {}),
        retain_props: retain,
        remove_props: remove,
      }
      return { ...action, cookie: seal(app, JSON.stringify(c)) }
    })
    return { ...a, actions }
  })
  return { ...post, props: { ...post.props, attachments } }
}
