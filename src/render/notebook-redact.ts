// Redaction of secrets before text reaches a file (notebooks, the history file). Pure functions.
import { inspect } from 'node:util'

/** What every redacted value is replaced with. */
export const REDACTED = '<redacted>'

// A value as it appears after `key:` / `key=`: quoted (with inspect's `' +` continuations) or bare.
const QUOTED = String.raw`'(?:[^'\\\n]|\\.)*'(?:\s*\+\s*'(?:[^'\\\n]|\\.)*')*|"(?:[^"\\\n]|\\.)*"`
const requote = (v: string): string => (v.startsWith("'") ? `'${REDACTED}'` : v.startsWith('"') ? `"${REDACTED}"` : REDACTED)
// Bare values that are not secrets even under a secret-sounding key.
const HARMLESS = /^(?:true|false|null|undefined|\d+|[[{|>]|<redacted>|'<redacted>'|"<redacted>")$/

/** PEM private key blocks (RSA, EC, OPENSSH, ENCRYPTED, PKCS#8), also when cut off before END. */
function redactPem(text: string): string {
  const whole = text.replace(/-----BEGIN ([A-Z0-9 ]*?)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, (_m, kind: string) => `-----BEGIN ${kind}PRIVATE KEY-----\n${REDACTED}\n-----END ${kind}PRIVATE KEY-----`)
  // A block without its END line (output cut short): hide the base64 that follows the header.
  return whole.replace(/(-----BEGIN [A-Z0-9 ]*?PRIVATE KEY-----)((?:\\n|[\sA-Za-z0-9+/=:,-])*)/g, (m, head: string, body: string) =>
    body.trim() === '' || body.trimStart().startsWith(REDACTED) || /^\s*(?:\\n)?\s*<redacted>/.test(body) ? m : `${head}\n${REDACTED}\n`,
  )
}

/** Authorization headers and bare bearer tokens. */
function redactBearer(text: string): string {
  return text
    .replace(/(\bauthorization["']?\s*[:=]\s*["']?\s*(?:bearer|basic|token)\s+)([^\s"',;]+)/gi, (_m, pre: string) => `${pre}${REDACTED}`)
    .replace(/(\bbearer\s+)([A-Za-z0-9\-._~+/]{8,}=*)/gi, (_m, pre: string) => `${pre}${REDACTED}`)
}

/** Secret-carrying command-line flags: --token=x, --token x, --password x, --client-secret=x. */
function redactFlags(text: string): string {
  return text.replace(
    new RegExp(String.raw`(--(?:[\w-]*-)?(?:token|password|passwd|secret)(?:=|[ \t]+))(${QUOTED}|[^\s"'|;&]+)`, 'gi'),
    (m, pre: string, v: string) => (HARMLESS.test(v) || v.startsWith('-') ? m : `${pre}${requote(v)}`),
  )
}

/** Environment assignments: PASSWORD=x, DB_PASSWORD="x", API_TOKEN=x, password=x in --from-literal. */
function redactAssignments(text: string): string {
  return text.replace(
    new RegExp(String.raw`(^|[\s?&"'(;,=])((?:[A-Za-z_][\w.-]*?)?(?:password|passwd|secret|token|api_?key|access_?key|private_?key))=(${QUOTED}|[^\s&"',;)]+)`, 'gim'),
    (m, lead: string, name: string, v: string) => (HARMLESS.test(v) ? m : `${lead}${name}=${requote(v)}`),
  )
}

/** `user:pass@host` in URLs. */
function redactUrlCredentials(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/'"]+:)([^\s@/'"]+)(@)/gi, (m, pre: string, pass: string, at: string) => (pass === REDACTED ? m : `${pre}${REDACTED}${at}`))
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

/** Passwords given to known tools by short flags (`sshpass -p x`, `mysql -px`, `curl -u user:x`). */
function redactToolFlags(text: string): string {
  return text.replace(/[^\n|;&]+/g, (segment) => {
    let out = segment
    for (const { tools, flag, form } of TOOL_FLAGS) {
      if (!tools.some((t) => new RegExp(String.raw`(^|[\s/'"\x60(])${t.replace(/-/g, '\\-')}(?=[\s'",\x60]|$)`).test(out))) continue
      const f = flag.replace(/-/g, '\\-')
      const val = String.raw`(${QUOTED}|[^\s"',\x60]+)`
      if (form === 'attached' || form === 'either') {
        out = out.replace(new RegExp(String.raw`(^|[\s'",\x60])(${f})([^\s"',\x60]+)`, 'g'), (m, lead: string, fl: string, v: string) => (v === REDACTED ? m : `${lead}${fl}${requote(v)}`))
      }
      if (form === 'separate' || form === 'either') {
        out = out.replace(new RegExp(String.raw`(^|[\s'",\x60])(${f}(?:['"]?\s+|',\s*'|",\s*"))${val}`, 'g'), (m, lead: string, fl: string, v: string) => (v.startsWith('-') || v === REDACTED ? m : `${lead}${fl}${requote(v)}`))
      }
      if (form === 'userpass') {
        out = out.replace(new RegExp(String.raw`(^|[\s'",\x60])(${f}(?:=|['"]?\s+|',\s*'|",\s*"))(['"]?)([^\s:'"%]+)([:%])([^\s'",\x60]+)`, 'g'), (m, lead: string, fl: string, q: string, user: string, sep: string, pass: string) =>
          pass === REDACTED ? m : `${lead}${fl}${q}${user}${sep}${REDACTED}`,
        )
      }
    }
    return out
  })
}

// Keys whose values are secrets in YAML, JSON and util.inspect text.
const SECRET_KEY = String.raw`(?:[\w-]*(?:token|password|passwd)|client-key-data|client-secret|clientSecret|private-key|privateKey)`

/** `token: x`, `"password": "x"`, `client-key-data: x` fields in YAML, JSON or inspect output. */
function redactFields(text: string): string {
  return text.replace(
    new RegExp(String.raw`((?:^|[\s{,(])(["']?)${SECRET_KEY}\2[ \t]*:[ \t]*)(${QUOTED}|[^\s,}\]]+)`, 'gim'),
    (m, pre: string, _q: string, v: string) => (HARMLESS.test(v) ? m : `${pre}${requote(v)}`),
  )
}

const SECRET_KIND = /\bkind["']?\s*:\s*["']?Secret\b|\bV1Secret\b|"kind":"Secret"/

/** The values under `data:` / `stringData:` of Secret objects, in inline (JSON/inspect) and YAML block form. */
function redactSecretData(text: string): string {
  if (!SECRET_KIND.test(text)) return text
  // Inline: data: { key: 'v', ... } or "data": {"key": "v"}
  let out = text.replace(/((?:^|[\s{,])(["']?)(?:data|stringData)\2\s*:\s*\{)([^{}]*)(\})/g, (_m, open: string, _q: string, body: string, close: string) => {
    const inner = body.replace(new RegExp(String.raw`((?:^|[\s,{])(?:'[^']*'|"[^"]*"|[^\s:'"{},]+)\s*:\s*)(${QUOTED}|[^\s,}]+)`, 'g'), (m, pre: string, v: string) => (v === REDACTED ? m : `${pre}${requote(v)}`))
    return `${open}${inner}${close}`
  })
  // YAML block: data:\n  key: value (deeper lines of block scalars are dropped)
  const lines = out.split('\n')
  const res: string[] = []
  let blockIndent = -1
  let scalarIndent = -1
  for (const line of lines) {
    const indent = line.length - line.trimStart().length
    if (scalarIndent >= 0) {
      if (line.trim() === '' || indent > scalarIndent) continue
      scalarIndent = -1
    }
    if (blockIndent >= 0) {
      if (line.trim() !== '' && indent <= blockIndent) blockIndent = -1
      else {
        const m = /^(\s*[^\s:#][^:]*:\s+)(\S.*)$/.exec(line)
        if (m && m[2] !== REDACTED) {
          res.push(`${m[1]}${/^[|>]/.test(m[2]) ? REDACTED : requote(m[2])}`)
          if (/^[|>]/.test(m[2])) scalarIndent = indent
          continue
        }
        res.push(line)
        continue
      }
    }
    if (/^\s*(?:data|stringData):\s*$/.test(line)) blockIndent = indent
    res.push(line)
  }
  out = res.join('\n')
  return out
}

/** Replaces every secret this module knows about with <redacted>; idempotent. */
export function redactText(text: string): string {
  let t = redactPem(text)
  t = redactSecretData(t)
  t = redactBearer(t)
  t = redactUrlCredentials(t)
  t = redactFlags(t)
  t = redactToolFlags(t)
  t = redactAssignments(t)
  t = redactFields(t)
  return t
}

/** True when the text holds something redactText would hide (such lines never go to the history file). */
export function hasSecret(text: string): boolean {
  return redactText(text) !== text
}

const SECRET_FIELD = /^(?:[\w-]*(?:token|password|passwd)|client-key-data|clientKeyData|client-secret|clientSecret|private-?key|privateKey)$/i

function isSecretObject(o: Record<string, unknown>): boolean {
  if (o.kind === 'Secret' || o.constructor?.name === 'V1Secret') return true
  const hasData = (o.data && typeof o.data === 'object') || (o.stringData && typeof o.stringData === 'object')
  return Boolean(hasData && typeof o.type === 'string' && /^(?:Opaque$|kubernetes\.io\/|bootstrap\.kubernetes\.io\/|helm\.sh\/)/.test(o.type))
}

/** A copy of a value with Secret data and secret-named fields replaced; objects with their own inspect are kept. */
export function redactValue(value: unknown, depth = 0, seen = new WeakMap<object, unknown>()): unknown {
  if (typeof value === 'string') return redactText(value)
  if (value === null || typeof value !== 'object' || depth > 12) return value
  if (seen.has(value)) return seen.get(value)
  if (value instanceof Map || value instanceof Set || value instanceof Date || value instanceof RegExp || ArrayBuffer.isView(value) || value instanceof Promise) return value
  if (typeof (value as Record<symbol, unknown>)[inspect.custom] === 'function') return value
  if (Array.isArray(value)) {
    const arr: unknown[] = []
    seen.set(value, arr)
    for (const v of value) arr.push(redactValue(v, depth + 1, seen))
    return arr
  }
  const src = value as Record<string, unknown>
  const copy = Object.create(Object.getPrototypeOf(src)) as Record<string, unknown>
  seen.set(value, copy)
  const secret = isSecretObject(src)
  for (const k of Object.keys(src)) {
    const v = src[k]
    if (secret && (k === 'data' || k === 'stringData') && v && typeof v === 'object') {
      copy[k] = Object.fromEntries(Object.keys(v).map((kk) => [kk, REDACTED]))
    } else if (SECRET_FIELD.test(k) && typeof v === 'string' && v !== '') {
      copy[k] = REDACTED
    } else {
      copy[k] = redactValue(v, depth + 1, seen)
    }
  }
  return copy
}
