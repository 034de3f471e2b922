// The globals a recipe's steps get besides the shell's: finding(), notSeen() and change(). Each reports into the
// step that is running (cursor.current); one called after its step ended is a RecipeError naming it.
import { received } from '../errors.ts'
import type { SessionApi } from '../session.ts'
import type { Recipe } from './format.ts'
import { markEvidenceVia, notSeenFinding, validateFinding } from './finding.ts'
import type { Progress } from './progress.ts'
import { RecipeError, type RecipeCatalog, type StepReport } from './report.ts'
import type { LineSource } from './types.ts'

/** The step that is running; undefined between steps and after the last one. */
export interface StepCursor {
  current?: StepReport
}

/** What the step globals need from the run. */
export interface StepGlobalsOptions {
  recipe: Pick<Recipe, 'name' | 'file' | 'changes'>
  recipes: RecipeCatalog
  session: Pick<SessionApi, 'nodeVia'>
  cursor: StepCursor
  /** Where change() asks. */
  output: NodeJS.WritableStream
  progress: Pick<Progress, 'pause'>
  /** The answers change() reads (none: a change is not applied unless yes). */
  reader?: LineSource
  /** Apply changes without asking (--yes). */
  yes?: boolean
}

/** finding(), notSeen() and change() for one recipe run. */
export function stepGlobals(o: StepGlobalsOptions): {
  finding: (f: unknown) => void
  notSeen: (what: unknown, cause: unknown) => void
  change: (description: unknown, action: unknown) => Promise<unknown>
} {
  const { cursor } = o
  const ended = (what: string, message: string) =>
    new RecipeError(
      'usage',
      `${what}() was called after its step ended: ${JSON.stringify(message.slice(0, 60))}`,
      'await every call that reports findings, so the step waits for them',
    )
  const finding = (f: unknown): void => {
    const clean = markEvidenceVia(validateFinding(f, o.recipes), (n) => o.session.nodeVia?.(n))
    if (!cursor.current) throw ended('finding', clean.message)
    cursor.current.findings.push(clean)
  }
  // NOT SEEN for what the step could not look at; anything else (a bug, a command that failed) is thrown on.
  const notSeen = (what: unknown, cause: unknown): void => {
    const f = notSeenFinding(what, cause)
    if (!f) throw cause
    if (!cursor.current) throw ended('notSeen', f.message)
    cursor.current.findings.push(f)
  }
  const change = async (description: unknown, action: unknown): Promise<unknown> => {
    checkChange(o.recipe, description, action)
    const step = cursor.current
    const { applied, reason } = o.yes === true ? { applied: true, reason: undefined } : await ask(o, description)
    step?.changes.push({ description: description as string, applied, ...(reason ? { reason } : {}) })
    if (!applied) return undefined
    return (action as () => unknown)()
  }
  return { finding, notSeen, change }
}

function checkChange(recipe: StepGlobalsOptions['recipe'], description: unknown, action: unknown): void {
  if (typeof description !== 'string' || description.trim() === '')
    throw new RecipeError(
      'usage',
      `change(): expected a description of the change as the first argument, received ${received(description)}`,
      "change('restart kubelet on lab-1', () => node('lab-1').$`systemctl restart kubelet`)",
    )
  if (typeof action !== 'function')
    throw new RecipeError(
      'usage',
      `change(): expected a function that makes the change as the second argument, received ${received(action)}`,
    )
  if (!recipe.changes)
    throw new RecipeError(
      'usage',
      `change(): recipe ${recipe.name} declares changes: false, so it may not change anything`,
      `set changes: true in ${recipe.file}'s front matter; the runner will then ask before each change`,
    )
}

// Asks on the output and reads the answer; without a reader the change is not applied.
async function ask(o: StepGlobalsOptions, description: unknown): Promise<{ applied: boolean; reason?: string }> {
  const reader = o.reader
  if (!reader) return { applied: false, reason: 'not confirmed: no input to ask on; pass --yes to apply changes' }
  o.progress.pause()
  o.output.write(`  change: ${description}\n  apply it? [y/N] `)
  const answer = await reader.next()
  if (answer === null || !reader.echoes) o.output.write('\n')
  if (/^\s*y(es)?\s*$/i.test(answer ?? '')) return { applied: true }
  return { applied: false, reason: answer === null ? 'not confirmed: input ended' : 'declined' }
}
