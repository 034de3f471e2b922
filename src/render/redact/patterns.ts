// Secrets found by how they are written: private keys, JWTs, bearer headers, URL passwords, --token flags,
// tool passwords (mysql -pX, curl -u u:X), NAME=value assignments and `token: x` fields. Pure.
import { isHarmless, isKeyPath, isSecretEnvName, isSecretField, REDACTED } from './names.ts'
import { decodeEscapes, type Finding, type Span } from './spans.ts'

// A value after `=`, `:` or a space: quoted (the span is inside the quotes) or bare. A bare value stops at a quote,
// backtick, backslash escape, separator or closing bracket, so the text around it keeps its quoting.
const VALUE = String.raw`'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|(?:[^\s"'\x60\\|;&,)}\]]|\\(?![nrt"'\x60\\]))+`

/** A finding for the value `raw` found at `at`; undefined when it is empty, harmless or an interpolation. */
function valueAt(text: string, at: number, raw: string, opts: { flag?: boolean } = {}): Finding | undefined {
  let s = at
  let e = at + raw.length
  let value = raw
  const quoted = raw[0] === "'" || raw[0] === '"'
  if (quoted) {
    s++
    e--
    value = decodeEscapes(text, s, e).text.join('')
  }
  if (e <= s || value.startsWith('${') || (opts.flag && value.startsWith('-')) || isHarmless(value, quoted))
    return undefined
  return { spans: [[s, e]], value, by: 'pattern' }
}

function* matches(text: string, re: RegExp): Generator<RegExpExecArray & { indices: [number, number][] }> {
  re.lastIndex = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    yield m as RegExpExecArray & { indices: [number, number][] }
    if (m[0] === '') re.lastIndex++
  }
}

const PEM = /-----BEGIN ([A-Z0-9 ]*?)PRIVATE KEY-----/g
const PEM_BODY_LINE = /^(?:\\n|\r?\n)[ \t]*(?:[A-Za-z0-9+/=]{16,}|[A-Za-z-]+: [^\n\\'"\x60]*)/

/** PEM private key bodies (RSA, EC, OPENSSH, ENCRYPTED, PKCS#8), also when cut off before END; headers stay. */
function pem(text: string, out: Finding[]): void {
  for (const m of matches(text, PEM)) {
    const from = m.index + m[0].length
    const endMark = `-----END ${m[1]}PRIVATE KEY-----`
    const end = text.indexOf(endMark, from)
    let s = from
    let e: number
    if (end >= 0 && !/['"\x60]/.test(text.slice(from, end))) e = end
    else {
      e = from
      for (let l = PEM_BODY_LINE.exec(text.slice(e)); l; l = PEM_BODY_LINE.exec(text.slice(e))) e += l[0].length
    }
    // Trim the line breaks (real or escaped) around the body: the span covers key characters only.
    for (let t = /^(?:\\n|\s)+/.exec(text.slice(s, e)); t; t = null) s += t[0].length
    for (let t = /(?:\\n|\s)+$/.exec(text.slice(s, e)); t; t = null) e -= t[0].length
    if (e > s && !text.slice(s, e).includes(REDACTED))
      out.push({ spans: [[s, e]], value: text.slice(s, e), by: 'pattern' })
  }
}

const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}/g
const AUTH_HEADER = /\bauthorization["']?\s*[:=]\s*["']?\s*(?:bearer|basic|token|negotiate)\s+([^\s"',;\x60\\]+)/dgi
const BEARER = /\bbearer\s+([A-Za-z0-9\-._~+/]{8,}=*)/dgi
const URL_CRED = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/'"\x60\\]+:([^\s@/'"\x60\\]+)@/dgi
const FLAG = new RegExp(String.raw`--(?:[\w-]*-)?(?:token|password|passwd|pass|secret)(?:=|[ \t]+)(${VALUE})`, 'dgi')
const VALUE_AT = new RegExp(VALUE, 'y')
const SCHEME_AT = /(?:[Bb]earer|[Bb]asic|[Tt]oken|Negotiate|Digest)[ \t]+/y
const COOKIE = /\b(?:set-)?cookie:[ \t]*/gi
const COOKIE_PAIR = /[ \t]*[^=;\s]+=([^;\s'"\x60\\]+);?/y

/** The name written right before `end` (letters, digits, _ . -), when it starts a word (after `lead`). */
function nameBefore(text: string, end: number, lead: RegExp): string | undefined {
  let a = end
  while (a > 0 && /[\w.-]/.test(text[a - 1])) a--
  if (a === end || !/[A-Za-z_]/.test(text[a]) || (a > 0 && !lead.test(text[a - 1]))) return undefined
  return text.slice(a, end)
}

/** NAME=value assignments whose name looks secret (env style PASSWORD=x, query ?token=x, --from-literal=password=x). */
function assignments(text: string, out: Finding[]): void {
  for (let i = text.indexOf('='); i >= 0; i = text.indexOf('=', i + 1)) {
    const name = nameBefore(text, i, /[\s?&"'(;,=\x60]/)
    if (!name || !(/[a-z]/.test(name) ? isSecretField(name) : isSecretEnvName(name))) continue
    VALUE_AT.lastIndex = i + 1
    const m = VALUE_AT.exec(text)
    const f = m && valueAt(text, i + 1, m[0])
    if (f) out.push(f)
  }
}

/** `name: value` fields whose name looks secret, in YAML, JSON, inspect, describe or log text; `Authorization: Bearer x` keeps its scheme. */
function fields(text: string, out: Finding[]): void {
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) {
    let k = i
    while (k > 0 && (text[k - 1] === ' ' || text[k - 1] === '\t')) k--
    const quote = text[k - 1] === '"' || text[k - 1] === "'" ? text[k - 1] : ''
    const name = nameBefore(text, k - quote.length, quote ? (quote === '"' ? /"/ : /'/) : /[\s{,(\[]/)
    if (!name || !isSecretField(name)) continue
    const open = k - 2 - name.length // the opening quote of a quoted name: it must start a word too
    if (quote && (text[open] !== quote || (open > 0 && !/[\s{,(\[]/.test(text[open - 1])))) continue
    let v = i + 1
    while (text[v] === ' ' || text[v] === '\t') v++
    SCHEME_AT.lastIndex = v
    if (SCHEME_AT.test(text)) v = SCHEME_AT.lastIndex
    if (/[{[|>]/.test(text[v] ?? '')) continue
    const eol = text.indexOf('\n', v)
    if (isHarmless(text.slice(v, eol < 0 ? text.length : eol))) continue // `<set to the key 'k' in secret 's'>  Optional: false`
    VALUE_AT.lastIndex = v
    const m = VALUE_AT.exec(text)
    const f = m && !isKeyPath(name, m[0].replace(/^['"]|['"]$/g, '')) ? valueAt(text, v, m[0]) : undefined
    if (f) out.push(f)
  }
}

/** The values of `Cookie:` / `Set-Cookie:` headers (names stay). */
function cookies(text: string, out: Finding[]): void {
  for (const m of matches(text, COOKIE)) {
    COOKIE_PAIR.lastIndex = m.index + m[0].length
    for (let p = COOKIE_PAIR.exec(text); p; p = COOKIE_PAIR.exec(text)) {
      const s = p.index + p[0].indexOf('=', 0) + 1
      out.push({ spans: [[s, s + p[1].length]], value: p[1], by: 'pattern' })
    }
  }
}

// Tools whose short flags take a password. attached: -pSECRET; separate: -p SECRET; userpass: -u user:SECRET.
const TOOL_FLAGS: { tools: string[]; flag: string; form: 'attached' | 'separate' | 'either' | 'userpass' }[] = [
  { tools: ['sshpass'], flag: '-p', form: 'either' },
  { tools: ['mysql', 'mysqldump', 'mysqladmin', 'mariadb', 'mariadb-dump'], flag: '-p', form: 'attached' },
  { tools: ['redis-cli', 'valkey-cli'], flag: '-a', form: 'separate' },
  { tools: ['ldapsearch', 'ldapadd', 'ldapmodify', 'ldapdelete', 'ldapwhoami'], flag: '-w', form: 'separate' },
  { tools: ['curl'], flag: '-u', form: 'userpass' },
  { tools: ['curl', 'wget'], flag: '--user', form: 'userpass' },
  { tools: ['smbclient'], flag: '-U', form: 'userpass' },
]
const TOOLS = new RegExp(TOOL_FLAGS.flatMap((t) => t.tools).join('|'))
const TOOL_RE = TOOL_FLAGS.map(({ tools, flag, form }) => {
  const f = flag.replace(/-/g, '\\-')
  return {
    tool: new RegExp(
      String.raw`(?:^|[\s/'"\x60(])(?:${tools.map((t) => t.replace(/-/g, '\\-')).join('|')})(?=[\s'",\x60]|$)`,
    ),
    attached:
      form === 'attached' || form === 'either'
        ? new RegExp(String.raw`(?:^|[\s'",\x60])${f}([^\s"',\x60\\]+)`, 'dg')
        : undefined,
    separate:
      form === 'separate' || form === 'either'
        ? new RegExp(String.raw`(?:^|[\s'",\x60])${f}(?:['"]?\s+|',\s*'|",\s*")(${VALUE})`, 'dg')
        : undefined,
    userpass:
      form === 'userpass'
        ? new RegExp(
            String.raw`(?:^|[\s'",\x60])${f}(?:=|['"]?\s+|',\s*'|",\s*")['"]?[^\s:'"%\x60]+[:%]([^\s'",\x60\\]+)`,
            'dg',
          )
        : undefined,
  }
})

/** Passwords given to known tools by short flags, per command segment (`sshpass -p x`, `mysql -px`, `curl -u user:x`). */
function toolFlags(text: string, out: Finding[]): void {
  for (const seg of matches(text, /[^\n|;&]+/g)) {
    const part = seg[0]
    for (const t of TOOL_RE) {
      if (!t.tool.test(part)) continue
      for (const re of [t.attached, t.separate, t.userpass]) {
        if (!re) continue
        for (const m of matches(part, re)) {
          const [a] = m.indices[1]
          const f = valueAt(text, seg.index + a, m[1], { flag: true })
          if (f) out.push(f)
        }
      }
    }
  }
}

/** Every secret a pattern finds in a text (segment coordinates). */
export function patternFindings(text: string): Finding[] {
  const out: Finding[] = []
  if (text.includes('PRIVATE KEY-----')) pem(text, out)
  if (text.includes('eyJ'))
    for (const m of matches(text, JWT))
      out.push({ spans: [[m.index, m.index + m[0].length]], value: m[0], by: 'pattern' })
  const group = (re: RegExp, g: number, opts: { flag?: boolean } = {}) => {
    for (const m of matches(text, re)) {
      const f = valueAt(text, m.indices[g][0], m[g], opts)
      if (f) out.push(f)
    }
  }
  if (/authorization/i.test(text)) group(AUTH_HEADER, 1)
  if (/bearer/i.test(text)) group(BEARER, 1)
  if (text.includes('://')) group(URL_CRED, 1)
  if (text.includes('--')) group(FLAG, 1, { flag: true })
  if (/cookie/i.test(text)) cookies(text, out)
  assignments(text, out)
  fields(text, out)
  if (TOOLS.test(text)) toolFlags(text, out)
  return out
}

/** Spans of all findings. */
export function spansOf(findings: readonly Finding[]): Span[] {
  return findings.flatMap((f) => f.spans)
}
