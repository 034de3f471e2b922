// A fleet over many nodes without SSH: one DaemonSet per set of pod settings instead of a node pod each. The choice
// (which nodes, when) is pure; prepareDaemonSets() makes them and hands each node's pod to the session's NodePods.
import type { NodeAccessSettings } from '../config-access.ts'
import type { DaemonSetApi, NodePodApi } from '../exec/nodepod/api.ts'
import { NodeDaemonSet } from '../exec/nodepod/daemonset.ts'
import type { NodePods } from '../exec/nodepod/manager.ts'
import { DEFAULT_IMAGE } from '../exec/nodepod/spec.ts'
import type { AccessPlanEntry } from './plan.ts'

/** Default of `fleet.daemonSetAbove`: a fleet reaching more than this many nodes through pods uses one DaemonSet. */
export const DEFAULT_DAEMONSET_ABOVE = 10

/** The nodes of one DaemonSet: they share pod settings (namespace, image, deadline…). */
export interface DaemonSetGroup {
  /** The settings key (nodes with the same key share a NodePods). */
  key: string
  nodes: string[]
}

/**
 * Which nodes a fleet reaches through a DaemonSet (pure): those the plan sends to a node pod (SSH does not apply, or
 * pod comes first), not already served, grouped by pod settings; a group is a DaemonSet when it has more than
 * `above` nodes. Nodes where SSH applies (even with pod as a fallback) stay on their own path.
 */
export function daemonSetGroups(
  plan: readonly AccessPlanEntry[],
  keyOf: (node: string) => string,
  above: number,
  served: (node: string) => boolean = () => false,
): DaemonSetGroup[] {
  if (!(above >= 0))
    throw new TypeError(`daemonSetAbove: expected a whole number ≥ 0, received ${JSON.stringify(above)}`)
  const groups = new Map<string, string[]>()
  for (const e of plan) {
    if (e.expect !== 'pod' || served(e.node)) continue
    const k = keyOf(e.node)
    groups.set(k, [...(groups.get(k) ?? []), e.node])
  }
  return [...groups].filter(([, nodes]) => nodes.length > above).map(([key, nodes]) => ({ key, nodes }))
}

/** What a fleet would do (--dry-run): each node's access plan, and the DaemonSets that would be made. */
export interface FleetPlan {
  entries: AccessPlanEntry[]
  daemonSets: {
    nodes: string[]
    namespace: string
    image: string
    deadlineSeconds: number
    pods: AccessPlanEntry['pods']
  }[]
  /** fleet.daemonSetAbove as applied. */
  above: number
}

/** The DaemonSets a fleet made (name, namespace, nodes), and those that could not be made (their nodes get node pods). */
export interface FleetDaemonSets {
  daemonSets: { name: string; namespace: string; nodes: readonly string[] }[]
  failed: { nodes: string[]; error: unknown }[]
}

/** A fleet's DaemonSet decision under way: when each node may start, and what was made. */
export interface FleetBegin {
  /** At once for a node that needs no pod (SSH serves it); else once the DaemonSet is made (or not). Never rejects. */
  ready(node: string): Promise<void>
  done: Promise<FleetDaemonSets>
}

/** What prepareDaemonSets needs from the session's NodeAccess. */
export interface FleetDsDeps {
  plan(nodes: readonly string[]): Promise<AccessPlanEntry[]>
  settings(node: string): NodeAccessSettings
  keyOf(settings: NodeAccessSettings): string
  nodePods(settings: NodeAccessSettings): NodePods
  api(): NodePodApi & Partial<DaemonSetApi>
  /** Nodes already served (chose a transport, or in a DaemonSet). */
  served(node: string): boolean
  /** Consent for the whole DaemonSet (one question). */
  allow(ds: {
    name: string
    namespace: string
    image: string
    nodes: readonly string[]
    deadlineSeconds: number
    settings: NodeAccessSettings
  }): Promise<void>
  onPhase?: NodeDaemonSet['opts']['onPhase']
}

/** True when the API has the DaemonSet calls (the real one does; unit-test fakes may not). */
export function hasDaemonSets(api: NodePodApi & Partial<DaemonSetApi>): api is NodePodApi & DaemonSetApi {
  return (
    typeof api.createDaemonSet === 'function' &&
    typeof api.listDaemonSets === 'function' &&
    typeof api.canIGroup === 'function'
  )
}

/**
 * Makes the fleet's DaemonSets (after one consent question each) and hands each node's pod to its NodePods. A
 * DaemonSet that cannot be made (RBAC for daemonsets, refused) leaves its nodes to node pods of their own; the
 * errors are returned. Nodes whose pod then does not start get that as their commands' error.
 */
export async function prepareDaemonSets(
  nodes: readonly string[],
  above: number,
  d: FleetDsDeps,
): Promise<{ made: NodeDaemonSet[]; failed: { nodes: string[]; error: unknown }[] }> {
  const out = { made: [] as NodeDaemonSet[], failed: [] as { nodes: string[]; error: unknown }[] }
  if (nodes.length <= above) return out
  const candidates = nodes.filter((n) => !d.served(n))
  if (candidates.length <= above) return out
  const api = d.api()
  if (!hasDaemonSets(api)) return out
  const plan = await d.plan(candidates)
  const groups = daemonSetGroups(plan, (n) => d.keyOf(d.settings(n)), above, d.served)
  await Promise.all(
    groups.map(async (g) => {
      const settings = d.settings(g.nodes[0])
      const pods = d.nodePods(settings)
      const ds = new NodeDaemonSet(pods, api, g.nodes, {
        onPhase: d.onPhase,
        beforeCreate: (obj) =>
          d.allow({
            name: obj.metadata.name,
            namespace: settings.namespace,
            image: obj.spec.template.spec.containers[0].image ?? DEFAULT_IMAGE,
            nodes: g.nodes,
            deadlineSeconds: settings.deadlineSeconds,
            settings,
          }),
      })
      try {
        await ds.create()
      } catch (e) {
        out.failed.push({ nodes: g.nodes, error: e })
        return
      }
      for (const n of g.nodes) pods.adopt(n, ds.ref(n))
      out.made.push(ds)
    }),
  )
  return out
}
