/**
 * `matterkit commands`, `matterkit webhooks` and `matterkit export`.
 * @module
 */
import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { Post } from '../types/index.js'
import { type Cli, usage } from './shared.js'

/** Whether `--url` appears in argv after the subcommand `name` (so it was meant for it). */
function urlAfter(argv: readonly string[], name: string): boolean {
  const at = argv.indexOf(name)
  return at >= 0 && argv.slice(at + 1).some(a => a === '--url' || a.startsWith('--url='))
}

/** Register the slash-command, webhook and export subcommands. */
export function registerManage(program: Command, cli: Cli): void {
  const { io, argv, g, client, print, channelId, teamId } = cli
  const commands = program.command('commands').description('manage slash commands')
  commands
    .command('list')
    .description('list the team’s slash commands')
    .action(async () => {
      const c = client()
      const list = await c.commands.list(await teamId(c))
      print(
        list.map(x => `/${x.trigger}  ${x.method === 'G' ? 'GET' : 'POST'} ${x.url}  (${x.id})`).join('\n') ||
          '(none)',
        list.map(({ token: _t, ...x }) => x),
      )
      await c.close()
    })
  commands
    .command('create <trigger> <url>')
    .description('create a slash command /<trigger> that calls <url>')
    .option('--description <text>', 'shown in the autocomplete list')
    .option('--get', 'use GET instead of POST')
    .action(async (trigger: string, url: string, o: { description?: string; get?: boolean }) => {
      const c = client()
      const cmd = await c.commands.create({
        team_id: await teamId(c),
        trigger,
        url,
        method: o.get ? 'G' : 'P',
        description: o.description ?? '',
        auto_complete: true,
      })
      print(
        `created /${cmd.trigger} (${cmd.id}); its token is shown once in the System Console or via --json`,
        cmd,
      )
      await c.close()
    })
  commands
    .command('update <id>')
    .description('change a slash command’s URL or description')
    // not `--url`: that is the global server URL, and commander gives it to the program
    .option('--command-url <url>', 'the URL the command calls')
    .option('--description <text>', 'shown in the autocomplete list')
    .action(async (id: string, o: { commandUrl?: string; description?: string }) => {
      // `commands update ID --url X` would otherwise connect to X as the server
      if (urlAfter(argv, 'update'))
        throw usage('`--url` is the server URL; use --command-url <url> for the command’s own URL.')
      if (o.commandUrl === undefined && o.description === undefined)
        throw usage('Nothing to update: pass --command-url <url> and/or --description <text>.')
      const c = client()
      const cur = await c.commands.get(id)
      const cmd = await c.commands.update(id, {
        ...cur,
        ...(o.commandUrl !== undefined ? { url: o.commandUrl } : {}),
        ...(o.description !== undefined ? { description: o.description } : {}),
      })
      print(`updated /${cmd.trigger}`, { id: cmd.id, trigger: cmd.trigger, url: cmd.url })
      await c.close()
    })
  commands
    .command('delete <id>')
    .description('delete a slash command')
    .action(async (id: string) => {
      const c = client()
      await c.commands.delete(id)
      print('deleted', { ok: true })
      await c.close()
    })

  const webhooks = program.command('webhooks').description('manage incoming webhooks')
  webhooks
    .command('list')
    .description('list the team’s incoming webhooks')
    .action(async () => {
      const c = client()
      const list = await c.webhooks.incoming.list({ team_id: await teamId(c) })
      print(list.map(h => `${h.id}  ${h.display_name}  → ${h.channel_id}`).join('\n') || '(none)', list)
      await c.close()
    })
  webhooks
    .command('create <channel>')
    .description('create an incoming webhook that posts in <channel>')
    .option('--name <name>', 'display name of the hook', 'matterkit')
    .action(async (ref: string, o: { name?: string }) => {
      const c = client()
      const h = await c.webhooks.incoming.create({
        channel_id: await channelId(c, ref),
        display_name: o.name ?? 'matterkit',
      })
      print(`created ${h.id}: POST ${c.url.base}/hooks/${h.id}`, h)
      await c.close()
    })
  webhooks
    .command('delete <id>')
    .description('delete an incoming webhook')
    .action(async (id: string) => {
      const c = client()
      await c.webhooks.incoming.delete(id)
      print('deleted', { ok: true })
      await c.close()
    })

  program
    .command('export <channel>')
    .description('export a channel to JSONL (resumable) or Markdown')
    .option('--format <fmt>', 'jsonl or md', 'jsonl')
    .option('--out <file>', 'output file (default stdout)')
    .action(async (ref: string, o: { format: string; out?: string }) => {
      if (o.format !== 'jsonl' && o.format !== 'md') throw usage('--format must be jsonl or md')
      const c = client()
      const id = await channelId(c, ref)
      let after: { id: string; create_at: number } | undefined
      // the posts already written in the last post's millisecond (others may share it)
      const seen: string[] = []
      if (o.out && o.format === 'jsonl' && existsSync(o.out)) {
        const lines = readFileSync(o.out, 'utf8').trimEnd().split('\n').filter(Boolean)
        const written = lines.map(l => JSON.parse(l) as { id: string; create_at: number })
        const last = written.at(-1)
        if (last) {
          after = { id: last.id, create_at: last.create_at }
          for (const p of written) if (p.create_at === last.create_at) seen.push(p.id)
        }
      }
      const stream = o.out ? createWriteStream(o.out, { flags: after ? 'a' : 'w' }) : undefined
      const write = (s: string) => (stream ? stream.write(`${s}\n`) : io.out(s))
      const names = new Map<string, string>()
      const roots = new Map<string, { author: string; at: number }>()
      let n = 0
      for await (const p of c.posts.iterateChannel(id, after ? { after, seen } : {})) {
        if (o.format === 'jsonl') write(JSON.stringify(p))
        else {
          if (!names.has(p.user_id)) names.set(p.user_id, (await c.users.get(p.user_id)).username)
          const root = p.root_id ? roots.get(p.root_id) : undefined
          if (!p.root_id) roots.set(p.id, { author: names.get(p.user_id)!, at: p.create_at })
          const md = markdownPost(
            p,
            names.get(p.user_id)!,
            p.root_id ? (root ?? { author: '', at: 0 }) : undefined,
          )
          if (md) write(md)
        }
        if (++n % 200 === 0 && process.stderr.isTTY) process.stderr.write(`\r${n} posts…`)
      }
      if (process.stderr.isTTY) process.stderr.write(`\r${n} posts exported\n`)
      await new Promise<void>(r => (stream ? stream.end(r) : r()))
      if (g().json && o.out) io.out(JSON.stringify({ posts: n, file: o.out, appended: !!after }))
      else if (o.out) io.err(`${n} posts ${after ? 'appended to' : 'written to'} ${o.out}`)
      await c.close()
    })
}

/**
 * One post as Markdown: the author (a webhook's display name when it overrides it), the time, a
 * reply quoted under a link to its root, attachments and files as text. Nothing for a post
 * with nothing to show.
 */
function markdownPost(p: Post, username: string, root?: { author: string; at: number }): string | undefined {
  const props = p.props ?? {}
  const override = typeof props.override_username === 'string' ? props.override_username : ''
  const who = props.from_webhook === 'true' ? `**${override || username}** (webhook)` : `**@${username}**`
  const body: string[] = []
  if (p.message.trim()) body.push(p.message)
  const attachments = Array.isArray(props.attachments)
    ? (props.attachments as Array<Record<string, unknown>>)
    : []
  for (const a of attachments) {
    const text = (k: string) => (typeof a[k] === 'string' && a[k] ? (a[k] as string) : '')
    for (const k of ['pretext', 'title', 'text'])
      if (text(k)) body.push(k === 'title' ? `**${text(k)}**` : text(k))
    for (const f of Array.isArray(a.fields) ? (a.fields as Array<{ title?: string; value?: unknown }>) : [])
      body.push(`- **${f.title ?? ''}**: ${String(f.value ?? '')}`)
  }
  for (const f of p.metadata?.files ?? []) body.push(`📎 ${f.name}`)
  if (!body.length) return undefined
  const at = new Date(p.create_at).toISOString()
  if (!root) return `<a id="p-${p.id}"></a>${who} (${at}): ${body.join('\n\n')}\n`
  const to = root.author
    ? `[@${root.author}, ${new Date(root.at).toISOString()}](#p-${p.root_id})`
    : `[a post](#p-${p.root_id})`
  const quoted = body.join('\n\n').replace(/\n/g, '\n> ')
  return `> ↳ ${who} (${at}), replying to ${to}: ${quoted}\n`
}
