/**
 * Team-scoped permissions of the default roles, as `model/role.go` makes them on a fresh server:
 * integrations belong to team and system admins; members get their own commands and webhooks
 * only with `EnableOnlyAdminIntegrations: false` (`app/permissions_migrations.go` turns that
 * setting into team_user permissions).
 * @module
 */
import type { App } from './app.js'
import { forbidden } from './errors.js'
import type { StoredUser } from './store-types.js'

/** Whether the user holds the system_admin role: the one admin check of the emulator. */
export function isSystemAdmin(u: Pick<StoredUser, 'roles'> | undefined): boolean {
  return !!u && u.roles.split(' ').includes('system_admin')
}

/** The team permissions the emulator checks. */
export type TeamPermission =
  | 'manage_slash_commands'
  | 'manage_others_slash_commands'
  | 'manage_incoming_webhooks'
  | 'manage_others_incoming_webhooks'
  | 'manage_outgoing_webhooks'
  | 'manage_others_outgoing_webhooks'

/** What team_user gets when admins do not keep integrations to themselves. */
const MEMBER_INTEGRATIONS: ReadonlySet<TeamPermission> = new Set([
  'manage_slash_commands',
  'manage_incoming_webhooks',
  'manage_outgoing_webhooks',
])

/**
 * `SessionHasPermissionToTeam`: system admins hold every permission; team_admin holds all of
 * these (role.go); team_user only the member set, and only with `EnableOnlyAdminIntegrations` off.
 */
export function hasTeamPermission(app: App, u: StoredUser, teamId: string, perm: TeamPermission): boolean {
  if (isSystemAdmin(u)) return true
  if (!app.store.isTeamMember(teamId, u.id)) return false
  if (app.store.isTeamAdmin(teamId, u.id)) return true
  return !app.config.EnableOnlyAdminIntegrations && MEMBER_INTEGRATIONS.has(perm)
}

/** 403 `api.context.permissions.app_error` unless {@link hasTeamPermission}. */
export function requireTeamPermission(app: App, u: StoredUser, teamId: string, perm: TeamPermission): void {
  if (!hasTeamPermission(app, u, teamId, perm)) throw forbidden()
}
