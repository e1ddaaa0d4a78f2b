/**
 * Core primitives shared by every layer: errors, redaction, logging, URL handling, timing, events.
 * Imports nothing but Node built-ins.
 * @module
 */
export * from './emitter.js'
export * from './errors.js'
export * from './logger.js'
export * from './redact.js'
export * from './time.js'
export * from './url.js'
