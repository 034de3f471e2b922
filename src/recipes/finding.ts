// What recipe code passes to finding() and notSeen(), checked and made into clean Findings (a `next` against the
// recipe catalog, evidence from ExecOutput clipped).
import { received } from '../errors.ts'
import { ExecOutput } from '../exec/types.ts'
import { stripAnsi } from '../ansi.ts'
import { couldNotSee, type NotSeen, type NotSeenKind } from '../notseen.ts'
import { validateParams } from './params.ts'
import {
  recipeCommand,
  RecipeError,
  SEVERITIES,
  type Evidence,
  type Finding,
  type NextRecipe,
  type NotSeenDetail,
  type RecipeCatalog,
  type Severity,
} from './report.ts'

const MAX_OUTPUT = 64 * 1024

function clip(text: string, max = MAX_OUTPUT): string {
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text
}

/**
 * Checks what recipe code passed to finding() and returns a clean Finding; throws RecipeError naming the field.
 * A `next` is checked against `recipes` (the recipe must exist and its parameters must validate).
 */
export function validateFinding(input: unknown, recipes?: RecipeCatalog): Finding {
  const bad = (field: string, expected: string, v: unknown) =>
    new RecipeError(
      'usage',
      `finding(): ${field}: expected ${expected}, received ${received(v)}`,
      "finding({severity: 'fail', message: '…', evidence: {command, output}, remedy: '…', next: {recipe: 'crashloop', params: {pod: 'shop/web-1'}}})",
    )
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw bad('argument', 'an object {severity, message, evidence?, remedy?, next?}', input)
  const f = input as Record<string, unknown>
  for (const k of Object.keys(f))
    if (!['severity', 'message', 'evidence', 'remedy', 'next'].includes(k))
      throw bad(`unknown field ${JSON.stringify(k)}`, 'only severity, message, evidence, remedy, next', f[k])
  if (f.severity === 'not-seen')
    throw new RecipeError(
      'usage',
      `finding(): severity 'not-seen' is for what a step could not look at: call notSeen(what, error) instead`,
      "try { … } catch (e) { notSeen('lab-2', e) }  // rethrows anything that is not 'could not look'",
    )
  if (!SEVERITIES.includes(f.severity as Severity)) throw bad('severity', "'ok', 'info', 'warn' or 'fail'", f.severity)
  if (typeof f.message !== 'string' || f.message.trim() === '') throw bad('message', 'a non-empty string', f.message)
  const out: Finding = { severity: f.severity as Severity, message: f.message.trim() }
  if (f.evidence !== undefined) out.evidence = evidenceOf(f.evidence, bad)
  if (f.remedy !== undefined && (typeof f.remedy !== 'string' || f.remedy.trim() === ''))
    throw bad('remedy', 'a non-empty string', f.remedy)
  if (typeof f.remedy === 'string') out.remedy = f.remedy.trim()
  if (f.next !== undefined) out.next = nextOf(f.next, recipes, bad)
  if ((out.severity === 'warn' || out.severity === 'fail') && !out.remedy) {
    throw new RecipeError(
      'usage',
      `finding(): a '${out.severity}' finding needs a remedy (what the operator should do about it): ${JSON.stringify(out.message.slice(0, 60))}`,
      `add remedy: '…' to the finding, or use severity 'info'`,
    )
  }
  return out
}

const NOT_SEEN_KINDS: readonly NotSeenKind[] = ['forbidden', 'unauthorized', 'timeout', 'unreachable', 'config']

/**
 * The NOT SEEN finding of notSeen(what, cause): `cause` is an error (classified by couldNotSee) or the recipe's own
 * {reason, grant?, configure?, kind?}. Undefined when the error does not mean "could not look" (the caller rethrows it).
 */
export function notSeenFinding(what: unknown, cause: unknown): Finding | undefined {
  if (typeof what !== 'string' || what.trim() === '')
    throw new RecipeError(
      'usage',
      `notSeen(): expected what could not be looked at (a non-empty string) as the first argument, received ${received(what)}`,
      "notSeen('lab-2', e) or notSeen('the kernel log of lab-1', { reason: 'dmesg is not permitted', configure: 'read it as root' })",
    )
  let n: NotSeen | undefined
  if (
    cause !== null &&
    typeof cause === 'object' &&
    !(cause instanceof Error) &&
    typeof (cause as { reason?: unknown }).reason === 'string' &&
    !('name' in cause)
  ) {
    const o = cause as Record<string, unknown>
    for (const k of Object.keys(o))
      if (!['reason', 'grant', 'configure', 'kind'].includes(k))
        throw new RecipeError(
          'usage',
          `notSeen(): unknown field ${JSON.stringify(k)}: expected only reason, grant, configure, kind, received ${received(o[k])}`,
        )
    for (const k of ['grant', 'configure'] as const)
      if (o[k] !== undefined && (typeof o[k] !== 'string' || (o[k] as string).trim() === ''))
        throw new RecipeError('usage', `notSeen(): ${k}: expected a non-empty string, received ${received(o[k])}`)
    if (o.kind !== undefined && !NOT_SEEN_KINDS.includes(o.kind as NotSeenKind))
      throw new RecipeError(
        'usage',
        `notSeen(): kind: expected one of ${NOT_SEEN_KINDS.join(', ')}, received ${received(o.kind)}`,
      )
    if ((o.reason as string).trim() === '')
      throw new RecipeError('usage', 'notSeen(): reason: expected a non-empty string, received ""')
    n = {
      kind: (o.kind as NotSeenKind | undefined) ?? 'config',
      reason: (o.reason as string).trim(),
      ...(o.grant ? { grant: (o.grant as string).trim() } : {}),
      ...(o.configure ? { configure: (o.configure as string).trim() } : {}),
    }
  } else n = couldNotSee(cause)
  if (!n) return undefined
  const detail: NotSeenDetail = { what: what.trim(), ...n }
  const remedy = n.grant ? `grant: ${n.grant}` : n.configure
  return {
    severity: 'not-seen',
    message: `${detail.what}: ${n.reason}`,
    ...(remedy ? { remedy } : {}),
    notSeen: detail,
  }
}

function nextOf(
  v: unknown,
  recipes: RecipeCatalog | undefined,
  bad: (field: string, expected: string, v: unknown) => Error,
): NextRecipe {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('next', 'an object {recipe, params}', v)
  const n = v as Record<string, unknown>
  for (const k of Object.keys(n))
    if (k !== 'recipe' && k !== 'params')
      throw bad(`next: unknown field ${JSON.stringify(k)}`, 'only recipe and params', n[k])
  if (typeof n.recipe !== 'string' || n.recipe.trim() === '') throw bad('next.recipe', 'the name of a recipe', n.recipe)
  const name = n.recipe.trim()
  const params: Record<string, string> = {}
  if (n.params !== undefined) {
    if (n.params === null || typeof n.params !== 'object' || Array.isArray(n.params))
      throw bad('next.params', 'an object {name: value}', n.params)
    for (const [k, pv] of Object.entries(n.params)) {
      if (pv === undefined) continue
      if (typeof pv !== 'string' && typeof pv !== 'number' && typeof pv !== 'boolean')
        throw bad(`next.params.${k}`, 'a string, number or boolean', pv)
      params[k] = String(pv)
    }
  }
  if (!recipes)
    throw new RecipeError(
      'usage',
      `finding(): next: recipe ${JSON.stringify(name)} cannot be checked: no recipe list was loaded`,
      'run the recipe with kinspect run or .run',
    )
  const target = recipes.get(name)
  if (!target)
    throw new RecipeError(
      'usage',
      `finding(): next.recipe: expected one of the recipes (${[...recipes.keys()].sort().join(', ')}), received ${JSON.stringify(name)}`,
      'kinspect recipes lists them',
    )
  try {
    validateParams(target, params, 'flag')
  } catch (e) {
    throw new RecipeError('usage', `finding(): next.params: ${(e as Error).message}`, (e as { hint?: string }).hint, e)
  }
  return { recipe: name, params, command: recipeCommand(name, params) }
}

/**
 * Marks evidence whose command reads `ssh NODE …` when NODE was reached through a node pod or a DaemonSet pod
 * (`viaOf` says how a node was reached, undefined when not known), so the report does not claim SSH was used.
 */
export function markEvidenceVia(f: Finding, viaOf: (node: string) => string | undefined): Finding {
  const node = f.evidence && /^ssh ([A-Za-z0-9][A-Za-z0-9._-]*)\s/.exec(f.evidence.command)?.[1]
  if (!node) return f
  const via = viaOf(node)
  if (via === 'pod' || via === 'daemonset') f.evidence!.via = via
  return f
}

function evidenceOf(v: unknown, bad: (field: string, expected: string, v: unknown) => Error): Evidence {
  if (v instanceof ExecOutput) return { command: v.argv.join(' '), output: clip(stripAnsi(v.stdout + v.stderr)) }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('evidence', 'an object {command, output}', v)
  const e = v as Record<string, unknown>
  if (typeof e.command !== 'string' || e.command.trim() === '')
    throw bad('evidence.command', 'the command as a non-empty string', e.command)
  let output = e.output
  if (output instanceof ExecOutput) output = output.stdout + output.stderr
  if (typeof output !== 'string') throw bad('evidence.output', 'what the command printed, as a string', output)
  return { command: e.command.trim(), output: clip(stripAnsi(output)) }
}
