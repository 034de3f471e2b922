// What node reads found: a conntrack table filling up, and kube-proxy rules that drift from the EndpointSlices.
import type { Pod } from '../../kube/types.ts'
import { oneLine, podReady, recipeStep } from '../objects.ts'
import type { NodeRead, Symptom } from '../types.ts'

/** conntrack fill that warns, and that fails (fractions of nf_conntrack_max). */
export const CONNTRACK_LIMITS = { warn: 0.8, fail: 0.9 } as const

/** Conntrack and rules-drift symptoms of the nodes read; `pods` give a client pod on the node for the svc recipe. */
export function analyzeNodeReads(reads: readonly NodeRead[], pods: readonly Pod[]): Symptom[] {
  const out: Symptom[] = []
  for (const r of reads) {
    const node = { kind: 'Node', name: r.node }
    const c = r.conntrack
    if (c?.usage !== undefined && c.usage >= CONNTRACK_LIMITS.warn) {
      const pct = Math.round(c.usage * 100)
      out.push({
        code: 'conntrack',
        severity: c.usage >= CONNTRACK_LIMITS.fail ? 'fail' : 'warn',
        layer: 'node',
        object: node,
        symptom: `conntrack table ${pct}% full`,
        evidence: oneLine(
          `nf_conntrack_count ${c.count} of nf_conntrack_max ${c.max}${c.totals.drop ? `; drop=${c.totals.drop} since boot` : ''}: new connections are dropped when it is full`,
        ),
        next: recipeStep('conntrack', { node: r.node }),
        causes: [],
      })
    }
    const bad = (r.rules ?? []).filter((x) => x.status === 'mismatch' || x.status === 'no-rules')
    if (bad.length) {
      const first = bad[0]
      const usable = pods.filter(
        (p) => p.spec.nodeName === r.node && p.status?.phase === 'Running' && podReady(p) && !p.spec.hostNetwork,
      )
      // A client pod on that node (its connections are translated by that node's rules): the Service's namespace first.
      const client =
        usable.find((p) => first.service.startsWith(`${p.metadata.namespace}/`)) ??
        usable.find((p) => p.metadata.namespace !== 'kube-system') ??
        usable[0]
      const params: Record<string, string> = { service: first.service }
      if (client) params.from = `${client.metadata.namespace}/${client.metadata.name}`
      out.push({
        code: 'rules-drift',
        severity: 'fail',
        layer: 'node',
        object: node,
        symptom: `kube-proxy rules drift from EndpointSlices (${bad.length} Service${bad.length === 1 ? '' : 's'})`,
        evidence: oneLine(`${bad.map((x) => x.verdict.replace(/ on \S+ \([^)]*\)/, '')).join('; ')}`),
        next: recipeStep('svc', params),
        causes: [],
      })
    }
  }
  return out
}
