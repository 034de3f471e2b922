// Shared setup of the fleet DaemonSet tests: a fake API whose "controller" makes a pod per node, a plan entry, and
// the dependencies prepareDaemonSets takes.
import type { FleetDsDeps } from '../../src/access/fleetds.ts'
import type { AccessPlanEntry } from '../../src/access/plan.ts'
import { NODE_ACCESS_DEFAULTS, type NodeAccessSettings } from '../../src/config-access.ts'
import type { DaemonSetApi } from '../../src/exec/nodepod/api.ts'
import type { NodePods } from '../../src/exec/nodepod/manager.ts'
import type { DaemonSet, KubeEvent, Pod } from '../../src/kube/types.ts'
import { FakeNodePodApi } from '../exec/nodepod/fakeapi.ts'

/** An access plan entry for node with the given expectation (pod settings fixed). */
export const entry = (node: string, expect: AccessPlanEntry['expect']): AccessPlanEntry => ({
  node,
  expect,
  why: '',
  pods: 'ask',
  namespace: 'kube-system',
  image: 'i',
  deadlineSeconds: 3600,
})

const RUNNING = {
  phase: 'Running',
  containerStatuses: [
    {
      name: 'node',
      ready: true,
      restartCount: 0,
      image: 'x',
      state: { running: { startedAt: '2025-11-29T08:00:01Z' } },
    },
  ],
}
const PULL = {
  phase: 'Pending',
  containerStatuses: [
    {
      name: 'node',
      ready: false,
      restartCount: 0,
      image: 'x',
      state: { waiting: { reason: 'ErrImagePull', message: 'not found' } },
    },
  ],
}
/** The fake API plus DaemonSets; its "controller" makes one pod per node on each list (Running on the second). */
export class FakeDsApi extends FakeNodePodApi implements DaemonSetApi {
  sets = new Map<string, DaemonSet>()
  /** Nodes whose pod waits in ErrImagePull; nodes that get no pod at all. */
  badImage = new Set<string>()
  noPod = new Set<string>()
  dsEvents: KubeEvent[] = []
  dsCreateError?: unknown
  deniedApps = new Set<string>()
  private lists = new Map<string, number>()

  async createDaemonSet(ds: DaemonSet): Promise<DaemonSet> {
    this.calls.push(`create-ds ${ds.metadata.name}`)
    if (this.dsCreateError) throw this.dsCreateError
    this.sets.set(ds.metadata.name, structuredClone(ds))
    return ds
  }
  async getDaemonSet(_ns: string, name: string) {
    return this.sets.get(name)
  }
  async deleteDaemonSet(_ns: string, name: string) {
    this.calls.push(`delete-ds ${name}`)
    this.sets.delete(name)
    for (const [k, p] of this.pods) if (p.metadata.labels?.['kinspect.dev/daemonset'] === name) this.pods.delete(k)
  }
  async listDaemonSets() {
    return [...this.sets.values()]
  }
  async annotateDaemonSet(_ns: string, name: string, a: Record<string, string>) {
    this.calls.push(`annotate-ds ${name} ${Object.keys(a).join(',')}`)
  }
  async daemonSetEvents() {
    return this.dsEvents
  }
  async canIGroup(group: string, verb: string, resource: string) {
    this.calls.push(`can-i ${group}/${verb} ${resource}`)
    return !this.deniedApps.has(`${verb} ${resource}`)
  }
  override async listPods(selector?: string): Promise<Pod[]> {
    for (const ds of this.sets.values()) {
      const name = ds.metadata.name
      const terms = ds.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
        .nodeSelectorTerms as { matchFields: { values: string[] }[] }[]
      for (const t of terms) {
        const node = t.matchFields[0].values[0]
        const podName = `${name}-${node}`
        if (this.noPod.has(node)) continue
        const seen = (this.lists.get(podName) ?? 0) + 1
        this.lists.set(podName, seen)
        if (!this.pods.has(podName)) {
          // as the controller makes it: the template, one node's affinity, not yet bound
          const spec = {
            ...structuredClone(ds.spec.template.spec),
            affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [t] } } },
          }
          this.pods.set(podName, {
            metadata: { name: podName, namespace: 'kube-system', labels: { ...ds.spec.template.metadata.labels } },
            spec,
            status: { phase: 'Pending' },
          })
        } else {
          const p = this.pods.get(podName)!
          p.spec.nodeName = node
          p.status = structuredClone(this.badImage.has(node) ? PULL : RUNNING)
        }
      }
    }
    const want = selector?.match(/kinspect\.dev\/daemonset=(\S+)/)?.[1]
    return [...this.pods.values()]
      .filter((p) => !want || p.metadata.labels?.['kinspect.dev/daemonset'] === want)
      .map((p) => structuredClone(p))
  }
}

const settings: NodeAccessSettings = { ...NODE_ACCESS_DEFAULTS, transports: ['pod'], pods: 'ask' } as NodeAccessSettings

/** prepareDaemonSets' dependencies over api and pods: every node bound for a pod; consent questions go to asked. */
export function deps(api: FakeDsApi, pods: NodePods, asked: unknown[], o: Partial<FleetDsDeps> = {}): FleetDsDeps {
  return {
    plan: async (nodes) => nodes.map((n) => entry(n, 'pod')),
    settings: () => settings,
    keyOf: () => 'k',
    nodePods: () => pods,
    api: () => api,
    served: () => false,
    allow: async (ds) => void asked.push(ds),
    ...o,
  }
}
