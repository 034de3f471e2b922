// A finished fleet command: per-node results, identical outputs gathered (clush -b / dshbak -c), failures by class.
import { present } from '../present.ts'
import { foldNodes } from './nodeset.ts'
import {
  FLEET_ERROR_CLASSES,
  FLEET_ERRORS,
  FLEET_GROUPS,
  FLEET_RESULT,
  type FleetErrorGroup,
  type FleetGroup,
  type FleetNodeResult,
  type FleetResultData,
} from './types.ts'

/** Gathers nodes whose stdout, stderr and exit (or error class) are identical; the biggest group first. Pure. */
export function groupResults(results: readonly FleetNodeResult[]): FleetGroup[] {
  const groups = new Map<string, FleetGroup>()
  for (const r of results) {
    const key = JSON.stringify([r.ok, r.exitCode, r.error ?? '', r.stdout, r.stderr])
    let g = groups.get(key)
    if (!g) {
      g = { nodeset: '', nodes: [], ok: r.ok, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }
      if (r.error) g.error = r.error
      groups.set(key, g)
    }
    g.nodes.push(r.node)
  }
  const out = [...groups.values()]
  for (const g of out) g.nodeset = foldNodes(g.nodes)
  return out.sort(
    (a, b) => b.nodes.length - a.nodes.length || Number(b.ok) - Number(a.ok) || a.nodeset.localeCompare(b.nodeset),
  )
}

/** The failures by class (in FLEET_ERROR_CLASSES order), each naming its nodes and its distinct messages. Pure. */
export function groupErrors(results: readonly FleetNodeResult[]): FleetErrorGroup[] {
  const out: FleetErrorGroup[] = []
  for (const cls of FLEET_ERROR_CLASSES) {
    const failed = results.filter((r) => !r.ok && r.error === cls)
    if (!failed.length) continue
    // A message names its node: the node's name is taken out so the same failure on many nodes reads as one
    // (a message only one node gave keeps its name).
    const byMessage = new Map<string, { nodes: string[]; own: string }>()
    for (const r of failed) {
      const own = r.message ?? cls
      const m = own.split(r.node).join('NODE')
      const g = byMessage.get(m) ?? { nodes: [], own }
      g.nodes.push(r.node)
      byMessage.set(m, g)
    }
    const messages = [...byMessage.entries()]
      .sort((a, b) => b[1].nodes.length - a[1].nodes.length)
      .slice(0, 3)
      .map(([message, { nodes, own }]) => ({
        message: nodes.length === 1 ? own : message,
        nodeset: foldNodes(nodes),
        count: nodes.length,
      }))
    const g: FleetErrorGroup = {
      class: cls,
      nodeset: foldNodes(failed.map((r) => r.node)),
      nodes: failed.map((r) => r.node),
      messages,
    }
    const hinted = failed.find((r) => r.hint)
    if (hinted) g.hint = failed.length === 1 ? hinted.hint : hinted.hint!.split(hinted.node).join('NODE')
    out.push(g)
  }
  return out
}

/** A finished fleet command; prints as a table. */
export class FleetResult implements FleetResultData {
  argv!: string[]
  nodes!: string[]
  results!: FleetNodeResult[]
  ok!: boolean
  stopped?: 'deadline' | 'aborted'
  durationMs!: number

  constructor(d: FleetResultData) {
    Object.assign(this, d)
    if (this.stopped === undefined) delete this.stopped
  }

  /** The nodes that succeeded. */
  get succeeded(): FleetNodeResult[] {
    return this.results.filter((r) => r.ok)
  }

  /** The nodes that did not. */
  get failed(): FleetNodeResult[] {
    return this.results.filter((r) => !r.ok)
  }

  /** One node's result. */
  get(node: string): FleetNodeResult | undefined {
    return this.results.find((r) => r.node === node)
  }

  /** Identical outputs with the nodes that gave them (clush -b); prints as blocks headed by the node set. */
  groups(): FleetGroup[] {
    return present(groupResults(this.results), FLEET_GROUPS)
  }

  /** Failures by class (unreachable, auth, hostkey, forbidden, timeout, exit, aborted, error), naming the nodes. */
  errors(): FleetErrorGroup[] {
    return present(groupErrors(this.results), FLEET_ERRORS)
  }
}
present(FleetResult.prototype, FLEET_RESULT)
