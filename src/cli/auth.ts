/**
 * `matterkit auth`: saved server profiles.
 * @module
 */
import type { Command } from 'commander'
import { Client } from '../client/client.js'
import { configPath, readConfig, writeConfig } from './config.js'
import { type Cli, ExitError } from './shared.js'

/** Register the profile subcommands. */
export function registerAuth(program: Command, cli: Cli): void {
  const { g, print } = cli
  const auth = program
    .command('auth')
    .description('saved server profiles (token stored with 0600 permissions, never printed)')
  auth
    .command('login <name>')
    .description('save a profile from --url/--token (global options) and make it current')
    .action(async (name: string) => {
      const o = g()
      if (!o.url || !o.token) throw new ExitError(2, 'auth login needs --url and --token.')
      const c = new Client({ url: o.url, token: o.token })
      const me = await c.users.me()
      await c.close()
      const cfg = readConfig()
      cfg.profiles[name] = { url: o.url, token: o.token, ...(o.team ? { team: o.team } : {}) }
      cfg.current = name
      writeConfig(cfg)
      print(`saved profile "${name}" (@${me.username}) in ${configPath()}`, {
        profile: name,
        username: me.username,
      })
    })
  auth.command('list').action(() => {
    const cfg = readConfig()
    const list = Object.entries(cfg.profiles).map(([n, p]) => ({
      name: n,
      url: p.url,
      current: n === cfg.current,
    }))
    print(list.map(p => `${p.current ? '*' : ' '} ${p.name}  ${p.url}`).join('\n') || '(no profiles)', list)
  })
  auth.command('use <name>').action((name: string) => {
    const cfg = readConfig()
    if (!cfg.profiles[name]) throw new ExitError(4, `No profile "${name}".`)
    cfg.current = name
    writeConfig(cfg)
    print(`using ${name}`, { current: name })
  })
  auth.command('remove <name>').action((name: string) => {
    const cfg = readConfig()
    delete cfg.profiles[name]
    if (cfg.current === name) delete cfg.current
    writeConfig(cfg)
    print(`removed ${name}`, { removed: name })
  })
}
