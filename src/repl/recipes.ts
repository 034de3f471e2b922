// The shell's side of the recipe engine: the port .run and `kinspect run` call, and parsing their arguments.
import type { RecipeRunOptions, RecipesPort, StartShell } from '../recipes/types.ts'
import { ShellError } from './errors.ts'

export type { LineSource, RecipeInfo, RecipeRunContext, RecipeRunOptions, RecipesPort } from '../recipes/types.ts'

/**
 * The recipe engine, src/recipes/index.ts, imported on first use (it is not needed to show the prompt). Recipe
 * steps run in `shell` (the REPL's headless shell, given by src/repl/index.ts: the engine does not import it back).
 */
export function recipesPort(shell: StartShell): RecipesPort {
  const engine = () => import('../recipes/index.ts')
  return {
    runRecipe: async (name, params, ctx) => (await engine()).runRecipe(name, params, { ...ctx, shell }),
    listRecipes: async (ctx) => (await engine()).listRecipes(ctx),
  }
}

/** Parses `param=value` words (.run) into a record; bad words name themselves. */
export function parseParamWords(words: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const w of words) {
    const m = /^([A-Za-z_][\w.-]*)=(.*)$/s.exec(w)
    if (!m)
      throw new ShellError(
        'usage',
        `recipe parameter ${JSON.stringify(w)}: expected name=value`,
        'usage: .run NAME param=value ...',
      )
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
    if (!m)
      throw new ShellError(
        'usage',
        `recipe parameter ${JSON.stringify(a)}: expected --name value or --name=value`,
        'usage: kinspect run NAME [--param value]...',
      )
    if (m[2] !== undefined) out[m[1]] = m[2]
    else {
      const v = args[i + 1]
      if (v === undefined || v.startsWith('--'))
        throw new ShellError(
          'usage',
          `recipe parameter --${m[1]} needs a value`,
          'usage: kinspect run NAME [--param value]...',
        )
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

/** Takes the runner's own flags (--teach, --dry-run, --yes/-y, --follow, -o/--output text|json) out of run arguments. */
export function takeRunFlags(args: readonly string[]): { options: RecipeRunOptions; rest: string[] } {
  const options: RecipeRunOptions = {}
  const rest: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--teach') options.teach = true
    else if (a === '--dry-run') options.dryRun = true
    else if (a === '--yes' || a === '-y') options.yes = true
    else if (a === '--follow') options.follow = true
    else if (/^(-o|--output)(=.*)?$/.test(a)) {
      const eq = a.indexOf('=')
      const v = eq > 0 ? a.slice(eq + 1) : args[++i]
      if (v !== 'text' && v !== 'json')
        throw new ShellError(
          'usage',
          `${a.replace(/=.*/, '')}: expected text or json, received ${v === undefined ? 'nothing' : JSON.stringify(v)}`,
          'e.g. -o json',
        )
      options.format = v
    } else rest.push(a)
  }
  if (options.teach && options.dryRun)
    throw new ShellError(
      'usage',
      '--teach and --dry-run cannot be combined',
      '--dry-run prints the plan; --teach runs it step by step',
    )
  if (options.teach && options.format === 'json')
    throw new ShellError(
      'usage',
      '--teach and -o json cannot be combined',
      'teach mode talks to a person; -o json is for programs',
    )
  return { options, rest }
}
