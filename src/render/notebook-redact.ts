// Redaction before text reaches a file (notebooks, the history file): by structure, then by pattern, then by taint.
// Only a secret's own characters are replaced, so quoting stays intact and code cells still parse. Pure.
import vm from 'node:vm'
import { REDACTED } from './redact/names.ts'
import { lexLiterals, literalAround, type Literal } from './redact/lex.ts'
import { parseFlow } from './redact/flow.ts'
import { parseYamlBlocks } from './redact/yaml.ts'
import { structuralFindings } from './redact/structure.ts'
import { patternFindings } from './redact/patterns.ts'
import {
  decodeEscapes,
  identity,
  mapped,
  mergeSpans,
  replaceSpans,
  stringSegments,
  type Finding,
  type Segment,
  type Span,
} from './redact/spans.ts'
import { NO_TAINT, type TaintMatcher } from './redact/taint.ts'
import { redactValue, secretsOf as secretsOfValue, type SecretsOfOptions } from './redact/value.ts'

/** The replacement text, and a printable copy of a value with its secrets hidden (the REPL prints the result with it). */
export { REDACTED, redactValue }
/** Which env variable and field names carry secrets. */
export { isSecretEnvName, isSecretField } from './redact/names.ts'
/** Taint: the forms a seen secret is looked for in, the minimum length, the matcher. */
export { NO_TAINT, TAINT_MIN, TAINT_WORD, taintForms, taintMatcher, type TaintMatcher } from './redact/taint.ts'

const MENTIONS_SECRET = /secret/i

/** Structural and pattern findings of one segment. */
function findingsIn(seg: Segment, mentionsSecret: boolean): Finding[] {
  const t = seg.text
  let structure: Finding[] = []
  if (/[:{]/.test(t)) {
    const flow = parseFlow(t)
    structure = structuralFindings(
      [
        ...flow,
        ...parseYamlBlocks(
          t,
          flow.map((m) => m.range!),
        ),
      ],
      mentionsSecret,
    )
  }
  return [...structure, ...patternFindings(t)]
}

// A string worth reading on its own: something a rule could fire on (a timestamp's colons are not).
const WORTH = /:\s|:$|":|[=@\n\\]|eyJ|-----BEGIN|\s-|bearer|cookie/i

/** Where the secrets of an output text are (source spans) and their values. */
function scanText(text: string, taint: TaintMatcher): { spans: Span[]; values: string[] } {
  const spans: Span[] = []
  const values: string[] = []
  const mentions = MENTIONS_SECRET.test(text)
  const segs = [identity(text), ...stringSegments(text, (raw) => raw.length >= 6 && WORTH.test(raw))]
  for (const seg of segs) {
    for (const f of findingsIn(seg, mentions)) {
      values.push(f.value)
      for (const [a, b] of f.spans) spans.push(...seg.toSource(a, b))
    }
  }
  if (taint.forms.length) {
    // Raw text, and strings whose decoded text differs from it (escapes, inspect's '…' + '…' pieces).
    for (const seg of [identity(text), ...stringSegments(text, (raw) => raw.includes('\\'))])
      for (const t of taint.find(seg.text)) spans.push(...seg.toSource(t.span[0], t.span[1]))
  }
  return { spans, values }
}

/** The text with every secret's characters replaced by <redacted> (quotes, backticks and `\n'` endings kept). */
export function redactText(text: string, taint: TaintMatcher = NO_TAINT): string {
  const { spans } = scanText(text, taint)
  return spans.length ? replaceSpans(text, mergeSpans(text, spans), () => REDACTED) : text
}

/** The secret values an output text shows by structure or pattern (to feed the session's taint set). */
export function secretsInText(text: string): string[] {
  return scanText(text, NO_TAINT).values
}

/** A literal's content as a segment: strings and template parts decoded, comments and regex bodies as written. */
function literalSegment(code: string, l: Literal): Segment {
  if (l.kind === 'comment' || l.kind === 'regex') return identity(code.slice(l.cs, l.ce), l.cs)
  const d = decodeEscapes(code, l.cs, l.ce)
  return mapped(d.text.join(''), d.from, d.to)
}

const NUMBER = /^[-+]?(?:0[xob][\da-f_]+|\d[\d_]*(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)n?$/i

/** Where the secrets of a code cell are: inside literals (replaced in place) and code tokens (replaced by a string literal). */
function scanCode(
  code: string,
  taint: TaintMatcher,
): { inside: Span[]; tokens: Span[]; values: string[]; lits: Literal[] } {
  const lits = lexLiterals(code)
  const inside: Span[] = []
  const tokens: Span[] = []
  const values: string[] = []
  const mentions = MENTIONS_SECRET.test(code)
  for (const l of lits) {
    if (l.ce <= l.cs) continue
    const seg = literalSegment(code, l)
    for (const f of findingsIn(seg, mentions)) {
      values.push(f.value)
      for (const [a, b] of f.spans) inside.push(...seg.toSource(a, b))
    }
    for (const t of taint.find(seg.text)) inside.push(...seg.toSource(t.span[0], t.span[1]))
  }
  const expand = ([a0, b0]: Span): Span => {
    let [a, b] = [a0, b0]
    for (let round = 0; round < 3; round++) {
      for (const l of lits) if (l.start < b && l.end > a) [a, b] = [Math.min(a, l.start), Math.max(b, l.end)]
      while (a > 0 && /[\w$]/.test(code[a - 1]) && !literalAround(lits, a - 1, a)) a--
      while (b < code.length && /[\w$]/.test(code[b]) && !literalAround(lits, b, b + 1)) b++
    }
    return [a, b]
  }
  const place = (sp: Span, numberOnly: boolean) => {
    if (literalAround(lits, sp[0], sp[1])) inside.push(sp)
    else if (!numberOnly || NUMBER.test(code.slice(sp[0], sp[1]).trim())) tokens.push(expand(sp))
  }
  // Object literals typed in the code: a Secret's data, env entries, token fields (identifiers are references, not secrets).
  for (const f of structuralFindings(parseFlow(code), mentions)) {
    values.push(f.value)
    for (const sp of f.spans) place(sp, true)
  }
  for (const t of taint.find(code)) place(t.span, false)
  return { inside, tokens, values, lits }
}

/** True when the code compiles as a REPL input would run (body of an async function, or an expression). */
export function compiles(code: string): boolean {
  for (const wrapped of [`(async () => {\n${code}\n})`, `(async () => (\n${code}\n))`]) {
    try {
      new vm.Script(wrapped)
      return true
    } catch {
      // try the next form
    }
  }
  return false
}

/** A line read as a dot-command (`.run recipe a=b`), redacted as text. */
const DOT_COMMAND = /^\s*\.[a-z]+(?:[ \t]|$)/

/**
 * A code cell with every secret hidden so that it still compiles: inside a string, template, comment or regex only the
 * secret's characters become <redacted>; a tainted value typed as code (a number) becomes the string '<redacted>'. If the
 * cell compiled before and would not after, it is kept as comments.
 */
export function redactCode(code: string, taint: TaintMatcher = NO_TAINT): string {
  if (DOT_COMMAND.test(code) && !code.trim().includes('\n')) return redactText(code, taint)
  const { inside, tokens } = scanCode(code, taint)
  if (inside.length === 0 && tokens.length === 0) return code
  const items = [
    ...mergeSpans(code, inside).map((s) => ({ s, token: false })),
    ...mergeSpans(code, tokens, false).map((s) => ({ s, token: true })),
  ].sort((x, y) => x.s[0] - y.s[0])
  const merged: { s: [number, number]; token: boolean }[] = []
  for (const it of items) {
    const last = merged[merged.length - 1]
    if (last && it.s[0] < last.s[1]) {
      last.s[1] = Math.max(last.s[1], it.s[1])
      last.token ||= it.token
    } else merged.push({ s: [it.s[0], it.s[1]], token: it.token })
  }
  const out = replaceSpans(
    code,
    merged.map((m) => m.s),
    (_sp, i) => (merged[i].token ? `'${REDACTED}'` : REDACTED),
  )
  if (compiles(out) || !compiles(code)) return out
  return [
    '// kinspect: this input held a secret that could not be hidden in place; it is kept as a comment.',
    ...out.split('\n').map((l) => `// ${l}`),
  ].join('\n')
}

/** The secret values a code cell holds by structure or pattern (in its strings, comments and object literals). */
export function secretsInCode(code: string): string[] {
  return scanCode(code, NO_TAINT).values
}

/** True when the line holds something redaction would hide, read as code and as text (such lines never go to the history file). */
export function hasSecret(text: string, taint: TaintMatcher = NO_TAINT): boolean {
  return redactText(text, taint) !== text || redactCode(text, taint) !== text
}

/** The secret values a live value holds (Secret data whatever the key, env entries, token fields, secrets in its strings). */
export function secretsOf(value: unknown, opts: Omit<SecretsOfOptions, 'inText'> = {}): string[] {
  return secretsOfValue(value, { ...opts, inText: secretsInText })
}
