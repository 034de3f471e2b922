// The session's taint set: every secret value seen in this session, kept in memory only (never written, never printed).
import vm from 'node:vm'
import { present } from '../present.ts'
import { secretsInCode, secretsInText, secretsOf, taintMatcher, type TaintMatcher } from '../render/notebook-redact.ts'
import { lexLiterals } from '../render/redact/lex.ts'

/** Secret values seen this session; the notebook and the history file hide them wherever they turn up again. */
export class TaintSet {
  #values = new Set<string>()
  #matcher: TaintMatcher | undefined

  /** Adds secret values (blank ones are ignored). */
  add(values: Iterable<string>): void {
    for (const v of values) {
      if (typeof v !== 'string' || v.trim() === '' || this.#values.has(v)) continue
      this.#values.add(v)
      this.#matcher = undefined
    }
  }

  /** Records the secrets a live value holds: Secret data (any key), secret env entries, token fields, secrets in its strings. */
  observe(value: unknown): void {
    this.add(secretsOf(value))
  }

  /** Records the secrets an output text shows by structure or pattern. */
  observeText(text: string): void {
    this.add(secretsInText(text))
  }

  /** Records the secrets written in a code input (its strings, comments, object literals). */
  observeCode(code: string): void {
    this.add(secretsInCode(code))
  }

  /** The recorded values (for rendering; never print them). */
  values(): string[] {
    return [...this.#values]
  }

  /** How many values are recorded. */
  get size(): number {
    return this.#values.size
  }

  /** A matcher over every form of every recorded value (cached until the set changes). */
  matcher(): TaintMatcher {
    return (this.#matcher ??= taintMatcher(this.#values))
  }

  toJSON(): { size: number } {
    return { size: this.#values.size }
  }
}
// Printed with its size only: the values themselves must never reach the screen or a file.
present(TaintSet.prototype, (t: TaintSet) => `TaintSet { ${t.size} secret values (not shown) }`)

const IDENT = /^[A-Za-z_$][\w$]*$/

/** Names a REPL input binds at top level: const/let/var declarations (destructuring too) and plain assignments. Best effort. */
export function boundNames(code: string): string[] {
  // Strings, templates and comments blanked out so nothing inside them reads as a declaration.
  let blank = code
  for (const l of lexLiterals(code)) blank = blank.slice(0, l.start) + ' '.repeat(l.end - l.start) + blank.slice(l.end)
  const names = new Set<string>()
  for (const m of blank.matchAll(/(?:\b(?:const|let|var)\s+|,\s*)([A-Za-z_$][\w$]*)\s*=(?![=>])/g)) names.add(m[1])
  for (const m of blank.matchAll(/\b(?:const|let|var)\s*([{[][^=;]*)=/g)) {
    for (const id of m[1].matchAll(/([A-Za-z_$][\w$]*)\s*(:?)/g)) if (id[2] !== ':') names.add(id[1])
  }
  for (const m of blank.matchAll(/(?:^|[;\n{(])\s*([A-Za-z_$][\w$]*)\s*=(?![=>])/g)) names.add(m[1])
  return [...names].filter((n) => IDENT.test(n)).slice(0, 64)
}

/** The values of named bindings in a REPL context (skipped: names not bound, not yet initialised, or not identifiers). */
export function readBindings(context: vm.Context, names: readonly string[]): unknown[] {
  const out: unknown[] = []
  for (const n of names) {
    if (!IDENT.test(n)) continue
    try {
      out.push(vm.runInContext(`typeof ${n} === 'undefined' ? undefined : ${n}`, context, { timeout: 100 }))
    } catch {
      // a reserved word, or a binding still in its temporal dead zone
    }
  }
  return out
}
