/** The HTTP receiver layer. @module */
export * from './adapters.js'
export * from './receiver.js'
export { respond } from './respond.js'
export { signPayload, verifyPayload } from './sign.js'
