/** The REST client layer. @module */
export { Client, type ClientEvents, type ClientOptions, type LoginOptions } from './client.js'
export * from './errors.js'
export { iteratePages } from './paginate.js'
export type { PageParams } from './resource-base.js'
export type { CreatePost, UploadFile } from './resources-posts.js'
export type { Query, RateLimitInfo, RawResponse, RequestOptions, RetryOptions } from './transport.js'
export type { HttpStack } from './wire.js'
