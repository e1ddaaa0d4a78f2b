/**
 * REST routes: bots, personal access tokens, custom emoji, preference deletion.
 * @module
 */
import type { BotAccount, UserAccessToken } from '../types/index.js'
import { type App, type Ctx, OK, paginate } from './app.js'
import { AppError, badParam, badUrlParam, disabled, forbidden, notFound } from './errors.js'
import { isValidId, isValidUsername, newId } from './ids.js'
import { isSystemAdmin } from './permissions.js'
import { getUserOr404, sendUserUpdated, userParam } from './rest-users.js'
import type { StoredToken, StoredUser } from './store-types.js'

/** Create a bot user + its Bot record (shared by `POST /bots` and the seed). */
export function createBot(
  app: App,
  input: { username: string; display_name?: string; description?: string; owner_id: string },
): { user: StoredUser; bot: BotAccount } {
  const { store } = app
  const user = store.createUser({ username: input.username, is_bot: true, first_name: input.display_name })
  user.bot_description = input.description ?? ''
  const bot: BotAccount = {
    user_id: user.id,
    username: user.username,
    display_name: input.display_name ?? '',
    description: input.description ?? '',
    owner_id: input.owner_id,
    create_at: user.create_at,
    update_at: user.update_at,
    delete_at: 0,
  }
  store.bots.set(user.id, bot)
  store.touch('bot', user.id)
  return { user, bot }
}

/** Issue a personal access token (the secret is returned once, here). */
export function createToken(app: App, userId: string, description: string, expiresAt = 0): UserAccessToken {
  const t: StoredToken = {
    id: newId(),
    token: newId(),
    user_id: userId,
    description,
    is_active: true,
    expires_at: expiresAt,
  }
  app.store.tokens.set(t.id, t)
  app.store.touch('token', t.id)
  app.store.createSession(userId, true, t.token, t.id)
  return { ...t }
}

function publicToken(t: StoredToken): UserAccessToken {
  const { token: _secret, ...rest } = t
  return rest
}

function usernameTaken(app: App): AppError {
  void app
  return new AppError(
    400,
    'app.user.save.username_exists.app_error',
    'An account with that username already exists.',
  )
}

export function registerBots(app: App): void {
  const { store } = app

  const view = (b: BotAccount): BotAccount => ({ ...b, system_owned: false })
  const botOr404 = (ctx: Ctx, manage: boolean): BotAccount => {
    const me = ctx.user()
    const id = ctx.params.bot_user_id!
    if (!isValidId(id)) throw badUrlParam('bot_user_id')
    const b = store.bots.get(id)
    const mine = b?.owner_id === me.id || isSystemAdmin(me)
    if (!b || (b.delete_at && ctx.query.get('include_deleted') !== 'true' && !manage))
      throw notFound('store.sql_bot.get.missing.app_error', 'bot')
    if (!mine) {
      // Reading someone else's bot needs read_others_bots; without it the bot is "not found".
      if (!manage) throw notFound('store.sql_bot.get.missing.app_error', 'bot')
      throw forbidden()
    }
    return b
  }
  /**
   * `UpdateBotActive`: the user changes only if its state differs (`UpdateActive`: on disable the
   * status goes offline, then `user_updated`), the bot record only if its own state differs.
   */
  const setActive = (b: BotAccount, active: boolean): BotAccount => {
    const t = store.now()
    const u = store.users.get(b.user_id)
    if (u && !u.delete_at !== active) {
      u.delete_at = active ? 0 : t
      u.update_at = t
      store.touch('user', u.id)
      const s = store.statuses.get(u.id)
      if (!active && s && !s.manual && s.status !== 'offline') {
        s.status = 'offline'
        s.last_activity_at = store.wallNow()
        store.touch('status', u.id)
        app.hub.broadcast('status_change', { status: 'offline', user_id: u.id }, { user_id: u.id })
      }
      sendUserUpdated(app, u)
    }
    if (!b.delete_at !== active) {
      b.delete_at = active ? 0 : t
      b.update_at = t
      store.touch('bot', b.user_id)
    }
    return b
  }

  app.route('POST', '/api/v4/bots', async ctx => {
    const me = ctx.user()
    if (!app.config.EnableBotAccountCreation)
      throw new AppError(403, 'api.bot.create_disabled', 'Bot creation has been disabled.')
    if (!isSystemAdmin(me)) throw forbidden()
    const b = await ctx.json<{ username?: unknown; display_name?: unknown; description?: unknown }>()
    const username = typeof b?.username === 'string' ? b.username.toLowerCase() : ''
    if (!isValidUsername(username))
      throw new AppError(400, 'model.user.is_valid.username.app_error', 'Invalid username.')
    if (store.usersByName.has(username)) throw usernameTaken(app)
    const { bot, user } = createBot(app, {
      username,
      owner_id: me.id,
      ...(typeof b.display_name === 'string' ? { display_name: b.display_name } : {}),
      ...(typeof b.description === 'string' ? { description: b.description } : {}),
    })
    app.hub.broadcast('new_user', { user_id: user.id }, {})
    return { status: 201, body: view(bot) }
  })
  app.route('GET', '/api/v4/bots', ctx => {
    const me = ctx.user()
    const includeDeleted = ctx.query.get('include_deleted') === 'true'
    const orphaned = ctx.query.get('only_orphaned') === 'true'
    const list = [...store.bots.values()].filter(
      b =>
        (isSystemAdmin(me) || b.owner_id === me.id) &&
        (includeDeleted || !b.delete_at) &&
        (!orphaned || !store.users.get(b.owner_id) || !!store.users.get(b.owner_id)?.delete_at),
    )
    return { body: paginate(ctx, list).map(view) }
  })
  app.route('GET', '/api/v4/bots/:bot_user_id', ctx => ({ body: view(botOr404(ctx, false)) }))
  app.route('PUT', '/api/v4/bots/:bot_user_id', async ctx => {
    const b = botOr404(ctx, true)
    const p = await ctx.json<{ username?: unknown; display_name?: unknown; description?: unknown }>()
    if (!p || typeof p !== 'object') throw badParam('bot')
    const u = store.users.get(b.user_id)!
    const name = typeof p.username === 'string' ? p.username.toLowerCase() : b.username
    const display = typeof p.display_name === 'string' ? p.display_name : b.display_name
    const description = typeof p.description === 'string' ? p.description : b.description
    // PatchBot: nothing to change → the bot as it is, no update and no event.
    if (name === b.username && display === b.display_name && description === b.description)
      return { body: view(b) }
    if (name !== b.username) {
      if (!isValidUsername(name))
        throw new AppError(400, 'model.user.is_valid.username.app_error', 'Invalid username.')
      if (store.usersByName.has(name)) throw usernameTaken(app)
    }
    const t = store.now()
    const old = u.username
    Object.assign(b, { username: name, display_name: display, description, update_at: t })
    // The bot's user is rewritten from the bot (UserFromBot: first_name = display name).
    Object.assign(u, { username: name, first_name: display, bot_description: description, update_at: t })
    store.putUser(u, old)
    store.touch('bot', b.user_id)
    sendUserUpdated(app, u)
    return { body: view(b) }
  })
  app.route('POST', '/api/v4/bots/:bot_user_id/disable', ctx => ({
    body: view(setActive(botOr404(ctx, true), false)),
  }))
  app.route('POST', '/api/v4/bots/:bot_user_id/enable', ctx => ({
    body: view(setActive(botOr404(ctx, true), true)),
  }))
  app.route('POST', '/api/v4/bots/:bot_user_id/assign/:user_id', ctx => {
    const b = botOr404(ctx, true)
    const owner = getUserOr404(app, userParam(ctx))
    b.owner_id = owner.id
    b.update_at = store.now()
    store.touch('bot', b.user_id)
    return { body: view(b) }
  })

  // --- personal access tokens ---
  const tokenOr404 = (ctx: Ctx, id: unknown): StoredToken => {
    const me = ctx.user()
    if (!isValidId(id)) throw badParam('token_id')
    const t = store.tokens.get(id)
    if (!t) throw notFound('app.user_access_token.get_by_user.app_error', 'token')
    if (t.user_id !== me.id && !isSystemAdmin(me)) throw forbidden()
    return t
  }
  app.route('POST', '/api/v4/users/:user_id/tokens', async ctx => {
    const me = ctx.user()
    const uid = userParam(ctx)
    const target = getUserOr404(app, uid)
    const ownBot = target.is_bot && store.bots.get(uid)?.owner_id === me.id
    if (uid !== me.id && !isSystemAdmin(me) && !ownBot) throw forbidden()
    if (!app.config.EnableUserAccessTokens && !target.is_bot) throw disabled('app.user_access_token.disabled')
    const b = await ctx.json<{ description?: unknown; expires_at?: unknown }>()
    if (typeof b?.description !== 'string' || !b.description || b.description.length > 255)
      throw new AppError(
        400,
        'model.user_access_token.is_valid.description.app_error',
        'Invalid description, must be 255 or less characters.',
      )
    const expires = typeof b.expires_at === 'number' ? b.expires_at : 0
    return { status: 201, body: createToken(app, uid, b.description, expires) }
  })
  app.route('GET', '/api/v4/users/:user_id/tokens', ctx => {
    const me = ctx.user()
    const uid = userParam(ctx)
    if (uid !== me.id && !isSystemAdmin(me) && store.bots.get(uid)?.owner_id !== me.id) throw forbidden()
    const list = [...store.tokens.values()].filter(t => t.user_id === uid)
    return { body: paginate(ctx, list).map(publicToken) }
  })
  app.route('GET', '/api/v4/users/tokens/:token_id', ctx => ({
    body: publicToken(tokenOr404(ctx, ctx.params.token_id)),
  }))
  app.route('POST', '/api/v4/users/tokens/search', async ctx => {
    if (!isSystemAdmin(ctx.user())) throw forbidden()
    const b = await ctx.json<{ term?: unknown }>()
    if (typeof b?.term !== 'string') throw badParam('term')
    const term = b.term.toLowerCase()
    const hits = [...store.tokens.values()].filter(
      t =>
        t.id === b.term ||
        t.user_id === b.term ||
        store.users.get(t.user_id)?.username.startsWith(term) === true,
    )
    return { body: hits.map(publicToken) }
  })
  for (const action of ['revoke', 'disable', 'enable'] as const) {
    app.route('POST', `/api/v4/users/tokens/${action}`, async ctx => {
      const b = await ctx.json<{ token_id?: unknown }>()
      const t = tokenOr404(ctx, b?.token_id)
      if (action === 'revoke') {
        store.tokens.delete(t.id)
        store.deleteSession(t.token)
      } else t.is_active = action === 'enable'
      store.touch('token', t.id)
      return OK
    })
  }

  // --- custom emoji (none exist unless created; creation is not emulated) ---
  const emojiOn = (ctx: Ctx): void => {
    ctx.user()
    if (!app.config.EnableCustomEmoji) throw disabled('api.emoji.disabled.app_error')
  }
  app.route('GET', '/api/v4/emoji', ctx => {
    emojiOn(ctx)
    return { body: [] }
  })
  app.route('GET', '/api/v4/emoji/name/:emoji_name', ctx => {
    emojiOn(ctx)
    throw notFound('app.emoji.get_by_name.no_result', 'emoji')
  })
  app.route('GET', '/api/v4/emoji/:emoji_id', ctx => {
    emojiOn(ctx)
    if (!isValidId(ctx.params.emoji_id)) throw badUrlParam('emoji_id')
    throw notFound('app.emoji.get.no_result', 'emoji')
  })

  // --- preferences (delete) ---
  app.route('POST', '/api/v4/users/:user_id/preferences/delete', async ctx => {
    const me = ctx.user()
    const id = userParam(ctx)
    if (id !== me.id && !isSystemAdmin(me)) throw forbidden()
    const prefs = await ctx.json<unknown>()
    if (!Array.isArray(prefs)) throw badParam('preferences')
    if (prefs.some(p => (p as { user_id?: unknown } | null)?.user_id !== id))
      throw new AppError(
        403,
        'api.preference.delete_preferences.delete.app_error',
        'Unable to delete user preferences.',
      )
    const keep = (store.preferences.get(id) ?? []).filter(
      p =>
        !prefs.some(
          (d: { category?: string; name?: string }) => d.category === p.category && d.name === p.name,
        ),
    )
    store.preferences.set(id, keep)
    store.touch('prefs', id)
    app.hub.broadcast('preferences_deleted', { preferences: JSON.stringify(prefs) }, { user_id: id })
    return OK
  })
}
