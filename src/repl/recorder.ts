// What the shell is evaluating right now, and what it printed: each input's output goes to the notebook (with
// results redacted by structure) and its values to the session's taint set.
import { stripAnsi } from '../render/color.ts'
import { redactValue } from '../render/notebook-redact.ts'
import type { OutputTap } from './io.ts'
import type { Notebook } from './notebook.ts'
import { boundNames, readBindings } from './taint.ts'

/** What one evaluation ended with. */
export interface EvalOutcome {
  ok: boolean
  value?: unknown
  error?: unknown
}

/** The input being evaluated. `eval`: JavaScript (node's REPL buffers keys until it ends), not a dot-command. */
interface Current {
  code: string
  done?: (o: EvalOutcome) => void
  error?: unknown
  eval?: boolean
}

/** The last value the writer printed, and where its text sits in the recorded output. */
interface Printed {
  value: unknown
  text: string
  pos: number
}

/** Records each evaluation: begin() when an input starts, end() when its prompt comes back. */
export class Recorder {
  #current: Current | undefined
  #last: Printed | undefined

  constructor(
    private tap: OutputTap,
    private notebook: Notebook,
    /** Formats a value without colour, at the screen's width (for the redacted copy of a result). */
    private plain: (value: unknown) => string,
    /** The REPL's context, to read what an input bound (`const s = …`). */
    private context: () => object,
  ) {}

  /** Something is being evaluated. */
  get busy(): boolean {
    return this.#current !== undefined
  }

  /** The input being evaluated is JavaScript (not a dot-command). */
  get evaluatingCode(): boolean {
    return this.#current?.eval === true
  }

  /** The input being evaluated has its own completion callback (evaluate() or a recorded dot-command). */
  get awaited(): boolean {
    return this.#current?.done !== undefined
  }

  /** An input starts; `done` is called when it ends. */
  begin(code: string, done?: (o: EvalOutcome) => void, isEval = false): void {
    this.#current = { code, done, ...(isEval ? { eval: true } : {}) }
    this.#last = undefined
    this.tap.start()
  }

  /** The writer printed `value` as `text` (at the current end of the recorded output). */
  printed(value: unknown, text: string): void {
    this.#last = { value, text, pos: this.tap.length }
  }

  /** The input threw `e`. */
  failed(e: unknown): void {
    if (this.#current) this.#current.error = e
  }

  /** Forgets the input without recording it (node's REPL asks for more lines). */
  drop(): void {
    this.#current = undefined
    this.tap.stop()
  }

  /** The input ended: its output goes to the notebook and its values to the taint set. */
  end(outcome: EvalOutcome): void {
    const cur = this.#current
    if (!cur) return
    this.#current = undefined
    let text = this.tap.stop()
    const last = this.#last
    if (last && last.value !== null && typeof last.value === 'object') {
      // The result goes to the notebook with Secret data etc. hidden structurally, not only textually.
      text = text.slice(0, last.pos) + this.plain(redactValue(last.value)) + text.slice(last.pos + last.text.length)
    }
    this.#observe(cur, outcome)
    this.notebook.addCode(cur.code, stripAnsi(text))
    cur.done?.(outcome)
  }

  // The taint set learns from the values themselves: the result, a thrown error, and what the input bound.
  #observe(cur: Current, outcome: EvalOutcome): void {
    try {
      const seen = [
        this.#last?.value,
        outcome.value,
        outcome.error,
        cur.error,
        ...readBindings(this.context(), boundNames(cur.code)),
      ]
      for (const v of seen) if (v !== undefined) this.notebook.taint.observe(v)
    } catch {
      // never let bookkeeping break the shell; the text of the output is still read when the notebook is saved
    }
  }
}
