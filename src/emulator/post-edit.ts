/**
 * Editing a post (`PUT /posts/{id}` and `PUT /posts/{id}/patch`) as the real `App.UpdatePost` /
 * `App.PatchPost` do it: the archived-channel check, the file-id changes (new files are attached
 * when they can be, silently dropped when not; removed files are detached), then the same
 * `Post.IsValid` limits a new post meets (message runes, file-id list, props size).
 * @module
 */
import type { Post, PostProps } from '../types/index.js'
import type { App } from './app.js'
import { AppError } from './errors.js'
import { newId } from './ids.js'

/** `model.PostMessageMaxRunesV2`, the limit `createPost` applies too. */
const MAX_MESSAGE_RUNES = 16383
/** `model.PostFileidsMaxRunes`: the JSON of the id list (≈ 10 ids). */
const MAX_FILE_IDS_RUNES = 300
/** `model.PostPropsMaxRunes`. */
const MAX_PROPS_RUNES = 800_000
/** Props `Post.SanitizeProps` drops from any update. */
const UNSETTABLE_PROPS = ['add_channel_member', 'force_notification']

export type EditKind = 'update' | 'patch'

export interface PostChange {
  message?: string
  props?: PostProps
  /** `undefined`: keep the post's files (a nil list on the real server). */
  fileIds?: string[]
}

function invalid(field: string, text: string): AppError {
  return new AppError(400, `model.post.is_valid.${field}.app_error`, text)
}

function runes(s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

/** Runes of the props as Go's `json.Marshal` writes them (`<`, `>`, `&`, U+2028/9 escaped to 6). */
function propsRunes(props: PostProps): number {
  const json = JSON.stringify(props) ?? ''
  return runes(json) + 5 * (json.match(/[<>&\u2028\u2029]/g)?.length ?? 0)
}

/**
 * `ai_generated_by` names who a model wrote the post for; the server accepts only the poster or a
 * bot, adds `ai_generated_by_username`, and drops the prop when the user does not exist
 * (app/post.go, `FillInPostProps`), on a new post and an edit alike.
 */
export function fillAiGeneratedBy(app: App, props: PostProps, posterId: string): void {
  const id = props.ai_generated_by
  if (typeof id !== 'string' || id === '') return
  const user = app.store.users.get(id)
  if (!user) {
    delete props.ai_generated_by
    return
  }
  if (user.id !== posterId && !user.is_bot)
    throw new AppError(
      400,
      'api.post.fill_in_post_props.invalid_ai_generated_user.app_error',
      'The AI-generated-by user must be the poster or a bot.',
    )
  props.ai_generated_by_username = user.username
}

/** `Post.IsValid`'s limits (message runes, file-id list, props size), for a new post and an edit alike. */
export function checkPostLimits(message: string, fileIds: readonly string[], props: PostProps): void {
  // code points never outnumber UTF-16 units, so only long messages need the exact count
  if (message.length > MAX_MESSAGE_RUNES && runes(message) > MAX_MESSAGE_RUNES)
    throw invalid('message_length', 'Message property length is greater than the allowed limit.')
  if (JSON.stringify(fileIds).length > MAX_FILE_IDS_RUNES) throw invalid('file_ids', 'Invalid file ids.')
  if (propsRunes(props) > MAX_PROPS_RUNES) throw invalid('props', 'Invalid props.')
}

/** 400 when the post's channel is archived (checked before anything else the edit does). */
export function checkEditableChannel(app: App, post: Post, kind: EditKind): void {
  if (!app.store.channels.get(post.channel_id)?.delete_at) return
  throw new AppError(
    400,
    `api.post.${kind === 'patch' ? 'patch' : 'update'}_post.can_not_update_post_in_deleted.error`,
    'Can not update a post in a deleted channel.',
  )
}

/**
 * Validate `change` against `post` and apply it. `editorId` is the session user: new files must
 * be theirs (an admin editing someone's post attaches their own uploads). Returns whether the
 * message changed (the caller sets `edit_at`).
 */
export function applyPostEdit(app: App, editorId: string, post: Post, change: PostChange): boolean {
  const { store } = app
  const message = change.message ?? post.message
  let props = change.props ?? post.props
  if (change.props && UNSETTABLE_PROPS.some(k => k in props)) {
    props = { ...props }
    for (const k of UNSETTABLE_PROPS) delete props[k]
  }
  const before = [...new Set(post.file_ids ?? [])]
  let fileIds = before
  let attach: string[] = []
  let detach: string[] = []
  if (change.fileIds) {
    const wanted = [...new Set(change.fileIds)]
    const added = wanted.filter(id => !before.includes(id))
    detach = before.filter(id => !wanted.includes(id))
    attach = added.filter(id => {
      const f = store.files.get(id)?.info
      return (
        !!f &&
        !f.delete_at &&
        !f.post_id &&
        f.user_id === editorId &&
        (f.channel_id ?? '') === post.channel_id
      )
    })
    fileIds =
      attach.length === added.length ? wanted : [...attach, ...wanted.filter(id => before.includes(id))]
  }
  checkPostLimits(message, fileIds, props)
  if (change.props) {
    props = props === change.props ? { ...props } : props
    fillAiGeneratedBy(app, props, post.user_id)
  }

  const changed = message !== post.message
  post.message = message
  if (changed) post.hashtags = (message.match(/#\w+/g) ?? []).join(' ')
  post.props = props
  if (change.fileIds) {
    const t = store.now()
    for (const id of attach) {
      store.files.get(id)!.info.post_id = post.id
      store.touch('file', id)
    }
    for (const id of detach) {
      const f = store.files.get(id)
      if (!f) continue
      f.info.delete_at = t
      store.touch('file', id)
    }
    post.file_ids = fileIds
    const { files: _old, ...rest } = post.metadata ?? {}
    const infos = fileIds.map(id => store.files.get(id)?.info).filter(i => !!i)
    post.metadata = infos.length ? { ...rest, files: infos } : rest
  }
  return changed
}

/**
 * Keep the version an edit replaced: sqlstore's Post().Update inserts the old row under a new
 * id with `original_id` set to the live post and `delete_at` stamped, which
 * `GET /posts/{id}/edit_history` reads back. Call it only when the message changed.
 */
export function recordEdit(app: App, before: Post): void {
  const t = app.store.now()
  const list = app.store.edits.get(before.id) ?? []
  list.push({ ...before, id: newId(), original_id: before.id, delete_at: t, update_at: t })
  app.store.edits.set(before.id, list)
  app.store.touch('edits', before.id)
}
