// A small JavaScript lexer: where a piece of code's strings, template parts, comments and regex literals are. Pure.
// Used by the notebook redaction (src/render/redact/) and by the recipe runner's scope analysis (src/recipes/scope.ts).

/** A literal of the code: its whole range and the range of its content (between the delimiters). */
export interface Literal {
  kind: 'string' | 'template' | 'comment' | 'regex'
  start: number
  end: number
  /** Content range: inside the quotes, between `…${ / }…`, after // or inside /* … *\/, the regex body. */
  cs: number
  ce: number
}

const KEYWORDS_BEFORE_EXPR = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
])

/** The literals of a piece of JavaScript, in order (unterminated ones end at the line or the text end). */
export function lexLiterals(code: string): Literal[] {
  const out: Literal[] = []
  const n = code.length
  const templateDepth: number[] = [] // brace depth at which each open `${` returns to its template
  let depth = 0
  let prev = '' // last significant token: '' (start), an identifier/number, or a punctuator
  let i = 0
  const templatePart = (from: number): number => {
    // code[from] is ` or }; scans to the closing ` or the next ${
    let j = from + 1
    for (; j < n; j++) {
      if (code[j] === '\\') j++
      else if (code[j] === '`') {
        out.push({ kind: 'template', start: from, end: j + 1, cs: from + 1, ce: j })
        prev = 'x'
        return j + 1
      } else if (code[j] === '$' && code[j + 1] === '{') {
        out.push({ kind: 'template', start: from, end: j + 2, cs: from + 1, ce: j })
        templateDepth.push(++depth)
        prev = '{'
        return j + 2
      }
    }
    out.push({ kind: 'template', start: from, end: n, cs: from + 1, ce: n })
    return n
  }
  while (i < n) {
    const c = code[i]
    if (c === '/' && code[i + 1] === '/') {
      const e = code.indexOf('\n', i)
      const end = e < 0 ? n : e
      out.push({ kind: 'comment', start: i, end, cs: i + 2, ce: end })
      i = end
    } else if (c === '/' && code[i + 1] === '*') {
      const e = code.indexOf('*/', i + 2)
      const end = e < 0 ? n : e + 2
      out.push({ kind: 'comment', start: i, end, cs: i + 2, ce: e < 0 ? n : e })
      i = end
    } else if (c === "'" || c === '"') {
      let j = i + 1
      while (j < n && code[j] !== c && code[j] !== '\n') j += code[j] === '\\' ? 2 : 1
      const closed = j < n && code[j] === c
      out.push({ kind: 'string', start: i, end: closed ? j + 1 : Math.min(j, n), cs: i + 1, ce: Math.min(j, n) })
      i = closed ? j + 1 : Math.min(j, n)
      prev = 'x'
    } else if (c === '`') {
      i = templatePart(i)
    } else if (c === '}' && templateDepth.length && templateDepth[templateDepth.length - 1] === depth) {
      templateDepth.pop()
      depth--
      i = templatePart(i)
    } else if (
      c === '/' &&
      (prev === '' || (!/^[\w$]/.test(prev) && !/^[)\]}]$/.test(prev)) || KEYWORDS_BEFORE_EXPR.has(prev))
    ) {
      let j = i + 1
      let cls = false
      for (; j < n && code[j] !== '\n'; j++) {
        if (code[j] === '\\') j++
        else if (code[j] === '[') cls = true
        else if (code[j] === ']') cls = false
        else if (code[j] === '/' && !cls) break
      }
      const closed = j < n && code[j] === '/'
      let end = closed ? j + 1 : j
      while (end < n && /[a-z]/i.test(code[end])) end++
      out.push({ kind: 'regex', start: i, end, cs: i + 1, ce: j })
      i = end
      prev = 'x'
    } else if (/[\w$]/.test(c)) {
      let j = i + 1
      while (j < n && /[\w$]/.test(code[j])) j++
      prev = code.slice(i, j)
      i = j
    } else {
      if (c === '{') depth++
      else if (c === '}') depth--
      if (!/\s/.test(c)) prev = c
      i++
    }
  }
  return out
}

/** The literal whose content holds [a, b) entirely, if any. */
export function literalAround(lits: readonly Literal[], a: number, b: number): Literal | undefined {
  let lo = 0
  let hi = lits.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const l = lits[mid]
    if (l.end <= a) lo = mid + 1
    else if (l.start > a) hi = mid - 1
    else return a >= l.cs && b <= l.ce ? l : undefined
  }
  return undefined
}
