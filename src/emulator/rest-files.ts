/**
 * REST routes: file upload (multipart and raw), info, download, public link.
 * @module
 */
import { createHmac, randomBytes } from 'node:crypto'
import type { FileInfo } from '../types/index.js'
import type { App, Ctx } from './app.js'
import { AppError, badParam, badUrlParam, forbidden, notFound } from './errors.js'
import { isValidId, newId } from './ids.js'
import { MultipartError, parseMultipart } from './multipart.js'
import { readableChannel } from './rest-channels.js'

const MIME: Record<string, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  json: 'application/json',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  pdf: 'application/pdf',
  csv: 'text/csv',
}

/** A per-process secret for public-link hashes (links do not survive a restart). */
const LINK_SALT = randomBytes(16)

function linkHash(fileId: string): string {
  return createHmac('sha256', LINK_SALT).update(fileId).digest('base64url')
}

export function registerFiles(app: App): void {
  const { store } = app
  const attachmentsOn = (): void => {
    if (!app.config.EnableFileAttachments)
      throw new AppError(
        403,
        'api.file.attachments.disabled.app_error',
        'File attachments have been disabled on this server.',
      )
  }
  // --- files ---
  const saveFile = (ctx: Ctx, channelId: string, name: string, data: Buffer): FileInfo => {
    const me = ctx.user()
    attachmentsOn()
    if (!isValidId(channelId)) throw badParam('channel_id')
    readableChannel(app, ctx, channelId)
    if (!store.isChannelMember(channelId, me.id)) throw forbidden()
    if (data.length > app.config.MaxFileSize)
      throw new AppError(413, 'api.file.upload_file.too_large_detailed.app_error', 'File too large.')
    const t = store.now()
    const ext = name.includes('.') ? name.split('.').pop()!.toLowerCase() : ''
    const info: FileInfo = {
      id: newId(),
      user_id: me.id,
      channel_id: channelId,
      post_id: '',
      create_at: t,
      update_at: t,
      delete_at: 0,
      name,
      extension: ext,
      size: data.length,
      mime_type: MIME[ext] ?? 'application/octet-stream',
      width: 0,
      height: 0,
      has_preview_image: false,
      mini_preview: null,
      archived: false,
    }
    store.files.set(info.id, { info, data })
    store.touch('file', info.id)
    return info
  }
  app.route('POST', '/api/v4/files', async ctx => {
    ctx.user()
    attachmentsOn()
    const ct = ctx.req.headers['content-type'] ?? ''
    if (Number(ctx.req.headers['content-length'] ?? -1) === 0)
      throw new AppError(
        400,
        'api.file.upload_file.read_request.app_error',
        'Unable to upload file(s). Error reading or parsing request data.',
      )
    const body = await ctx.raw(app.config.MaxFileSize + 64 * 1024)
    if (ct.startsWith('multipart/form-data')) {
      let parts: ReturnType<typeof parseMultipart>
      try {
        parts = parseMultipart(body, ct)
      } catch (err) {
        if (!(err instanceof MultipartError)) throw err
        // api4/file.go: a body the multipart reader rejects is this 400, nothing is saved
        throw new AppError(
          400,
          'api.file.upload_file.read_request.app_error',
          'Unable to upload file(s). Error reading or parsing request data.',
          err.message,
        )
      }
      const channelId =
        parts.find(p => p.name === 'channel_id')?.data.toString() ?? ctx.query.get('channel_id') ?? ''
      const clientIds = parts.filter(p => p.name === 'client_ids').map(p => p.data.toString())
      const files = parts.filter(p => p.filename !== undefined)
      if (!files.length)
        throw new AppError(400, 'api.file.upload_file.read_request.app_error', 'No files in request.')
      if (clientIds.length && clientIds.length !== files.length) throw badParam('client_ids')
      const infos = files.map(f => saveFile(ctx, channelId, f.filename!, f.data))
      return { status: 201, body: { file_infos: infos, client_ids: clientIds } }
    }
    const channelId = ctx.query.get('channel_id') ?? ''
    const filename = ctx.query.get('filename')
    if (!filename) throw badUrlParam('filename')
    const info = saveFile(ctx, channelId, filename, body)
    const cid = ctx.query.get('client_id')
    return { status: 201, body: { file_infos: [info], client_ids: cid ? [cid] : [] } }
  })
  const fileOr404 = (ctx: Ctx) => {
    const me = ctx.user()
    attachmentsOn()
    if (!isValidId(ctx.params.file_id)) throw badUrlParam('file_id')
    const f = store.files.get(ctx.params.file_id)
    if (!f || f.info.delete_at) throw notFound('app.file_info.get.app_error', 'file')
    if (f.info.user_id !== me.id && !store.isChannelMember(f.info.channel_id ?? '', me.id)) throw forbidden()
    return f
  }
  const send = (ctx: Ctx, f: { info: FileInfo; data: Buffer }): undefined => {
    const disp = ctx.query.get('download') === '1' ? 'attachment' : 'inline'
    ctx.res.writeHead(200, {
      'Content-Type': f.info.mime_type,
      'Content-Length': f.data.length,
      'Content-Disposition': `${disp}; filename="${encodeURIComponent(f.info.name)}"`,
      'X-Content-Type-Options': 'nosniff',
      'X-Request-ID': ctx.requestId,
    })
    ctx.res.end(f.data)
    return undefined
  }
  const publicLinkOn = (): void => {
    if (!app.config.EnablePublicLink)
      throw new AppError(
        501,
        'api.file.get_public_link.disabled.app_error',
        'Public links have been disabled.',
      )
  }
  app.route('GET', '/api/v4/files/:file_id/info', ctx => ({ body: fileOr404(ctx).info }))
  app.route('GET', '/api/v4/files/:file_id/link', ctx => {
    const f = fileOr404(ctx)
    publicLinkOn()
    if (!f.info.post_id)
      throw new AppError(
        400,
        'api.file.get_public_link.no_post.app_error',
        'Unable to get public link for file. File must be attached to a post that can be read by the current user.',
      )
    return { body: { link: `${app.config.SiteURL}/files/${f.info.id}/public?h=${linkHash(f.info.id)}` } }
  })
  for (const kind of ['thumbnail', 'preview'] as const) {
    app.route('GET', `/api/v4/files/:file_id/${kind}`, ctx => {
      const f = fileOr404(ctx)
      if (!f.info.has_preview_image)
        throw new AppError(
          400,
          `api.file.get_file_${kind}.no_${kind}.app_error`,
          `File doesn't have a ${kind} image.`,
        )
      return send(ctx, f)
    })
  }
  app.route('GET', '/api/v4/files/:file_id', ctx => send(ctx, fileOr404(ctx)))
  // The public link: no session, the hash authorises.
  app.route('GET', '/files/:file_id/public', ctx => {
    publicLinkOn()
    const f = store.files.get(ctx.params.file_id!)
    if (!f || ctx.query.get('h') !== linkHash(f.info.id))
      throw new AppError(
        400,
        'api.file.get_file.public_invalid.app_error',
        'The public link does not appear to be valid.',
      )
    return send(ctx, f)
  })
}
