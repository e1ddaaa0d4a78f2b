/** The HTTP receiver layer. @module */
export * from './adapters.js'
export type { ReceiverEvent } from './events.js'
export * from './receiver.js'
export type {
  Receiver,
  ReceiverOptions,
  ReceiverReply,
  ReceiverRequest,
  ReceiverResponse,
  ReceiverServer,
} from './receiver-types.js'
export { respond } from './respond.js'
export {
  type ActionEnvelope,
  type DialogEnvelope,
  defaultSigningSecret,
  signActionContext,
  signDialogState,
  signPayload,
  verifyActionContext,
  verifyDialogState,
  verifyPayload,
} from './sign.js'
