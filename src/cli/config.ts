/**
 * CLI configuration: profiles in a 0600 JSON file, environment variables and a `.env` file.
 * @module
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseEnv } from 'node:util'

/** A saved server profile. */
export interface Profile {
  url: string
  token: string
  team?: string
}

export interface ConfigFile {
  current?: string
  profiles: Record<string, Profile>
}

/** Path of the config file (`$MATTERKIT_CONFIG` or `~/.config/matterkit/config.json`). */
export function configPath(env = process.env): string {
  return (
    env.MATTERKIT_CONFIG ??
    join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'matterkit', 'config.json')
  )
}

export function readConfig(path = configPath()): ConfigFile {
  try {
    const c = JSON.parse(readFileSync(path, 'utf8')) as ConfigFile
    return { profiles: c.profiles ?? {}, ...(c.current ? { current: c.current } : {}) }
  } catch {
    return { profiles: {} }
  }
}

/** Write the config with mode 0600 (it holds tokens). */
export function writeConfig(c: ConfigFile, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  writeFileSync(path, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 })
  chmodSync(path, 0o600)
}

/**
 * Load a `.env` file with Node's own parser (`util.parseEnv`, the one `node --env-file` uses:
 * quotes, multi-line values, `export`, comments). Existing env vars win.
 */
export function loadDotEnv(file = join(process.cwd(), '.env'), env = process.env): void {
  if (!existsSync(file)) return
  for (const [k, v] of Object.entries(parseEnv(readFileSync(file, 'utf8')))) {
    if (env[k] === undefined) env[k] = v
  }
}

/** Resolved connection settings (each may be missing). */
export interface Connection {
  url?: string
  token?: string
  team?: string
}

/** Resolve connection settings: flags, then env, then the chosen or current profile. */
export function resolveConnection(
  flags: { url?: string; token?: string; profile?: string; team?: string },
  env = process.env,
  cfgPath = configPath(env),
): Connection {
  const cfg = readConfig(cfgPath)
  const prof = cfg.profiles[flags.profile ?? cfg.current ?? ''] ?? undefined
  const url = flags.url ?? env.MATTERMOST_URL ?? prof?.url
  const token = flags.token ?? env.MATTERMOST_TOKEN ?? prof?.token
  const team = flags.team ?? env.MATTERMOST_TEAM ?? prof?.team
  return { ...(url ? { url } : {}), ...(token ? { token } : {}), ...(team ? { team } : {}) }
}
