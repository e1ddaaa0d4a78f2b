/**
 * Reading a secret (a token) without putting it in argv: a prompt that does not echo in a
 * terminal, else the first line of stdin (`matterkit auth login prod < token.txt`).
 * @module
 */

/** Ask for a secret on the terminal without echoing it, or read it from piped stdin. */
export async function readSecret(prompt: string): Promise<string> {
  const stdin = process.stdin
  if (!stdin.isTTY) {
    const chunks: Buffer[] = []
    for await (const c of stdin) chunks.push(c as Buffer)
    return (Buffer.concat(chunks).toString().split(/\r?\n/)[0] ?? '').trim()
  }
  process.stderr.write(prompt)
  stdin.setRawMode(true)
  stdin.resume()
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = ''
      const onData = (b: Buffer): void => {
        for (const ch of b.toString('utf8')) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') {
            stdin.off('data', onData)
            resolve(value.trim())
            return
          }
          if (ch === '\u0003') {
            stdin.off('data', onData)
            reject(new Error('cancelled'))
            return
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
          else value += ch
        }
      }
      stdin.on('data', onData)
    })
  } finally {
    stdin.setRawMode(false)
    stdin.pause()
    process.stderr.write('\n')
  }
}
