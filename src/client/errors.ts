/**
 * Errors of the REST client. Every one carries the HTTP method and the path (query values
 * redacted), never a token.
 *
 * @example
 * ```ts
 * try { await mm.posts.create({ channel_id, message }) } catch (err) {
 *   if (err instanceof ForbiddenError) console.error(err.message, err.serverId)
 * }
 * ```
 * @module
 */
import { type ErrorCode, MatterkitError } from '../core/errors.js'
import { redactString } from '../core/redact.js'

/** Fields shared by every error that came from an HTTP exchange. */
export interface RequestInfo {
  method: string
  path: string
}

/** The server answered with an error status. */
export class ApiError extends MatterkitError {
  /** HTTP status. */
  readonly status: number
  /** Mattermost's error id, e.g. `api.context.permissions.app_error` ('' when the body was not JSON). */
  readonly serverId: string
  /** The server's request id (`X-Request-ID`). */
  readonly requestId: string
  readonly method: string
  readonly path: string

  constructor(
    code: ErrorCode,
    message: string,
    info: RequestInfo & { status: number; serverId: string; requestId: string },
  ) {
    super(code, message)
    this.status = info.status
    this.serverId = info.serverId
    this.requestId = info.requestId
    this.method = info.method
    this.path = info.path
  }
}

/** What an HTTP error carries besides its message. */
type ApiErrorInfo = RequestInfo & { status: number; serverId: string; requestId: string }

/** 400: the request was malformed. */
export class BadRequestError extends ApiError {
  constructor(message: string, info: ApiErrorInfo) {
    super('MK_ERR_BAD_REQUEST', message, info)
  }
}
/** 401: no, a bad, or an expired token. Never retried. */
export class AuthError extends ApiError {
  constructor(message: string, info: ApiErrorInfo) {
    super('MK_ERR_UNAUTHORIZED', message, info)
  }
}
/** 403: authenticated, but not allowed (often: not a member of the channel or team). */
export class ForbiddenError extends ApiError {
  constructor(message: string, info: ApiErrorInfo) {
    super('MK_ERR_FORBIDDEN', message, info)
  }
}
/** 404: not found (or not visible to you). */
export class NotFoundError extends ApiError {
  constructor(message: string, info: ApiErrorInfo) {
    super('MK_ERR_NOT_FOUND', message, info)
  }
}
/** 413: the body or file is too large. */
export class PayloadTooLargeError extends ApiError {
  constructor(message: string, info: ApiErrorInfo) {
    super('MK_ERR_PAYLOAD_TOO_LARGE', message, info)
  }
}
/** 5xx. */
export class ServerError extends ApiError {
  constructor(message: string, info: ApiErrorInfo) {
    super('MK_ERR_SERVER', message, info)
  }
}
/** 501: the feature is disabled in the server's config. */
export class NotImplementedError extends ApiError {
  constructor(message: string, info: ApiErrorInfo) {
    super('MK_ERR_NOT_IMPLEMENTED', message, info)
  }
}

/** 429: rate limited, and the client was told not to wait (or gave up). */
export class RateLimitedError extends ApiError {
  /** Milliseconds the server asked to wait. */
  readonly retryAfterMs: number
  constructor(
    message: string,
    info: RequestInfo & { status: number; requestId: string; retryAfterMs: number },
  ) {
    super('MK_ERR_RATE_LIMITED', message, { ...info, serverId: '' })
    this.retryAfterMs = info.retryAfterMs
  }
}

/** The request never got an HTTP answer (DNS, refused, reset, TLS). */
export class NetworkError extends MatterkitError {
  readonly method: string
  readonly path: string
  constructor(message: string, info: RequestInfo, cause?: unknown) {
    super('MK_ERR_NETWORK', message, { cause })
    this.method = info.method
    this.path = info.path
  }
}

/** The request took longer than its timeout. */
export class TimeoutError extends MatterkitError {
  readonly method: string
  readonly path: string
  readonly timeoutMs: number
  constructor(info: RequestInfo & { timeoutMs: number }, message?: string) {
    super('MK_ERR_TIMEOUT', message ?? `${info.method} ${info.path} timed out after ${info.timeoutMs} ms`)
    this.method = info.method
    this.path = info.path
    this.timeoutMs = info.timeoutMs
  }
}

/** The URL answers, but not as Mattermost (a proxy's or a login page's HTML, another API). */
export class NotMattermostError extends MatterkitError {
  readonly url: string
  constructor(message: string, url: string) {
    super('MK_ERR_NOT_MATTERMOST', message)
    this.url = url
  }
}

/** A response body read whole was larger than `maxResponseBytes`; the connection was closed. */
export class ResponseTooLargeError extends MatterkitError {
  readonly method: string
  readonly path: string
  /** The limit that was passed, in bytes. */
  readonly limitBytes: number
  constructor(info: RequestInfo & { limitBytes: number }) {
    super(
      'MK_ERR_RESPONSE_TOO_LARGE',
      `${info.method} ${info.path}: the response is larger than ${info.limitBytes} bytes, so it was not read and the connection was closed. If such an answer is expected, raise the client's \`maxResponseBytes\` option (or page the request).`,
    )
    this.method = info.method
    this.path = info.path
    this.limitBytes = info.limitBytes
  }
}

/** The server answered with a success status, but not with the JSON body the call expects. */
export class ProtocolError extends MatterkitError {
  readonly method: string
  readonly path: string
  readonly status: number
  constructor(message: string, info: RequestInfo & { status: number }) {
    super('MK_ERR_PROTOCOL', message)
    this.method = info.method
    this.path = info.path
    this.status = info.status
  }
}

const HINTS: Record<number, string> = {
  401: 'Check the token: it must be a bot or personal access token (not its id) that is still valid.',
  403: "The account lacks a permission this call needs: membership of the team or channel, or a role (e.g. team admin for integrations, delete_others_posts to delete others' posts).",
  404: 'Check the id or name; the bot may also not be allowed to see it.',
  413: 'The body is larger than the server allows (MaximumPayloadSizeBytes / MaxFileSize).',
  501: 'This feature is disabled in the server config (System Console).',
}

/** Build the right error class for an HTTP error answer. */
export function apiErrorFor(
  status: number,
  body: { id?: string; message?: string } | undefined,
  info: RequestInfo & { requestId: string },
): ApiError {
  // The server's own words can echo the token (server/channels/app/session.go:
  // api.context.invalid_token.error is "Invalid session token={{.Token}}…"): redact them before
  // they reach `message`, and so `stack`, inspect and JSON.
  const serverId = typeof body?.id === 'string' ? redactString(body.id) : ''
  const serverMsg = typeof body?.message === 'string' ? redactString(body.message) : `HTTP ${status}`
  const hint = HINTS[status] ? ` ${HINTS[status]}` : ''
  let message = `${info.method} ${info.path} → ${status} ${serverMsg}${serverId ? ` [${serverId}]` : ''}.${hint}`
  if (serverId === 'api.user.login.bot_login_forbidden.app_error') {
    message = `Bots cannot log in with a password. Create an access token for the bot (System Console → Integrations → Bot Accounts) and pass it as \`token\`.`
  }
  const full = { ...info, requestId: redactString(info.requestId), status, serverId }
  if (status === 400) return new BadRequestError(message, full)
  if (status === 401) return new AuthError(message, full)
  if (status === 403) return new ForbiddenError(message, full)
  if (status === 404) return new NotFoundError(message, full)
  if (status === 413) return new PayloadTooLargeError(message, full)
  if (status === 501) return new NotImplementedError(message, full)
  if (status >= 500) return new ServerError(message, full)
  return new ApiError('MK_ERR_API', message, full)
}
