/** The CLI. @module */
export { type Io, main } from './main.js'
