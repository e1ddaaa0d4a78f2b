/**
 * Helpers shared by the REST route modules: the public user view, paging, path parameters and
 * the channel read check.
 * @module
 */
import type { Channel, User } from '../types/index.js'
import type { App, Ctx } from './app.js'
import { badUrlParam, forbidden, notFound } from './errors.js'
import { isValidId } from './ids.js'
import { isSystemAdmin } from './permissions.js'
import type { StoredUser } from './store-types.js'

/** The client view of a user: no password. */
export function publicUser(u: StoredUser): User {
  const { password: _p, ...rest } = u
  return rest
}

/**
 * `sendUpdatedUserEvent` (app/user.go): `user_updated` to everyone but the user, with the profile
 * sanitized (`SanitizeProfile`: no notify props, no password-update time; email and names stay
 * under the default privacy settings, so the admins' copy is the same object), and the unsanitized
 * user to the user's own connections. `data.user` is an object, not a JSON string.
 */
export function sendUserUpdated(app: App, u: StoredUser): void {
  const full = publicUser(u)
  const { notify_props: _n, last_password_update: _l, ...sanitized } = full
  app.hub.broadcast('user_updated', { user: sanitized }, { omit_users: { [u.id]: true } })
  app.hub.broadcast('user_updated', { user: full }, { user_id: u.id })
}

function page(ctx: Ctx): { page: number; perPage: number } {
  const p = Number(ctx.query.get('page') ?? 0)
  let perPage = Number(ctx.query.get('per_page') ?? 60)
  if (!Number.isFinite(perPage) || perPage <= 0) perPage = 60
  return {
    page: Number.isFinite(p) && p > 0 ? Math.floor(p) : 0,
    perPage: Math.min(200, Math.floor(perPage)),
  }
}

/** Slice a list by page/per_page. */
export function paginate<T>(ctx: Ctx, items: T[]): T[] {
  const { page: p, perPage } = page(ctx)
  return items.slice(p * perPage, p * perPage + perPage)
}

/** Resolve `me` and validate a user id path parameter. */
export function userParam(ctx: Ctx, name = 'user_id'): string {
  const me = ctx.user()
  const v = ctx.params[name]!
  if (v === 'me') return me.id
  if (!isValidId(v)) throw badUrlParam(name)
  return v
}

/**
 * The path's user id if the caller may act for that user (`SessionHasPermissionToUser`: themself,
 * or edit_other_users, which only system admins hold here); else 403 api.context.permissions.app_error.
 */
export function ownOrAdmin(ctx: Ctx, name = 'user_id'): string {
  const id = userParam(ctx, name)
  const me = ctx.user()
  if (id !== me.id && !isSystemAdmin(me)) throw forbidden()
  return id
}

export function getUserOr404(app: App, id: string): StoredUser {
  const u = app.store.users.get(id)
  if (!u) throw notFound('app.user.missing_account.const', 'user')
  return u
}

/** The channel, if the caller may read it (members; anyone in the team for open channels). */
export function readableChannel(app: App, ctx: Ctx, id: string): Channel {
  const me = ctx.user()
  if (!isValidId(id)) throw badUrlParam('channel_id')
  const ch = app.store.channels.get(id)
  if (!ch) throw notFound('app.channel.get.existing.app_error', 'existing channel')
  if (app.store.isChannelMember(id, me.id) || isSystemAdmin(me)) return ch
  if (ch.type === 'O' && app.store.isTeamMember(ch.team_id, me.id)) return ch
  throw forbidden()
}
