/**
 * multipart/form-data read as Go's `mime/multipart` reads it for the server: the boundary from
 * the Content-Type, a body that must end with the closing delimiter, Content-Disposition
 * parameters as `mime.ParseMediaType` parses them (quoted strings with `\` escapes, RFC 2231
 * `filename*`), and the file name cut to its last path element (`Part.FileName`).
 * @module
 */

/** The body is not well-formed multipart; each caller answers with its own 400. */
export class MultipartError extends Error {
  override name = 'MultipartError'
}

/** One part: its form name, the file name when it is a file, and its bytes. */
export interface Part {
  name: string
  filename?: string
  data: Buffer
}

/** Parameters of a header value such as `form-data; name="a"; filename*=UTF-8''b%20c`. */
export function headerParams(value: string): Record<string, string> {
  const out: Record<string, string> = {}
  const extended: Record<string, string> = {}
  const re = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const key = m[1]!.toLowerCase()
    const raw = m[2]!
    if (key.endsWith('*')) {
      // RFC 2231: charset'language'percent-encoded; only UTF-8 (and US-ASCII) as Go accepts.
      const ext = /^(utf-8|us-ascii)'[^']*'(.*)$/i.exec(raw)
      if (!ext) continue
      try {
        extended[key.slice(0, -1)] = decodeURIComponent(ext[2]!)
      } catch {
        throw new MultipartError(`bad ${key} parameter`)
      }
    } else out[key] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw
  }
  return { ...out, ...extended }
}

/** `filepath.Base` on Linux: the last element, with trailing slashes dropped. */
function baseName(name: string): string {
  const trimmed = name.replace(/\/+$/, '')
  if (!trimmed) return name ? '/' : '.'
  return trimmed.slice(trimmed.lastIndexOf('/') + 1)
}

/** Every part of a multipart body, or a {@link MultipartError} where Go's reader fails. */
export function parseMultipart(body: Buffer, contentType: string): Part[] {
  const boundary = headerParams(contentType).boundary
  if (!boundary) throw new MultipartError('no boundary in Content-Type')
  const dash = Buffer.from(`--${boundary}`)
  const delim = Buffer.from(`\r\n--${boundary}`)
  // The first delimiter may open the body or follow a preamble line.
  let pos = body.subarray(0, dash.length).equals(dash) ? 0 : body.indexOf(delim)
  if (pos < 0) throw new MultipartError('no boundary in body')
  if (pos > 0) pos += 2
  const parts: Part[] = []
  for (;;) {
    let at = pos + dash.length
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts // closing `--boundary--`
    while (body[at] === 0x20 || body[at] === 0x09) at++ // transport padding
    if (body[at] === 0x0d && body[at + 1] === 0x0a) at += 2
    else if (body[at] === 0x0a) at += 1
    else throw new MultipartError('bad delimiter line')
    const headEnd = body.indexOf('\r\n\r\n', at)
    if (headEnd < 0) throw new MultipartError('unexpected end of part headers')
    const next = body.indexOf(delim, headEnd)
    if (next < 0) throw new MultipartError('unexpected end of body: no closing boundary')
    const headers = body.subarray(at, headEnd).toString('utf8').split('\r\n')
    const disposition = headers.find(h => /^content-disposition\s*:/i.test(h))
    const params = disposition ? headerParams(disposition.slice(disposition.indexOf(':') + 1)) : {}
    const filename = params.filename ? baseName(params.filename) : undefined
    parts.push({
      name: params.name ?? '',
      ...(filename !== undefined ? { filename } : {}),
      data: body.subarray(headEnd + 4, next),
    })
    pos = next + 2
  }
}
