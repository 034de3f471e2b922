// The shell's side of the recipe engine: the port .run and `kinspect run` call, and parsing their arguments.
import type { SessionApi } from '../session.ts'
import { ShellError } from './errors.ts'

/** One recipe as listed. */
export interface RecipeInfo {
  name: string
  description?: string
  file?: string
  /** Its parameters (kinspect recipes shows them). */
  params?: { name: string; type: string; required?: boolean; default?: unknown; description?: string }[]
  /** The recipe may change the cluster or a node (it asks first). */
  changes?: boolean
  /** Why the file is not a usable recipe (file:line: what was expected). */
  error?: string
  /** An earlier recipe folder has one of the same name. */
  shadowed?: boolean
}

/** The runner's own options (kinspect run NAME --teach --dry-run --yes -o json; .run takes them too). */
export interface RecipeRunOptions {
  teach?: boolean
  dryRun?: boolean
  yes?: boolean
  format?: 'text' | 'json'
}

/** Lines typed by the user, one at a time (teach mode's Enter, change() confirmations). */
export interface LineSource {
  /** The next line, or null when the input has ended. */
  next(): Promise<string | null>
  /** The terminal shows what is typed (so no newline is added after an answer). */
  readonly echoes: boolean
}

/** What runRecipe gets besides the name and the parameters. */
export interface RecipeRunContext extends RecipeRunOptions {
  session: SessionApi
  output: NodeJS.WritableStream
  /** Where teach mode and change confirmations read answers (absent: teach is refused, changes need --yes). */
  input?: NodeJS.ReadableStream
  /** Answers from a shell that owns the input (the REPL); used instead of input. */
  lines?: LineSource
  color?: boolean
  /** Relative recipe paths resolve against it. */
  cwd?: string
  /** How parameters are spelled in messages: --name value (CLI) or name=value (.run). */
  paramStyle?: 'flag' | 'word'
}

/** What the shell calls in the recipe engine (src/recipes/index.ts). */
export interface RecipesPort {
  /**
   * Runs recipe `name` with string params and streams its report to ctx.output; resolves to the report
   * (an object with exitCode 0/1/2), which prints as one summary line.
   */
  runRecipe(name: string, params: Record<string, string>, ctx: RecipeRunContext): Promise<unknown>
  /** Recipes found in config.recipeDirs and the shipped recipes/ folder. */
  listRecipes(ctx: { session: SessionApi }): Promise<RecipeInfo[]>
}

/** The recipe engine, src/recipes/index.ts, imported on first use (it is not needed to show the prompt). */
export function recipesPort(): RecipesPort {
  const engine = () => import('../recipes/index.ts')
  return {
    runRecipe: async (name, params, ctx) => (await engine()).runRecipe(name, params, ctx),
    listRecipes: async (ctx) => (await engine()).listRecipes(ctx),
  }
}

/** Parses `param=value` words (.run) into a record; bad words name themselves. */
export function parseParamWords(words: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const w of words) {
    const m = /^([A-Za-z_][\w.-]*)=(.*)$/s.exec(w)
    if (!m) throw new ShellError('usage', `recipe parameter ${JSON.stringify(w)}: expected name=value`, 'usage: .run NAME param=value ...')
    out[m[1]] = m[2]
  }
  return out
}

/** Parses `--name value` / `--name=value` flags (kinspect run NAME ...) into a record. */
export function parseParamFlags(args: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    const m = /^--([A-Za-z_][\w.-]*)(?:=(.*))?$/s.exec(a)
    if (!m) throw new ShellError('usage', `recipe parameter ${JSON.stringify(a)}: expected --name value or --name=value`, 'usage: kinspect run NAME [--param value]...')
    if (m[2] !== undefined) out[m[1]] = m[2]
    else {
      const v = args[i + 1]
      if (v === undefined || v.startsWith('--')) throw new ShellError('usage', `recipe parameter --${m[1]} needs a value`, 'usage: kinspect run NAME [--param value]...')
      out[m[1]] = v
      i++
    }
  }
  return out
}

/** Splits a command argument string into words, honouring '…' and "…" quotes (param="a b"). */
export function splitWords(arg: string): string[] {
  const words: string[] = []
  let cur: string | undefined
  let quote: string | undefined
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i]
    if (quote) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"' && i + 1 < arg.length) cur += arg[++i]
      else cur += c
    } else if (c === '"' || c === "'") {
      quote = c
      cur ??= ''
    } else if (/\s/.test(c)) {
      if (cur !== undefined) words.push(cur)
      cur = undefined
    } else cur = (cur ?? '') + c
  }
  if (quote) throw new ShellError('usage', `unterminated ${quote} quote in ${JSON.stringify(arg)}`)
  if (cur !== undefined) words.push(cur)
  return words
}

/** Takes the runner's own flags (--teach, --dry-run, --yes/-y, -o/--output text|json) out of run arguments. */
export function takeRunFlags(args: readonly string[]): { options: RecipeRunOptions; rest: string[] } {
  const options: RecipeRunOptions = {}
  const rest: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--teach') options.teach = true
    else if (a === '--dry-run') options.dryRun = true
    else if (a === '--yes' || a === '-y') options.yes = true
    else if (/^(-o|--output)(=.*)?$/.test(a)) {
      const eq = a.indexOf('=')
      const v = eq > 0 ? a.slice(eq + 1) : args[++i]
      if (v !== 'text' && v !== 'json') throw new ShellError('usage', `${a.replace(/=.*/, '')}: expected text or json, received ${v === undefined ? 'nothing' : JSON.stringify(v)}`, 'e.g. -o json')
      options.format = v
    } else rest.push(a)
  }
  if (options.teach && options.dryRun) throw new ShellError('usage', '--teach and --dry-run cannot be combined', '--dry-run prints the plan; --teach runs it step by step')
  if (options.teach && options.format === 'json') throw new ShellError('usage', '--teach and -o json cannot be combined', 'teach mode talks to a person; -o json is for programs')
  return { options, rest }
}
