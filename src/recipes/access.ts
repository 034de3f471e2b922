// The node access part of a recipe's plan (--dry-run): which steps run commands on nodes, and for each node whether
// it would be reached over SSH or through a node pod that would be created. Nothing connects, nothing is created.
import type { AccessPlanEntry } from '../access/plan.ts'
import type { SessionApi } from '../session.ts'
import type { Recipe } from './format.ts'
import type { ParamValue } from './params.ts'

/** The globals whose calls run commands on a node. */
const NODE_CALLS = /\b(node|enterNetns|vethOf|svcRules|dnsQuery|conntrackStats|conntrackList)\s*\(/

/** The node access of a plan: the steps that reach nodes, and what each node would use. */
export interface NodeAccessPlan {
  /** Step numbers (1-based) whose code calls a node helper. */
  steps: number[]
  nodes: AccessPlanEntry[]
  /** Why the nodes could not be listed, when they could not. */
  error?: string
}

/** Step numbers whose code reaches nodes (node(), enterNetns(), svcRules()…). Pure. */
export function nodeSteps(recipe: Pick<Recipe, 'steps'>): number[] {
  return recipe.steps.flatMap((s, i) => (s.blocks.some((b) => NODE_CALLS.test(b.code)) ? [i + 1] : []))
}

/**
 * The plan for the nodes the recipe can reach: those its node parameters name, else every node of the cluster.
 * Undefined when no step reaches a node or the session cannot plan node access.
 */
export async function planNodeAccess(
  recipe: Pick<Recipe, 'steps' | 'params'>,
  params: Record<string, ParamValue>,
  session: SessionApi,
): Promise<NodeAccessPlan | undefined> {
  const steps = nodeSteps(recipe)
  if (!steps.length || !session.nodeAccessPlan) return undefined
  try {
    const named = recipe.params
      .filter((p) => p.type === 'node' && typeof params[p.name] === 'string')
      .map((p) => params[p.name] as string)
    const names = named.length
      ? [...new Set(named)]
      : ((await session.kube.nodes()) as { metadata: { name: string } }[]).map((n) => n.metadata.name)
    return { steps, nodes: await session.nodeAccessPlan(names) }
  } catch (e) {
    return { steps, nodes: [], error: (e as Error)?.message ?? String(e) }
  }
}
