// The recipe file format: YAML front matter (name, summary, params, changes) and Markdown steps. Pure.
// The parts: format-types.ts (the data), format-front-matter.ts, format-body.ts.
import path from 'node:path'
import { frontMatter } from './format-front-matter.ts'
import { structure } from './format-body.ts'
import { RecipeFormatError, type Recipe } from './format-types.ts'

export { RecipeFormatError, type CodeBlock, type Recipe, type Section } from './format-types.ts'
export { RESERVED_PARAMS } from './format-front-matter.ts'

/** The recipe name a file must declare: its base name without .md. */
export function recipeNameOf(file: string): string {
  return path.basename(file).replace(/\.(md|markdown)$/i, '')
}

/** True when the text starts with a front matter line (`---`): the file means to be a recipe. */
export function hasFrontMatter(text: string): boolean {
  return /^\uFEFF?---[ \t]*\r?\n/.test(text)
}

/** Parses and validates a recipe file's text; throws RecipeFormatError naming the file and line. */
export function parseRecipe(text: string, file: string): Recipe {
  const lines = text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\n')
  const fail = (line: number, what: string, hint?: string): never => {
    throw new RecipeFormatError(file, line, what, hint)
  }
  if (!/^---\s*$/.test(lines[0] ?? ''))
    fail(
      1,
      `expected YAML front matter: a first line "---", then name, summary, params, changes, then "---"; received ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`,
      'a notebook saved with .save becomes a recipe by adding front matter (docs/recipes.md)',
    )
  const end = lines.findIndex((l, i) => i > 0 && /^(---|\.\.\.)\s*$/.test(l))
  if (end < 0) fail(1, 'the front matter opened here is not closed: expected a line "---" after it')
  const fm = frontMatter(lines.slice(1, end).join('\n'), file, 2)
  if (fm.name !== recipeNameOf(file))
    fail(
      fm.nameLine,
      `name: expected ${JSON.stringify(recipeNameOf(file))} (the file name without .md), received ${JSON.stringify(fm.name)}`,
      `rename the file to ${fm.name}.md or set name: ${recipeNameOf(file)}`,
    )
  const body = structure(
    lines.slice(end + 1),
    end + 2,
    file,
    new Set(['namespace', 'context', ...fm.params.map((p) => p.name)]),
  )
  return { ...fm, ...body, steps: body.sections.filter((s) => s.kind === 'step'), file }
}
