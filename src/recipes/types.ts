// The recipe engine's interfaces with the shell: what it lists and runs, what a run gets, and the headless shell
// recipe steps run in (src/repl gives it: the engine never imports the REPL, which imports the engine for .run).
import type { SessionApi } from '../session.ts'

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
  /** Afterwards run the `next` recipe each warn/fail finding names (--follow). */
  follow?: boolean
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

/** What the shell calls in the recipe engine (src/recipes/index.ts, through recipesPort in src/repl/recipes.ts). */
export interface RecipesPort {
  /**
   * Runs recipe `name` with string params and streams its report to ctx.output; resolves to the report
   * (an object with exitCode 0/1/2), which prints as one summary line.
   */
  runRecipe(name: string, params: Record<string, string>, ctx: RecipeRunContext): Promise<unknown>
  /** Recipes found in config.recipeDirs and the shipped recipes/ folder. */
  listRecipes(ctx: { session: SessionApi }): Promise<RecipeInfo[]>
}

/** A shell that evaluates recipe code with the shell's globals, as the REPL evaluates input. */
export interface RecipeShell {
  /** The globals' object: the runner adds params, finding() and change() to it. */
  readonly context: object
  /** Evaluates code (or a dot-command) as if typed; prints to the output the shell was started with. */
  evaluate(code: string): Promise<{ ok: boolean; error?: unknown }>
  close(): void
}

/** Starts a headless RecipeShell writing values to `output` and errors to `errorOutput` (headlessShell in src/repl/index.ts). */
export type StartShell = (opts: {
  session: SessionApi
  output: NodeJS.WritableStream
  errorOutput: NodeJS.WritableStream
}) => RecipeShell
