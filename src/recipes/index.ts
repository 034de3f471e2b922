// The recipe engine: what the shell's recipes port calls (runRecipe, listRecipes) and the engine's public API.
import type { SessionApi } from '../session.ts'
import { findRecipe, listRecipeEntries, recipeDirs } from './loader.ts'
import { validateParams } from './params.ts'
import { recipeCatalog, runParsedRecipe } from './runner.ts'
import { recipeCommand, type RecipeReport } from './report.ts'
import type { Recipe } from './format.ts'
import type { ParamValue } from './params.ts'
import type { RecipeInfo, RecipeRunContext, StartShell } from './types.ts'

export {
  parseRecipe,
  recipeNameOf,
  RecipeFormatError,
  RESERVED_PARAMS,
  type Recipe,
  type Section,
  type CodeBlock,
} from './format.ts'
export {
  validateParams,
  parseParamValue,
  parseDuration,
  PARAM_TYPES,
  ParamError,
  type ParamDef,
  type ParamType,
  type ParamValue,
  type ParamStyle,
} from './params.ts'
export {
  findRecipe,
  listRecipeEntries,
  loadRecipeFile,
  recipeDirs,
  SHIPPED_DIR,
  type RecipeDir,
  type RecipeEntry,
} from './loader.ts'
export { runParsedRecipe, expandManual, planOf, recipeCatalog, type RunnerOptions } from './runner.ts'
export {
  RecipeReport,
  RecipeError,
  summaryLine,
  recipeCommand,
  type Finding,
  type Evidence,
  type Severity,
  type StepReport,
  type ReportData,
  type ExitCode,
  type NextRecipe,
  type RecipeCatalog,
} from './report.ts'
export { validateFinding } from './finding.ts'
export { recipeGlobalsDts } from './dts.ts'
export type * from './types.ts'

/** At most this many recipes run after the first one with --follow (each may name its own next). */
export const MAX_FOLLOW = 5

/**
 * Runs recipe `name` (or a path to a .md file): finds it, validates params, runs it, streams the report to ctx.output.
 * With ctx.follow, then runs the `next` recipe of each warn/fail finding (and theirs), each once, at most MAX_FOLLOW.
 */
export async function runRecipe(
  name: string,
  params: Record<string, string>,
  ctx: RecipeRunContext & { shell: StartShell },
): Promise<RecipeReport> {
  const dirs = recipeDirs(ctx.session.config)
  const recipe = await findRecipe(name, { dirs, cwd: ctx.cwd })
  const values = validateParams(recipe, params, ctx.paramStyle ?? 'flag')
  const follow = ctx.follow === true && !ctx.dryRun
  const json = ctx.format === 'json'
  const recipes = await recipeCatalog(ctx.session.config)
  const runOne = (r: Recipe, v: Record<string, ParamValue>) =>
    runParsedRecipe(r, v, {
      session: ctx.session,
      shell: ctx.shell,
      output: ctx.output,
      input: ctx.input,
      lines: ctx.lines,
      teach: ctx.teach,
      dryRun: ctx.dryRun,
      yes: ctx.yes,
      format: ctx.format,
      color: ctx.color,
      recipes,
      printJson: !follow,
    })
  const report = await runOne(recipe, values)
  if (!follow) return report
  report.followed = []
  const done = new Set([recipeCommand(recipe.name, params)])
  const queue = report.nextRecipes()
  while (queue.length && report.followed.length < MAX_FOLLOW) {
    const next = queue.shift()!
    if (done.has(next.command)) continue
    done.add(next.command)
    if (!json) ctx.output.write(`\n--follow: ${next.command}\n\n`)
    const r = await findRecipe(next.recipe, { dirs })
    const ran = await runOne(r, validateParams(r, next.params, 'flag'))
    report.followed.push(ran)
    queue.push(...ran.nextRecipes())
  }
  if (!json && queue.some((n) => !done.has(n.command)))
    ctx.output.write(
      `\n--follow stopped after ${MAX_FOLLOW} recipes; not run: ${queue
        .filter((n) => !done.has(n.command))
        .map((n) => n.command)
        .join('; ')}\n`,
    )
  if (json) ctx.output.write(`${JSON.stringify(report, null, 2)}\n`)
  return report
}

/** Recipes in the config's recipeDirs and the shipped folder, with summaries and parameters (malformed ones say why). */
export async function listRecipes(ctx: { session: Pick<SessionApi, 'config'> }): Promise<RecipeInfo[]> {
  const entries = await listRecipeEntries(recipeDirs(ctx.session.config))
  return entries.map((e) =>
    e.recipe
      ? {
          name: e.name,
          description: e.recipe.summary,
          file: e.file,
          changes: e.recipe.changes,
          shadowed: e.shadowed,
          params: e.recipe.params.map((p) => ({
            name: p.name,
            type: p.type,
            required: p.required,
            default: p.default,
            description: p.description,
          })),
        }
      : { name: e.name, file: e.file, shadowed: e.shadowed, error: e.error?.message ?? 'malformed' },
  )
}
