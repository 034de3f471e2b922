// The port to the recipe engine (src/recipes, written separately): its expected shape and how it is found.
import type { SessionApi } from '../session.ts'
import { ShellError } from './errors.ts'

/** One recipe as listed. */
export interface RecipeInfo {
  name: string
  description?: string
  file?: string
}

/** What the shell needs from src/recipes/index.ts (exports of that module). */
export interface RecipesPort {
  /** Runs recipe `name` with string params; the returned value is printed with the REPL writer. */
  runRecipe(name: string, params: Record<string, string>, ctx: { session: SessionApi; output: NodeJS.WritableStream }): Promise<unknown>
  /** Recipes found in config.recipeDirs. */
  listRecipes(ctx: { session: SessionApi }): Promise<RecipeInfo[]>
}

/** The error for `.run` / `kinspect run` / `kinspect recipes` when no recipe engine is installed. */
export function recipesUnavailable(): ShellError {
  return new ShellError('unavailable', 'recipes are not available: this build has no recipe engine (src/recipes/index.ts)', 'use the helpers directly (.help lists them); recipes arrive with the recipe engine')
}

/** Loads src/recipes/index.ts when it exists and has runRecipe/listRecipes; undefined otherwise. */
export async function loadRecipesPort(): Promise<RecipesPort | undefined> {
  const spec = '../recipes/index.ts'
  let mod: Partial<RecipesPort>
  try {
    mod = (await import(spec)) as Partial<RecipesPort>
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    if (err.code === 'ERR_MODULE_NOT_FOUND' && /recipes[\\/]index\.(ts|js)/.test(err.message)) return undefined
    throw e
  }
  if (typeof mod.runRecipe !== 'function' || typeof mod.listRecipes !== 'function') return undefined
  return { runRecipe: mod.runRecipe.bind(mod), listRecipes: mod.listRecipes.bind(mod) }
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
