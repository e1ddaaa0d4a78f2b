/**
 * The errors the emulator answers with, as the server's AppError JSON, and the ones every
 * handler needs (bad body or URL parameter, permission, not found, disabled).
 * @module
 */

/** An error the emulator answers as AppError JSON (`status`, `id`, message, detailed error). */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
    readonly detailed = '',
  ) {
    super(message)
  }
}

/** 400 for a bad body parameter. */
export function badParam(name: string): AppError {
  return new AppError(
    400,
    'api.context.invalid_body_param.app_error',
    `Invalid or missing ${name} in request body.`,
  )
}

/** 400 for a bad URL parameter. */
export function badUrlParam(name: string): AppError {
  return new AppError(
    400,
    'api.context.invalid_url_param.app_error',
    `Invalid or missing ${name} parameter in request URL.`,
  )
}

/** 403 `api.context.permissions.app_error`. */
export function forbidden(): AppError {
  return new AppError(
    403,
    'api.context.permissions.app_error',
    'You do not have the appropriate permissions.',
  )
}

/** 404 with the given error id. */
export function notFound(id: string, what: string): AppError {
  return new AppError(404, id, `Unable to find the ${what}.`)
}

/** 501 for a feature turned off in the config. */
export function disabled(id: string): AppError {
  return new AppError(501, id, 'This feature has been disabled by the system admin.')
}
