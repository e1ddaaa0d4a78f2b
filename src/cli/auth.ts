/**
 * `matterkit auth`: saved server profiles.
 * @module
 */
import type { Command } from 'commander'
import { Client } from '../realtime/client.js'
import { configPath, readConfig, writeConfig } from './config.js'
import { type Cli, ExitError, usage } from './shared.js'

/** Register the profile subcommands. */
export function registerAuth(program: Command, cli: Cli): void {
  const { io, g, print, tls } = cli
  const auth = program
    .command('auth')
    .description('saved server profiles (token stored with 0600 permissions, never printed)')
  auth
    .command('login <name>')
    .description(
      'save a profile and make it current: the URL from --url or MATTERMOST_URL, the token from MATTERMOST_TOKEN, stdin or a prompt',
    )
    .action(async (name: string) => {
      const o = g()
      const url = o.url ?? process.env.MATTERMOST_URL
      if (!url) throw usage('auth login needs the server URL: --url <url> or MATTERMOST_URL.')
      // argv is readable by every local user (ps, /proc/PID/cmdline) and lands in shell history
      if (o.token)
        io.err(
          'matterkit: warning: a --token in argv is visible in `ps` and your shell history; next time pipe it on stdin or answer the prompt.',
        )
      const ask = async (): Promise<string> =>
        (io.secret ? await io.secret('Token: ') : ((await io.stdin?.()) ?? '')).trim()
      const token = o.token ?? process.env.MATTERMOST_TOKEN ?? (await ask())
      if (!token)
        throw usage(
          'auth login needs a token: type it at the prompt, pipe it on stdin, or set MATTERMOST_TOKEN.',
        )
      const c = new Client({ url, token, ...tls() })
      const me = await c.users.me()
      await c.close()
      const cfg = readConfig()
      cfg.profiles[name] = { url, token, ...(o.team ? { team: o.team } : {}) }
      cfg.current = name
      writeConfig(cfg)
      print(`saved profile "${name}" (@${me.username}) in ${configPath()}`, {
        profile: name,
        username: me.username,
      })
    })
  auth
    .command('list')
    .description('list the saved profiles (* marks the current one)')
    .action(() => {
      const cfg = readConfig()
      const list = Object.entries(cfg.profiles).map(([n, p]) => ({
        name: n,
        url: p.url,
        current: n === cfg.current,
      }))
      print(list.map(p => `${p.current ? '*' : ' '} ${p.name}  ${p.url}`).join('\n') || '(no profiles)', list)
    })
  auth
    .command('use <name>')
    .description('make a saved profile the current one')
    .action((name: string) => {
      const cfg = readConfig()
      if (!cfg.profiles[name]) throw new ExitError(4, `No profile "${name}".`)
      cfg.current = name
      writeConfig(cfg)
      print(`using ${name}`, { current: name })
    })
  auth
    .command('remove <name>')
    .description('delete a saved profile')
    .action((name: string) => {
      const cfg = readConfig()
      if (!cfg.profiles[name]) throw new ExitError(4, `No profile "${name}".`)
      delete cfg.profiles[name]
      if (cfg.current === name) delete cfg.current
      writeConfig(cfg)
      print(`removed ${name}`, { removed: name })
    })
}
