/**
 * `matterkit dev [bot]`: the emulator, your bot (restarted when its files change) and a chat.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, watch } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { startEmulator } from '../emulator/index.js'
import { runChat } from './chat.js'

/** Options of {@link runDev}. */
export interface DevOptions {
  bot?: string
  port?: number
  chat?: boolean
  /** State directory (default `.matterkit/state`); `false` keeps everything in memory. */
  persist?: string | false
  out?: (s: string) => void
}

/** Run the dev loop until SIGINT (or until `stop()` is called). */
export async function runDev(opts: DevOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const out = opts.out ?? (s => process.stdout.write(`${s}\n`))
  const persist = opts.persist === undefined ? '.matterkit/state' : opts.persist
  const emu = await startEmulator({ port: opts.port ?? 8065, ...(persist ? { persist } : {}) })
  out(
    `▶ emulator on ${emu.url}; you are alice (password ${emu.seed.users.alice.password}); bot token in MATTERMOST_TOKEN`,
  )
  let child: ChildProcess | undefined
  let watcher: ReturnType<typeof watch> | undefined
  if (opts.bot) {
    const file = resolve(opts.bot)
    if (!existsSync(file)) throw new Error(`No such file: ${opts.bot}`)
    const args: string[] = []
    if (/\.[cm]?tsx?$/.test(file)) {
      try {
        createRequire(file).resolve('tsx')
        args.push('--import', 'tsx')
      } catch {
        throw new Error(
          `${opts.bot} is TypeScript: install tsx in your project (npm i -D tsx) or point dev at the compiled .js file.`,
        )
      }
    }
    const startBot = (): void => {
      child = spawn(process.execPath, [...args, file], {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, MATTERMOST_URL: emu.url, MATTERMOST_TOKEN: emu.seed.users.bot.token },
      })
      out(`▶ bot started (${opts.bot}, pid ${child.pid})`)
    }
    startBot()
    let timer: NodeJS.Timeout | undefined
    // the whole project below the bot file (a bot imports its own modules), minus dependencies
    // and the emulator's state
    watcher = watch(dirname(file), { recursive: true }, (_e, name) => {
      if (!name || !/\.(m?[jt]s|json)$/.test(String(name))) return
      if (/(^|[\\/])(node_modules|\.matterkit|\.git)([\\/]|$)/.test(String(name))) return
      clearTimeout(timer)
      timer = setTimeout(() => {
        out(`↻ ${String(name)} changed; restarting the bot`)
        child?.kill()
        startBot()
      }, 150)
    })
  }
  const stop = async (): Promise<void> => {
    watcher?.close()
    child?.kill()
    await emu.stop()
  }
  if (opts.chat) {
    await runChat({
      url: emu.url,
      token: emu.seed.users.alice.token,
      channelId: emu.seed.channels.townSquare.id,
      out,
    })
    await stop()
  }
  return { url: emu.url, stop }
}
