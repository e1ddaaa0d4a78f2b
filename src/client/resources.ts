/**
 * Endpoint groups: thin typed wrappers over `Client.request()`. The method → endpoint table is
 * in `docs/client-endpoints.md`. Split by area into `resources-*.ts`.
 * @module
 */

export type { PageParams, Requester } from './resource-base.js'
export * from './resources-integrations.js'
export * from './resources-people.js'
export * from './resources-posts.js'
