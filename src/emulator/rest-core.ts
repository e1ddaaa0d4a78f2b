/**
 * REST routes: system; registers the user, team, channel and thread routes.
 * @module
 */
import type { App } from './app.js'
import { VERSION } from './http.js'
import { registerChannels } from './rest-channels.js'
import { registerUsers } from './rest-users.js'
import { registerThreads } from './threads.js'

export function registerCore(app: App): void {
  // No session needed. `get_server_status=true` adds the store checks, as fields and headers.
  app.route('GET', '/api/v4/system/ping', ctx => {
    const body: Record<string, unknown> = {
      status: 'OK',
      ActiveSearchBackend: 'database',
      AndroidLatestVersion: '',
      AndroidMinVersion: '',
      IosLatestVersion: '',
      IosMinVersion: '',
      version: VERSION,
    }
    if (ctx.query.get('get_server_status') !== 'true') return { body }
    body.database_status = 'OK'
    body.filestore_status = 'OK'
    return { body, headers: { database_status: 'OK', filestore_status: 'OK' } }
  })

  registerUsers(app)
  registerChannels(app)
  registerThreads(app)
}
