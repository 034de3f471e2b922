// The names a recipe step declares for the steps after it, and the names it reads: what lets the runner skip only
// the steps that need a value a failed step did not make. Read from the code's tokens (strings, templates' text,
// comments and regex literals left out), best effort and on the safe side: a name counts as read unless it is
// plainly a property (`.name`), an object key (`{name: …}`), or declared by the step itself. Pure.
import { lexLiterals } from '../jslex.ts'

/** What one step's code declares at its top level and which outside names it reads. */
export interface StepScope {
  /** const/let/var (destructuring included), function and class names at the top level: visible to later steps. */
  declares: string[]
  /** Names it reads that it does not declare itself (globals included; the runner keeps those of earlier steps). */
  uses: string[]
}

interface Tok {
  t: string
  id: boolean
  /** Starts a line (after a newline). */
  nl: boolean
}

const KEYWORDS = new Set(
  'await break case catch class const continue debugger default delete do else export extends false finally for function if import in instanceof let new null of return static super switch this throw true try typeof var void while with yield async get set'.split(
    ' ',
  ),
)
const PUNCT = [
  '...',
  '===',
  '!==',
  '**=',
  '??=',
  '&&=',
  '||=',
  '>>>',
  '<<=',
  '>>=',
  '=>',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '?.',
  '++',
  '--',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '**',
  '<<',
  '>>',
]
const OPEN: Record<string, string> = { '{': '}', '[': ']', '(': ')' }
/** Tokens that, ending a line or starting the next, make it one expression (no automatic semicolon). */
const CONTINUES = new Set([
  '.',
  '?.',
  '?',
  ':',
  '&&',
  '||',
  '??',
  '+',
  '-',
  '*',
  '/',
  '%',
  '**',
  '=',
  '==',
  '===',
  '!=',
  '!==',
  '<',
  '>',
  '<=',
  '>=',
  ',',
  '=>',
  '(',
  '[',
  '{',
  '&',
  '|',
  '^',
  'in',
  'instanceof',
  'of',
])

function tokens(code: string): Tok[] {
  // Literals blanked out (a template's `${` … `}` stay code), so nothing inside text reads as a name.
  let blank = code
  for (const l of lexLiterals(code))
    blank = blank.slice(0, l.start) + blank.slice(l.start, l.end).replace(/[^\n]/g, ' ') + blank.slice(l.end)
  const out: Tok[] = []
  let nl = true
  for (let i = 0; i < blank.length;) {
    const c = blank[i]
    if (c === '\n') {
      nl = true
      i++
    } else if (/\s/.test(c)) i++
    else if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1
      while (j < blank.length && /[\w$]/.test(blank[j])) j++
      out.push({ t: blank.slice(i, j), id: true, nl })
      nl = false
      i = j
    } else if (/\d/.test(c) || (c === '.' && /\d/.test(blank[i + 1] ?? ''))) {
      let j = i + 1
      while (j < blank.length && /[\w.]/.test(blank[j])) j++
      out.push({ t: '0', id: false, nl })
      nl = false
      i = j
    } else {
      const p = PUNCT.find((x) => blank.startsWith(x, i)) ?? c
      out.push({ t: p, id: false, nl })
      nl = false
      i += p.length
    }
  }
  return out
}

/** Index of the token that closes the bracket opened at `i`. */
function closing(toks: Tok[], i: number): number {
  let depth = 0
  for (let j = i; j < toks.length; j++) {
    if (OPEN[toks[j].t]) depth++
    else if (toks[j].t === '}' || toks[j].t === ']' || toks[j].t === ')') {
      depth--
      if (depth === 0) return j
    }
  }
  return toks.length
}

/** Skips an expression from `i` to the first of `stops` at its own nesting level (or the end of its enclosing bracket). */
function skipExpr(toks: Tok[], i: number, stops: readonly string[]): number {
  let j = i
  while (j < toks.length) {
    const t = toks[j].t
    if (OPEN[t]) j = closing(toks, j) + 1
    else if (stops.includes(t) || t === '}' || t === ']' || t === ')') return j
    else j++
  }
  return j
}

/** The names a binding pattern binds: `{a, b: c, d = 1, ...e}`, `[x, , y]`, a parameter list `(p, {q})`. */
function patternNames(toks: Tok[], i: number): { names: string[]; end: number } {
  const end = closing(toks, i)
  const names: string[] = []
  for (let j = i + 1; j < end;) {
    const tk = toks[j]
    if (OPEN[tk.t] && tk.t !== '(') {
      const r = patternNames(toks, j)
      names.push(...r.names)
      j = r.end + 1
    } else if (tk.t === '=') j = skipExpr(toks, j + 1, [','])
    else if (tk.t === '[' || tk.t === '(')
      j = closing(toks, j) + 1 // a computed key
    else {
      if (tk.id && !KEYWORDS.has(tk.t) && toks[j + 1]?.t !== ':') names.push(tk.t)
      j++
    }
  }
  return { names, end }
}

/** One declaration statement at `k` (const/let/var): its names, and where it ends. */
function declaration(toks: Tok[], k: number): { names: string[]; end: number } {
  const names: string[] = []
  let j = k + 1
  for (;;) {
    const tk = toks[j]
    if (!tk) return { names, end: j }
    if (tk.t === '{' || tk.t === '[') {
      const r = patternNames(toks, j)
      names.push(...r.names)
      j = r.end + 1
    } else if (tk.id) {
      names.push(tk.t)
      j++
    } else return { names, end: j }
    // for (const x of …): no initializer
    if (toks[j]?.t === '=') {
      j++
      // The initializer runs to a comma at its level, or to the end of the statement (a line that does not continue it).
      while (j < toks.length) {
        const t = toks[j]
        if (OPEN[t.t]) {
          j = closing(toks, j) + 1
          continue
        }
        if (t.t === ',' || t.t === ';' || t.t === '}' || t.t === ')' || t.t === ']') break
        const prev = toks[j - 1]
        if (t.nl && !CONTINUES.has(prev.t) && !CONTINUES.has(t.t)) break
        j++
      }
    }
    if (toks[j]?.t !== ',') return { names, end: j }
    j++
  }
}

/** Reads what a step's code declares at its top level and which names it uses (see StepScope). */
export function stepScope(code: string): StepScope {
  const toks = tokens(code)
  const declares = new Set<string>()
  const locals = new Set<string>()
  const uses = new Set<string>()
  let depth = 0
  for (let k = 0; k < toks.length; k++) {
    const tk = toks[k]
    const prev = toks[k - 1]
    if (tk.t === '{' || tk.t === '(' || tk.t === '[') depth++
    else if (tk.t === '}' || tk.t === ')' || tk.t === ']') depth--
    if (!tk.id) {
      if (tk.t === '=>') {
        // Arrow parameters: `x =>` or `(a, {b}) =>`.
        if (prev?.id) locals.add(prev.t)
        else if (prev?.t === ')') {
          let open = k - 1
          for (let d = 0; open >= 0; open--) {
            if (toks[open].t === ')') d++
            else if (toks[open].t === '(' && --d === 0) break
          }
          if (open >= 0) for (const n of patternNames(toks, open).names) locals.add(n)
        }
      }
      continue
    }
    if (prev && (prev.t === '.' || prev.t === '?.')) continue // a property
    if (toks[k + 1]?.t === ':' && prev && (prev.t === '{' || prev.t === ',')) continue // an object key
    if (tk.t === 'const' || tk.t === 'let' || tk.t === 'var') {
      const d = declaration(toks, k)
      for (const n of d.names) (depth === 0 ? declares : locals).add(n)
      continue
    }
    if (tk.t === 'function' || tk.t === 'class') {
      const name = toks[k + 1]?.id ? toks[k + 1].t : undefined
      if (name) (depth === 0 ? declares : locals).add(name)
      const paren = tk.t === 'function' ? toks.findIndex((x, i) => i > k && x.t === '(') : -1
      if (paren > 0) for (const n of patternNames(toks, paren).names) locals.add(n)
      if (name) k++
      continue
    }
    if (tk.t === 'catch' && toks[k + 1]?.t === '(') {
      for (const n of patternNames(toks, k + 1).names) locals.add(n)
      continue
    }
    if (!KEYWORDS.has(tk.t)) uses.add(tk.t)
  }
  for (const n of [...declares, ...locals]) uses.delete(n)
  return { declares: [...declares], uses: [...uses] }
}
