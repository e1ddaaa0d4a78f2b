/**
 * Multipart bodies are read as Go's mime/multipart reads them for the server: quoted-string
 * escapes and RFC 2231 names in Content-Disposition, the file name cut to its last path element
 * (Part.FileName), and a body without its closing boundary refused with nothing saved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client } from '../../src/realtime/client.js'
import { api, MEMBER_INTEGRATIONS, type Seeded, startSeeded } from './helpers.js'

let s: Seeded
beforeAll(async () => {
  s = await startSeeded(MEMBER_INTEGRATIONS)
})
afterAll(async () => {
  await s.emu.stop()
})

const B = 'mkboundary42'
const CT = { 'Content-Type': `multipart/form-data; boundary=${B}` }
const part = (disposition: string, data: string) =>
  `--${B}\r\nContent-Disposition: form-data; ${disposition}\r\nContent-Type: text/plain\r\n\r\n${data}\r\n`
const upload = (body: string, headers: Record<string, string> = CT) =>
  api(s.emu, s.alice, 'POST', `/api/v4/files?channel_id=${s.town}`, Buffer.from(body), headers)

describe('file names as the server reads them', () => {
  const cases: Array<[string, string, string]> = [
    ['a backslash-escaped quote', 'filename="say \\"hi\\".txt"', 'say "hi".txt'],
    ['a path, cut to its last element', 'filename="../../etc/passwd"', 'passwd'],
    ["RFC 2231 filename* (UTF-8'')", "filename*=UTF-8''na%C3%AFve%20file.txt", 'naïve file.txt'],
  ]
  for (const [what, param, stored] of cases)
    it(`${what} → ${stored}`, async () => {
      const r = await upload(`${part(`name="files"; ${param}`, 'x')}--${B}--\r\n`)
      expect(r.status).toBe(201)
      expect(r.body.file_infos[0].name).toBe(stored)
    })

  it("the client's escaping round-trips: quotes, backslashes and CR/LF never break the header", async () => {
    const c = new Client({ url: s.emu.url, token: s.alice })
    try {
      const name = 'we"ird\\name.txt'
      const [info] = await c.files.upload(s.town, [{ name, data: Buffer.from('hello') }])
      expect(info?.name).toBe(name)
      const evil = 'a\r\nX-Evil: 1.txt'
      const [info2] = await c.files.upload(s.town, [{ name: evil, data: Buffer.from('x') }])
      expect(info2?.name).not.toContain('\r')
      expect(info2?.name).not.toContain('\n')
    } finally {
      await c.close()
    }
  })
})

describe('malformed bodies are a 400 and save nothing', () => {
  const READ = 'api.file.upload_file.read_request.app_error'
  const bad: Array<[string, string, Record<string, string>]> = [
    ['no closing boundary (a cut body)', part('name="files"; filename="cut.txt"', 'half'), CT],
    [
      'no boundary parameter',
      `${part('name="files"; filename="nob.txt"', 'x')}--${B}--\r\n`,
      { 'Content-Type': 'multipart/form-data' },
    ],
    [
      'part headers that never end',
      `--${B}\r\nContent-Disposition: form-data; name="files"; filename="h.txt"`,
      CT,
    ],
  ]
  for (const [what, body, headers] of bad)
    it(what, async () => {
      const r = await upload(body, headers)
      expect([r.status, r.body.id]).toEqual([400, READ])
    })
  it('a cut second part drops the whole request, not just that part', async () => {
    const body = `${part('name="files"; filename="first.txt"', 'one')}${part('name="files"; filename="second.txt"', 'tw')}`
    const r = await upload(body.slice(0, -6))
    expect(r.status).toBe(400)
  })
})

describe('incoming webhooks with multipart bodies', () => {
  let hook: string
  beforeAll(async () => {
    hook = (await api(s.emu, s.alice, 'POST', '/api/v4/hooks/incoming', { channel_id: s.town })).body.id
  })
  it('a payload field posts', async () => {
    const body = `${part('name="payload"', JSON.stringify({ text: 'from multipart' }))}--${B}--\r\n`
    const r = await api(s.emu, undefined, 'POST', `/hooks/${hook}`, Buffer.from(body), CT)
    expect(r.status).toBe(200)
  })
  it('a cut body is a 400', async () => {
    const body = part('name="text"', 'never closed')
    const r = await api(s.emu, undefined, 'POST', `/hooks/${hook}`, Buffer.from(body), CT)
    expect(r.status).toBe(400)
  })
})
