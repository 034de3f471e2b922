// Finding recipes: the config's recipeDirs (in order), the recipes shipped with kinspect, or a file path; the catalog.
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { hasFrontMatter, parseRecipe, recipeNameOf, RecipeFormatError, type Recipe } from './format.ts'
import { RecipeError, type RecipeCatalog } from './report.ts'
import type { ParamDef } from './params.ts'
import { received } from '../errors.ts'

/** The recipes/ folder shipped with kinspect (beside src/ and dist/). */
export const SHIPPED_DIR = fileURLToPath(new URL('../../recipes/', import.meta.url)).replace(/[\\/]$/, '')

/** A folder searched for recipes. */
export interface RecipeDir {
  dir: string
  origin: 'config' | 'shipped'
}

/** Folders searched by name, in order: config recipeDirs first (they may override), then the shipped ones. */
export function recipeDirs(config: { recipeDirs: readonly string[] }, shipped = SHIPPED_DIR): RecipeDir[] {
  const out: RecipeDir[] = config.recipeDirs.map((dir) => ({ dir: path.resolve(dir), origin: 'config' as const }))
  if (!out.some((d) => d.dir === path.resolve(shipped))) out.push({ dir: path.resolve(shipped), origin: 'shipped' })
  return out
}

/** True when the argument names a file rather than a recipe: it has a slash or ends in .md. */
export function isPathLike(arg: string): boolean {
  return /[\\/]/.test(arg) || /\.(md|markdown)$/i.test(arg)
}

/** Reads and parses one recipe file; a missing file is RecipeError('notfound'), a malformed one RecipeFormatError. */
export async function loadRecipeFile(file: string): Promise<Recipe> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new RecipeError(
      'notfound',
      `cannot read recipe ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`,
      'kinspect recipes lists the recipes it finds',
      e,
    )
  }
  return parseRecipe(text, file)
}

/** One recipe file found in a folder: parsed, or with the reason it is malformed. */
export interface RecipeEntry {
  name: string
  file: string
  origin: RecipeDir['origin']
  recipe?: Recipe
  error?: RecipeFormatError
  /** An earlier folder has a recipe of the same name (that one runs). */
  shadowed: boolean
}

async function mdFiles(dir: string): Promise<string[]> {
  try {
    const names = await fs.readdir(dir)
    return names
      .filter((n) => /\.(md|markdown)$/i.test(n))
      .sort()
      .map((n) => path.join(dir, n))
  } catch {
    return [] // a configured folder that does not exist yet holds no recipes
  }
}

/** Every recipe in the folders (files without front matter, like a README, are not recipes and are left out). */
export async function listRecipeEntries(dirs: readonly RecipeDir[]): Promise<RecipeEntry[]> {
  const out: RecipeEntry[] = []
  const seen = new Set<string>()
  for (const d of dirs) {
    for (const file of await mdFiles(d.dir)) {
      const text = await fs.readFile(file, 'utf8').catch(() => undefined)
      if (text === undefined || !hasFrontMatter(text)) continue
      const name = recipeNameOf(file)
      const entry: RecipeEntry = { name, file, origin: d.origin, shadowed: seen.has(name) }
      try {
        entry.recipe = parseRecipe(text, file)
      } catch (e) {
        if (!(e instanceof RecipeFormatError)) throw e
        entry.error = e
      }
      seen.add(name)
      out.push(entry)
    }
  }
  return out
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]
    d[0] = i
    for (let j = 1; j <= b.length; j++) {
      const t = d[j]
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = t
    }
  }
  return d[b.length]
}

/** Finds a recipe by name (first folder that has NAME.md wins) or by path; RecipeError('notfound') lists what exists. */
export async function findRecipe(
  nameOrPath: string,
  opts: { dirs: readonly RecipeDir[]; cwd?: string },
): Promise<Recipe> {
  if (typeof nameOrPath !== 'string' || nameOrPath.trim() === '')
    throw new RecipeError(
      'usage',
      `recipe: expected a recipe name or a path to a .md file, received ${received(nameOrPath)}`,
      'kinspect recipes lists them',
    )
  if (isPathLike(nameOrPath)) return loadRecipeFile(path.resolve(opts.cwd ?? process.cwd(), nameOrPath))
  for (const d of opts.dirs) {
    for (const ext of ['.md', '.markdown']) {
      const file = path.join(d.dir, `${nameOrPath}${ext}`)
      const exists = await fs.stat(file).then(
        (s) => s.isFile(),
        () => false,
      )
      if (exists) return loadRecipeFile(file)
    }
  }
  const names = [...new Set((await listRecipeEntries(opts.dirs)).map((e) => e.name))]
  const near = names.filter((n) => distance(n, nameOrPath) <= 2 || n.includes(nameOrPath))
  throw new RecipeError(
    'notfound',
    `no recipe named "${nameOrPath}"${near.length ? `; did you mean ${near.join(' or ')}?` : ''}`,
    `recipes: ${names.join(', ') || '(none)'}; searched ${opts.dirs.map((d) => d.dir).join(', ')} (config recipeDirs, then the shipped recipes); a path to a .md file works too`,
  )
}

/** The recipes of the session's folders by name (the first folder wins, malformed ones left out). */
export async function recipeCatalog(config: { recipeDirs: readonly string[] }): Promise<RecipeCatalog> {
  const out = new Map<string, { name: string; params: ParamDef[] }>()
  for (const e of await listRecipeEntries(recipeDirs(config)))
    if (e.recipe && !e.shadowed && !out.has(e.name)) out.set(e.name, e.recipe)
  return out
}
