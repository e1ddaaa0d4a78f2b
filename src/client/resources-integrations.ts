/**
 * Endpoint groups: commands, webhooks, bots, access tokens, and the rest (status, emoji, preferences, system, dialogs).
 * @module
 */

import type {
  BotAccount,
  Command,
  CommandResponse,
  CustomEmoji,
  Dialog,
  IncomingWebhook,
  IncomingWebhookPayload,
  OutgoingWebhook,
  Preference,
  StatusOK,
  SystemPing,
  UserAccessToken,
} from '../types/index.js'
import { NotMattermostError } from './errors.js'
import { enc, type PageParams, type Requester } from './resource-base.js'
import type { Query } from './transport.js'

export class Commands {
  constructor(private r: Requester) {}
  create(
    c: Partial<Command> & { team_id: string; trigger: string; url: string; method?: 'P' | 'G' },
  ): Promise<Command> {
    return this.r.request('POST', '/commands', { body: { method: 'P', ...c } })
  }
  get(id: string): Promise<Command> {
    return this.r.request('GET', `/commands/${enc(id)}`)
  }
  /**
   * Update a command. The server's PUT replaces the whole command, so a partial `c` (without
   * `team_id`) is merged into the current command first.
   *
   * @example
   * ```ts
   * await mm.commands.update(cmd.id, { url: 'https://bot.example.com/mattermost/command' })
   * ```
   */
  async update(id: string, c: Partial<Command>): Promise<Command> {
    const full = c.team_id ? c : { ...(await this.get(id)), ...c }
    return this.r.request('PUT', `/commands/${enc(id)}`, { body: { ...full, id } })
  }
  delete(id: string): Promise<StatusOK> {
    return this.r.request('DELETE', `/commands/${enc(id)}`)
  }
  list(teamId: string, opts: { customOnly?: boolean } = {}): Promise<Command[]> {
    return this.r.request('GET', '/commands', {
      query: { team_id: teamId, custom_only: opts.customOnly ?? true },
    })
  }
  async regenToken(id: string): Promise<string> {
    return (await this.r.request<{ token: string }>('PUT', `/commands/${enc(id)}/regen_token`)).token
  }
  /** Run a slash command as the current user, as a person typing it would. */
  execute(
    channelId: string,
    command: string,
    opts: { teamId?: string; rootId?: string } = {},
  ): Promise<CommandResponse> {
    return this.r.request('POST', '/commands/execute', {
      body: { channel_id: channelId, command, team_id: opts.teamId ?? '', root_id: opts.rootId ?? '' },
    })
  }
}

class Crud<T> {
  constructor(
    protected r: Requester,
    protected base: string,
  ) {}
  create(body: Partial<T>): Promise<T> {
    return this.r.request('POST', this.base, { body })
  }
  get(id: string): Promise<T> {
    return this.r.request('GET', `${this.base}/${enc(id)}`)
  }
  /** Update a webhook. The server's PUT replaces the whole hook, so a partial body (without `channel_id`) is merged into the current hook first. */
  async update(id: string, body: Partial<T>): Promise<T> {
    const full = (body as { channel_id?: string }).channel_id ? body : { ...(await this.get(id)), ...body }
    return this.r.request('PUT', `${this.base}/${enc(id)}`, { body: { ...full, id } })
  }
  delete(id: string): Promise<StatusOK> {
    return this.r.request('DELETE', `${this.base}/${enc(id)}`)
  }
  list(query: Query = {}): Promise<T[]> {
    return this.r.request('GET', this.base, { query })
  }
}

export class OutgoingWebhooks extends Crud<OutgoingWebhook> {
  regenToken(id: string): Promise<OutgoingWebhook> {
    return this.r.request('POST', `${this.base}/${enc(id)}/regen_token`)
  }
}

export class Webhooks {
  readonly incoming: Crud<IncomingWebhook>
  readonly outgoing: OutgoingWebhooks
  constructor(private r: Requester) {
    this.incoming = new Crud(r, '/hooks/incoming')
    this.outgoing = new OutgoingWebhooks(r, '/hooks/outgoing')
  }
  /**
   * Post through an incoming webhook, by id or full URL.
   *
   * @example
   * ```ts
   * await mm.webhooks.post(hookId, { text: 'Deployed ✅', attachments: [{ color: 'good', title: 'v1.2' }] })
   * ```
   */
  async post(hookIdOrUrl: string, payload: IncomingWebhookPayload): Promise<void> {
    const url = /^https?:\/\//.test(hookIdOrUrl) ? hookIdOrUrl : `${this.r.baseUrl}/hooks/${enc(hookIdOrUrl)}`
    await this.r.postAbsolute(url, payload)
  }
}

export class Bots {
  constructor(private r: Requester) {}
  create(b: { username: string; display_name?: string; description?: string }): Promise<BotAccount> {
    return this.r.request('POST', '/bots', { body: b })
  }
  get(id: string): Promise<BotAccount> {
    return this.r.request('GET', `/bots/${enc(id)}`)
  }
  list(p: PageParams = {}): Promise<BotAccount[]> {
    return this.r.request('GET', '/bots', { query: { page: p.page, per_page: p.perPage } })
  }
  patch(
    id: string,
    b: { username?: string; display_name?: string; description?: string },
  ): Promise<BotAccount> {
    return this.r.request('PUT', `/bots/${enc(id)}`, { body: b })
  }
  disable(id: string): Promise<BotAccount> {
    return this.r.request('POST', `/bots/${enc(id)}/disable`)
  }
  enable(id: string): Promise<BotAccount> {
    return this.r.request('POST', `/bots/${enc(id)}/enable`)
  }
  assign(id: string, userId: string): Promise<BotAccount> {
    return this.r.request('POST', `/bots/${enc(id)}/assign/${enc(userId)}`)
  }
}

export class Tokens {
  constructor(private r: Requester) {}
  /** Create a personal access token; the secret `token` field is only in this response. */
  create(userId: string, description: string): Promise<UserAccessToken> {
    return this.r.request('POST', `/users/${enc(userId)}/tokens`, { body: { description } })
  }
  list(userId: string): Promise<UserAccessToken[]> {
    return this.r.request('GET', `/users/${enc(userId)}/tokens`)
  }
  get(tokenId: string): Promise<UserAccessToken> {
    return this.r.request('GET', `/users/tokens/${enc(tokenId)}`)
  }
  revoke(tokenId: string): Promise<StatusOK> {
    return this.r.request('POST', '/users/tokens/revoke', { body: { token_id: tokenId } })
  }
  disable(tokenId: string): Promise<StatusOK> {
    return this.r.request('POST', '/users/tokens/disable', { body: { token_id: tokenId } })
  }
  enable(tokenId: string): Promise<StatusOK> {
    return this.r.request('POST', '/users/tokens/enable', { body: { token_id: tokenId } })
  }
}

export class Misc {
  constructor(private r: Requester) {}
  /**
   * `GET /system/ping` (no auth). Throws `NotMattermostError` unless the answer is Mattermost's
   * ping object (`{"status": "OK", …}`, server/channels/api4/system.go getSystemPing), so a login
   * page or another API is never taken for a healthy server.
   */
  async ping(): Promise<SystemPing> {
    const data = await this.r.request<unknown>('GET', '/system/ping', { anonymous: true })
    if (typeof data !== 'object' || data === null || Array.isArray(data) || !('status' in data)) {
      throw new NotMattermostError(
        `${this.r.baseUrl} answered /api/v4/system/ping with JSON that is not Mattermost's ping (no \`status\`). Check the URL (and any subpath).`,
        this.r.baseUrl,
      )
    }
    if (typeof data.status !== 'string') {
      throw new NotMattermostError(
        `${this.r.baseUrl} answered /api/v4/system/ping with a \`status\` that is not a string. Check the URL (and any subpath).`,
        this.r.baseUrl,
      )
    }
    return data as SystemPing
  }
  emojiList(p: PageParams = {}): Promise<CustomEmoji[]> {
    return this.r.request('GET', '/emoji', { query: { page: p.page, per_page: p.perPage } })
  }
  emojiByName(name: string): Promise<CustomEmoji> {
    return this.r.request('GET', `/emoji/name/${enc(name)}`)
  }
  preferences(userId = 'me'): Promise<Preference[]> {
    return this.r.request('GET', `/users/${enc(userId)}/preferences`)
  }
  savePreferences(userId: string, prefs: Preference[]): Promise<StatusOK> {
    return this.r.request('PUT', `/users/${enc(userId)}/preferences`, { body: prefs })
  }
  /** Open an interactive dialog (needs a fresh trigger id, valid 30 s). */
  openDialog(req: { trigger_id: string; url: string; dialog: Dialog }): Promise<StatusOK> {
    return this.r.request('POST', '/actions/dialogs/open', { body: req })
  }
  /** Submit a dialog, as the web client does. */
  submitDialog(body: {
    url: string
    callback_id?: string
    state?: string
    channel_id: string
    team_id: string
    submission: Record<string, unknown>
    cancelled?: boolean
  }): Promise<{ errors?: Record<string, string>; error?: string }> {
    return this.r.request('POST', '/actions/dialogs/submit', { body })
  }
}
