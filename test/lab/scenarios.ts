// Fault scenarios: each a real break, reversible and idempotent (`lab scenario NAME on|off [--node N]`).
import fs from 'node:fs'
import path from 'node:path'
import { NODES, RUN_DIR, labNode } from './layout.ts'
import { progress } from './sh.ts'
import { CLUSTER_FAULTS } from './faults/cluster.ts'
import { NODE_FAULTS } from './faults/node.ts'
import { NETWORK_FAULTS } from './faults/network.ts'
import { WORKLOAD_FAULTS } from './faults/workloads.ts'
import type { Scenario } from './faults/types.ts'

export type { Scenario, ScenarioTarget } from './faults/types.ts'
export { conntrackDrops, originalConntrackMax } from './faults/node.ts'
export { metricsAvailable } from './faults/cluster.ts'
export {
  corednsPods,
  hostVeth,
  inPodNetns as inPodNetnsArgv,
  iptablesEndpointIPs,
  nodeReady,
  onPodNetns,
  podNode,
  podPid,
  sliceIPs,
} from './probe.ts'

/** Every scenario, in the order `lab scenarios` lists them. */
export const SCENARIOS: Scenario[] = [...CLUSTER_FAULTS, ...NODE_FAULTS, ...NETWORK_FAULTS, ...WORKLOAD_FAULTS]

const nodeFile = (name: string) => path.join(RUN_DIR, `scenario-${name}.node`)

/** The node a node-scoped scenario acts on: the one given, else the one it was turned on for, else its default. */
function targetNode(s: Scenario, state: 'on' | 'off', given?: string): string | undefined {
  if (!s.node) {
    if (given) throw new Error(`lab: scenario ${s.name} is not about one node; drop --node`)
    return undefined
  }
  if (given) return labNode(given).name
  if (state === 'off') {
    try {
      return fs.readFileSync(nodeFile(s.name), 'utf8').trim()
    } catch {}
  }
  return s.node.default
}

/** Turns a scenario on or off by name; unknown names list the known ones. */
export async function scenario(name: string, state: string, opts: { node?: string } = {}): Promise<void> {
  const s = SCENARIOS.find((x) => x.name === name)
  if (!s) throw new Error(`lab: unknown scenario "${name}"; known: ${SCENARIOS.map((x) => x.name).join(', ')}`)
  if (state !== 'on' && state !== 'off') throw new Error(`lab: scenario state must be "on" or "off", got "${state}"`)
  if (opts.node !== undefined && !NODES.some((n) => n.name === opts.node))
    throw new Error(`lab: --node must be one of ${NODES.map((n) => n.name).join(', ')}, got "${opts.node}"`)
  const node = targetNode(s, state, opts.node)
  const t0 = Date.now()
  if (state === 'on') {
    if (node) {
      fs.mkdirSync(RUN_DIR, { recursive: true })
      fs.writeFileSync(nodeFile(s.name), node)
    }
    await s.on({ node: node ?? '' })
  } else {
    await s.off({ node: node ?? '' })
    fs.rmSync(nodeFile(s.name), { force: true })
  }
  progress(
    `scenario ${name} ${state}${node ? ` on ${node}` : ''} in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${s.breaks}`,
  )
}

/** Lines for `lab scenarios`. */
export function scenarioList(): string[] {
  return SCENARIOS.map(
    (s) => `${s.name.padEnd(20)} ${s.breaks}${s.node ? ` [--node N, default ${s.node.default}]` : ''}`,
  )
}
