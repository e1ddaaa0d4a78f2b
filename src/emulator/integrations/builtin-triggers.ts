/**
 * The triggers of the server's built-in slash-command providers (`server/channels/app/slashcommands`),
 * which `validateCommandTriggerUniqueness` (app/command.go) reserves: a custom command may not use
 * one (400 `api.command.duplicate_trigger.app_error`, compared case-insensitively).
 *
 * Only providers whose `GetCommand` returns a command on a stock server count: `/test` needs
 * `EnableTesting` and `/exportlink` a feature flag plus a dedicated export store, so both stay free.
 * `/invite_people` and `/marketplace` are reserved even when their features are off (their
 * providers still return a command, with autocomplete off).
 * @module
 */
export const BUILT_IN_TRIGGERS: ReadonlySet<string> = new Set([
  'away',
  'code',
  'collapse',
  'dnd',
  'echo',
  'expand',
  'groupmsg',
  'header',
  'help',
  'invite',
  'invite_people',
  'join',
  'kick',
  'leave',
  'logout',
  'marketplace',
  'me',
  'mobile-logs',
  'msg',
  'mute',
  'offline',
  'online',
  'open',
  'purpose',
  'remove',
  'rename',
  'search',
  'secure-connection',
  'settings',
  'share-channel',
  'shortcuts',
  'shrug',
  'status',
])
