/** The REST client layer. @module */
export { Client, type ClientEvents, type ClientOptions, type LoginOptions } from './client.js'
export * from './errors.js'
export { iteratePages } from './paginate.js'
export type { CreatePost, PageParams, UploadFile } from './resources.js'
export type { Query, RateLimitInfo, RawResponse, RequestOptions, RetryOptions } from './transport.js'
export type { HttpStack } from './wire.js'
