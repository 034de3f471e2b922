// The recipe engine: what the shell's recipes port calls (runRecipe, listRecipes) and the engine's public API.
import type { SessionApi } from '../session.ts'
import { findRecipe, listRecipeEntries, recipeDirs } from './loader.ts'
import { validateParams } from './params.ts'
import { runParsedRecipe } from './runner.ts'
import type { RecipeReport } from './report.ts'
import type { RecipeInfo, RecipeRunContext, StartShell } from './types.ts'

export { parseRecipe, recipeNameOf, RecipeFormatError, RESERVED_PARAMS, type Recipe, type Section, type CodeBlock } from './format.ts'
export { validateParams, parseParamValue, parseDuration, PARAM_TYPES, ParamError, type ParamDef, type ParamType, type ParamValue, type ParamStyle } from './params.ts'
export { findRecipe, listRecipeEntries, loadRecipeFile, recipeDirs, SHIPPED_DIR, type RecipeDir, type RecipeEntry } from './loader.ts'
export { runParsedRecipe, expandManual, planOf, type RunnerOptions } from './runner.ts'
export { RecipeReport, RecipeError, validateFinding, summaryLine, type Finding, type Evidence, type Severity, type StepReport, type ReportData, type ExitCode } from './report.ts'
export { recipeGlobalsDts } from './dts.ts'
export type * from './types.ts'

/** Runs recipe `name` (or a path to a .md file): finds it, validates params, runs it, streams the report to ctx.output. */
export async function runRecipe(name: string, params: Record<string, string>, ctx: RecipeRunContext & { shell: StartShell }): Promise<RecipeReport> {
  const recipe = await findRecipe(name, { dirs: recipeDirs(ctx.session.config), cwd: ctx.cwd })
  const values = validateParams(recipe, params, ctx.paramStyle ?? 'flag')
  return runParsedRecipe(recipe, values, {
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
  })
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
          params: e.recipe.params.map((p) => ({ name: p.name, type: p.type, required: p.required, default: p.default, description: p.description })),
        }
      : { name: e.name, file: e.file, shadowed: e.shadowed, error: e.error?.message ?? 'malformed' },
  )
}
