// kube-proxy's iptables-restore input as its log shows it (-v=9 "Restoring iptables"), turned back into restore text.
// Three klog spellings: rules="…" (v1.2x+ logs a []byte with %+q: one line, Go escapes), rules=< … > (a string value:
// the lines indented by a tab, closed by " >"), and the old printf form "Restoring iptables rules: *filter" + raw lines.

const GO_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
}

/** A Go double-quoted string literal at the start of `s` (as %q / %+q / strconv.Quote write it), or undefined. */
export function goUnquote(s: string): string | undefined {
  if (s[0] !== '"') return undefined
  let out = ''
  for (let i = 1; i < s.length; i++) {
    const c = s[i]
    if (c === '"') return out
    if (c !== '\\') {
      out += c
      continue
    }
    const e = s[++i]
    if (e === undefined) return undefined
    if (e in GO_ESCAPES) out += GO_ESCAPES[e]
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8
      const hex = s.slice(i + 1, i + 1 + n)
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) return undefined
      const code = parseInt(hex, 16)
      out += e === 'x' ? String.fromCharCode(code) : code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd'
      i += n
    } else if (/[0-7]/.test(e)) {
      const oct = s.slice(i, i + 3)
      if (!/^[0-7]{3}$/.test(oct)) return undefined
      out += String.fromCharCode(parseInt(oct, 8))
      i += 2
    } else return undefined
  }
  return undefined
}

const KLOG_HEADER = /^[IWEF]\d{4} \d{2}:\d{2}:\d{2}/

/**
 * The iptables-restore inputs in a pasted kube-proxy log, joined in the order they were logged (restore semantics
 * then give the state after the last sync), or undefined when the text holds no "Restoring iptables" entry.
 */
export function restoreInputFromLog(text: string): string | undefined {
  if (!text.includes('Restoring iptables')) return undefined
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''))
  const out: string[] = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const at = line.indexOf('Restoring iptables')
    if (at < 0) continue
    const rest = line.slice(at)
    const quoted = rest.indexOf(' rules="')
    const printf = /^Restoring iptables rules: ?(.*)$/.exec(rest)
    if (quoted >= 0) {
      const body = goUnquote(rest.slice(quoted + 7))
      if (body !== undefined) out.push(body.endsWith('\n') ? body : `${body}\n`)
    } else if (/ rules=<$/.test(rest)) {
      const body: string[] = []
      for (i++; i < lines.length && !lines[i].startsWith(' >'); i++) body.push(lines[i].replace(/^\t/, ''))
      out.push(`${body.join('\n')}\n`)
    } else if (printf) {
      const body = printf[1] ? [printf[1]] : []
      for (; i + 1 < lines.length && !KLOG_HEADER.test(lines[i + 1]); i++) body.push(lines[i + 1])
      out.push(`${body.join('\n')}\n`)
    }
  }
  return out.length ? out.join('') : undefined
}
