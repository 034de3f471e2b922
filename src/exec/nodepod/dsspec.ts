// The fleet's DaemonSet as an object: one privileged host pod per chosen node (the node pod's template), limited to
// those nodes by node affinity, whose containers exit at the deadline (a DaemonSet may not set activeDeadlineSeconds).
import type { DaemonSet } from '../../kube/types.ts'
import {
  ANNOTATION,
  DEFAULT_DEADLINE_SECONDS,
  LABEL,
  MANAGED_BY,
  checkNodePodOptions,
  hostPodSpec,
  labelSafe,
  randomSuffix,
  type NodePodOptions,
} from './spec.ts'

/** The DaemonSet's name: kinspect-fleet-<5 random>. */
export function daemonSetName(suffix = randomSuffix()): string {
  return `kinspect-fleet-${suffix}`
}

/**
 * The container's command: sleep until the deadline (an absolute time, so a restarted container does not start a
 * new hour), then exit; after the deadline every restart exits at once, so nothing runs on the node any more.
 */
export function deadlineCommand(endEpochSeconds: number): string[] {
  const script =
    'end=$1; now=$(date +%s); if [ "$now" -lt "$end" ]; then exec sleep $((end - now)); fi; echo "kinspect: past its deadline" >&2; exit 0'
  return ['sh', '-c', script, 'kinspect-deadline', String(endEpochSeconds)]
}

/**
 * The DaemonSet for `nodes`: the node pod's template (host PID/network/IPC, privileged, every taint tolerated, small
 * requests, the session's labels) without nodeName or activeDeadlineSeconds, limited to the nodes by a required node
 * affinity (one metadata.name term per node), OnDelete updates, and a container that exits at the deadline.
 */
export function buildNodeDaemonSet(nodes: readonly string[], o: NodePodOptions): DaemonSet {
  if (!Array.isArray(nodes) || nodes.length === 0)
    throw new TypeError(
      `buildNodeDaemonSet: nodes: expected a non-empty array of node names, received ${JSON.stringify(nodes)}`,
    )
  const dup = nodes.find((n, i) => nodes.indexOf(n) !== i)
  if (dup !== undefined) throw new TypeError(`buildNodeDaemonSet: nodes: ${JSON.stringify(dup)} is listed twice`)
  for (const n of nodes) checkNodePodOptions(n, o)
  const deadline = o.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS
  const now = o.now.toISOString()
  const end = new Date(o.now.getTime() + deadline * 1000)
  const name = daemonSetName(o.suffix)
  const selector = { [LABEL.managedBy]: MANAGED_BY, [LABEL.session]: o.session, [LABEL.daemonSet]: name }
  const purpose = `fleet node access for a kinspect session on ${nodes.length} node(s); deleted when the session ends; its containers exit at ${end.toISOString()}; kinspect gc removes leftovers`
  const spec = hostPodSpec(o, deadlineCommand(Math.floor(end.getTime() / 1000)))
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name,
      namespace: o.namespace,
      labels: {
        [LABEL.managedBy]: MANAGED_BY,
        [LABEL.session]: o.session,
        [LABEL.user]: labelSafe(o.user || 'unknown'),
      },
      annotations: {
        [ANNOTATION.host]: o.host,
        [ANNOTATION.pid]: String(o.pid),
        [ANNOTATION.started]: now,
        [ANNOTATION.heartbeat]: now,
        [ANNOTATION.deadline]: end.toISOString(),
        [ANNOTATION.nodes]: String(nodes.length),
        [ANNOTATION.user]: o.user,
        [ANNOTATION.purpose]: purpose,
      },
    },
    spec: {
      selector: { matchLabels: selector },
      // No rolling: the template never changes, and a pod replaced mid-command would lose it.
      updateStrategy: { type: 'OnDelete' },
      template: {
        metadata: {
          labels: { ...selector, [LABEL.user]: labelSafe(o.user || 'unknown') },
          annotations: { [ANNOTATION.purpose]: purpose },
        },
        spec: {
          ...spec,
          // A DaemonSet's pods must be restartPolicy Always and may not set activeDeadlineSeconds: the command ends them.
          restartPolicy: 'Always',
          // One term per node (terms are ORed): a metadata.name field selector takes exactly one value.
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: nodes.map((n) => ({
                  matchFields: [{ key: 'metadata.name', operator: 'In', values: [n] }],
                })),
              },
            },
          },
        },
      },
    },
  }
}
