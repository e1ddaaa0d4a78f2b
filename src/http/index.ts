/** The HTTP receiver layer. @module */
export * from './adapters.js'
export * from './receiver.js'
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
