/** Wire model types (declarations only). @module */
export type * from './models.js'
