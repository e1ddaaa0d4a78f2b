#!/usr/bin/env node
import('../dist/cli/main.js').then(
  async m => {
    process.exitCode = await m.main(process.argv.slice(2))
  },
  err => {
    console.error(`matterkit: cannot load the CLI (${err.message}). Run "npm run build" first.`)
    process.exitCode = 1
  },
)
