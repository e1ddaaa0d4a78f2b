/** Wire model types (declarations only). @module */
export type * from './integrations.js'
export type * from './models.js'
export type * from './posts.js'
export type * from './websocket.js'
