/**
 * matterkit: the TypeScript toolkit for Mattermost bots and integrations.
 *
 * @example
 * ```ts
 * import { Client } from 'matterkit'
 * const mm = new Client({ url: 'chat.example.com', token: process.env.MATTERMOST_TOKEN })
 * console.log((await mm.users.me()).username)
 * ```
 * @module
 */
export * from './bot/index.js'
export * from './client/index.js'
export * from './core/index.js'
export * from './http/index.js'
export * from './realtime/index.js'
export type * from './types/index.js'
