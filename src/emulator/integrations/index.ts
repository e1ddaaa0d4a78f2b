/**
 * The calls Mattermost makes to integrations, and their management endpoints, one module per
 * responsibility: slash commands, incoming and outgoing webhooks, interactive actions (and
 * ephemeral posts), dialogs. See docs/emulator-internals.md.
 * @module
 */
import type { App } from '../app.js'
import { registerActions } from './actions.js'
import { registerCommands } from './commands.js'
import { registerDialogs } from './dialogs.js'
import { registerIncomingWebhooks } from './incoming.js'
import { registerOutgoingWebhooks } from './outgoing.js'

export { ageTrigger } from './shared.js'

export function registerIntegrations(app: App): void {
  registerCommands(app)
  registerIncomingWebhooks(app)
  registerOutgoingWebhooks(app)
  registerActions(app)
  registerDialogs(app)
}
