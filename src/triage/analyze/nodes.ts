// Nodes: NotReady, under memory/disk/PID pressure or without network, and a lease the kubelet stopped renewing.
import type { Lease, Node } from '../../kube/types.ts'
import { ageSeconds, humanAge, oneLine, recipeStep, refOf } from '../objects.ts'
import type { Snapshot, Symptom } from '../types.ts'

const PRESSURE = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'] as const

/** How long ago the node's lease was renewed, against its duration; undefined without a lease. */
export function leaseAge(
  node: string,
  leases: readonly Lease[],
  now: number,
): { age: number; duration: number } | undefined {
  const l = leases.find((x) => x.metadata.name === node)
  const age = ageSeconds(l?.spec?.renewTime, now)
  return l && age !== undefined ? { age, duration: l.spec?.leaseDurationSeconds ?? 40 } : undefined
}

function nodeSymptom(n: Node, snap: Pick<Snapshot, 'now' | 'leases'>): Symptom | undefined {
  const name = n.metadata.name
  const conds = n.status?.conditions ?? []
  const ready = conds.find((c) => c.type === 'Ready')
  const lease = leaseAge(name, snap.leases, snap.now)
  const leaseText = lease ? `; lease renewed ${humanAge(lease.age)} ago (duration ${lease.duration}s)` : ''
  const base = {
    layer: 'node' as const,
    object: refOf('Node', n),
    next: recipeStep('node', { node: name }),
    causes: [],
  }
  if (!ready || ready.status !== 'True') {
    const how = !ready
      ? 'no Ready condition'
      : `Ready=${ready.status} (${ready.reason ?? ''}) for ${humanAge(ageSeconds(ready.lastTransitionTime, snap.now))}: ${ready.message ?? ''}`
    return {
      ...base,
      code: 'node-notready',
      severity: 'fail',
      symptom: 'NotReady',
      evidence: oneLine(`${how}${leaseText}`),
    }
  }
  const pressed = PRESSURE.map((t) => conds.find((c) => c.type === t)).filter((c) => c?.status === 'True')
  if (pressed.length)
    return {
      ...base,
      code: 'node-pressure',
      severity: 'fail',
      symptom: pressed.map((c) => c!.type).join(', '),
      evidence: oneLine(pressed.map((c) => `${c!.type}: ${c!.message ?? c!.reason ?? ''}`).join('; ')),
    }
  if (lease && lease.age > lease.duration)
    return {
      ...base,
      code: 'node-lease',
      severity: 'fail',
      symptom: 'stale lease',
      evidence: oneLine(
        `Ready=True, but the lease was last renewed ${humanAge(lease.age)} ago, longer than its ${lease.duration}s: the kubelet stopped heartbeating and the node will turn NotReady`,
      ),
    }
  return undefined
}

/** Every node symptom of the snapshot, for the nodes `inScope` keeps. */
export function analyzeNodes(
  snap: Pick<Snapshot, 'now' | 'nodes' | 'leases'>,
  inScope: (node: string) => boolean = () => true,
): Symptom[] {
  return snap.nodes
    .filter((n) => inScope(n.metadata.name))
    .map((n) => nodeSymptom(n, snap))
    .filter((s): s is Symptom => s !== undefined)
}
