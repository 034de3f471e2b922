// Deployments, StatefulSets and DaemonSets that do not progress: a rollout past its deadline or stuck between its
// bounds, replicas not available, pods the controller could not create.
import type { KubeObject, Pod } from '../../kube/types.ts'
import {
  ageSeconds,
  commandStep,
  controllerOf,
  humanAge,
  nsName,
  oneLine,
  podCauses,
  podOwner,
  recipeStep,
  refOf,
} from '../objects.ts'
import type { ObjectRef, Snapshot, Symptom } from '../types.ts'

/** How long a Deployment's replicas may be unavailable (since its Available condition changed) before it counts. */
export const UNAVAILABLE_GRACE_SECONDS = 60

const cond = (o: KubeObject, type: string) =>
  (
    (o.status?.conditions ?? []) as {
      type: string
      status: string
      reason?: string
      message?: string
      lastTransitionTime?: string
      lastUpdateTime?: string
    }[]
  ).find((c) => c.type === type)

/** The causes of a workload's symptom: the pods it owns (through its ReplicaSets for a Deployment) and their nodes. */
function podsOf(ref: ObjectRef, pods: readonly Pod[], replicasets: readonly KubeObject[]): string[] {
  return podCauses(
    pods.filter((p) => {
      const o = podOwner(p, replicasets)
      return o && o.kind === ref.kind && o.name === ref.name && o.namespace === ref.namespace
    }),
  )
}

function deploymentSymptom(d: KubeObject, snap: Pick<Snapshot, 'now' | 'pods' | 'replicasets'>): Symptom | undefined {
  const ref = refOf('Deployment', d)
  const want = d.spec?.replicas ?? 1
  const s = d.status ?? {}
  const next = recipeStep('rollout', { deployment: nsName(d) })
  const causes = podsOf(ref, snap.pods, snap.replicasets)
  const mk = (code: Symptom['code'], severity: Symptom['severity'], symptom: string, evidence: string): Symptom => ({
    code,
    severity,
    layer: 'workload',
    object: ref,
    symptom,
    evidence: oneLine(evidence),
    next,
    causes,
  })
  const mine = snap.replicasets.filter(
    (rs) =>
      controllerOf(rs)?.uid === d.metadata.uid ||
      (controllerOf(rs)?.kind === 'Deployment' &&
        controllerOf(rs)?.name === d.metadata.name &&
        rs.metadata.namespace === d.metadata.namespace),
  )
  const revision = (rs: KubeObject) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0)
  const live = mine.filter((rs) => (rs.spec?.replicas ?? 0) > 0).sort((a, b) => revision(b) - revision(a))
  const counts = `${s.availableReplicas ?? 0}/${want} available, ${s.updatedReplicas ?? 0} updated`
  const newest = live[0]
  const sides =
    live.length > 1
      ? `; new ReplicaSet ${newest.metadata.name} ${newest.status?.readyReplicas ?? 0}/${newest.spec?.replicas ?? 0} ready, old ${live
          .slice(1)
          .map((rs) => `${rs.metadata.name} ${rs.status?.readyReplicas ?? 0}/${rs.spec?.replicas ?? 0}`)
          .join(', ')}`
      : ''
  const failure = cond(d, 'ReplicaFailure')
  if (failure?.status === 'True')
    return mk(
      'workload-unavailable',
      'fail',
      `cannot create pods (${failure.reason ?? 'ReplicaFailure'})`,
      `${failure.message ?? ''}; ${counts}`,
    )
  if (d.spec?.paused) return undefined
  const progressing = cond(d, 'Progressing')
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return {
      ...mk(
        'rollout-stuck',
        'fail',
        'rollout stuck (ProgressDeadlineExceeded)',
        `${progressing.message ?? ''}; ${counts}${sides}`,
      ),
      causes: [],
    }
  if (want === 0) return undefined
  const unavailable = want - (s.availableReplicas ?? 0)
  const available = cond(d, 'Available')
  const since =
    ageSeconds(available?.lastTransitionTime, snap.now) ?? ageSeconds(d.metadata.creationTimestamp, snap.now) ?? 0
  if (unavailable <= 0 || since < UNAVAILABLE_GRACE_SECONDS) return undefined
  if (live.length > 1)
    return {
      ...mk('rollout-stuck', 'warn', 'rollout in progress, not available', `${counts}${sides}`),
      causes: [],
      onlyAsEffect: true,
    }
  if (available?.status === 'False')
    return mk(
      'workload-unavailable',
      'fail',
      `${unavailable} of ${want} replicas unavailable`,
      `${counts} (${available.reason ?? 'Available=False'}) for ${humanAge(since)}`,
    )
  // Within maxUnavailable (Available=True): worth a row only under the pod that causes it.
  return {
    ...mk('workload-unavailable', 'warn', `${unavailable} of ${want} replicas unavailable`, counts),
    onlyAsEffect: true,
  }
}

function statefulSetSymptom(o: KubeObject, snap: Pick<Snapshot, 'now' | 'pods' | 'replicasets'>): Symptom | undefined {
  const ref = refOf('StatefulSet', o)
  const want = o.spec?.replicas ?? 1
  const s = o.status ?? {}
  if (want === 0 || (ageSeconds(o.metadata.creationTimestamp, snap.now) ?? 0) < UNAVAILABLE_GRACE_SECONDS)
    return undefined
  const ready = s.readyReplicas ?? 0
  const rolling =
    s.updateRevision && s.currentRevision && s.updateRevision !== s.currentRevision && (s.updatedReplicas ?? 0) < want
  if (ready >= want && !rolling) return undefined
  return {
    code: ready < want ? 'workload-unavailable' : 'rollout-stuck',
    severity: ready < want ? 'fail' : 'warn',
    layer: 'workload',
    object: ref,
    symptom: ready < want ? `${want - ready} of ${want} replicas not ready` : 'rollout in progress',
    evidence: oneLine(
      `${ready}/${want} ready, ${s.updatedReplicas ?? 0} updated (revision ${s.currentRevision ?? '?'} -> ${s.updateRevision ?? '?'})`,
    ),
    next: commandStep(`kubectl rollout status statefulset/${o.metadata.name} -n ${o.metadata.namespace}`),
    causes: podsOf(ref, snap.pods, snap.replicasets),
  }
}

function daemonSetSymptom(o: KubeObject, snap: Pick<Snapshot, 'now' | 'pods' | 'replicasets'>): Symptom | undefined {
  const ref = refOf('DaemonSet', o)
  const s = o.status ?? {}
  if ((ageSeconds(o.metadata.creationTimestamp, snap.now) ?? 0) < UNAVAILABLE_GRACE_SECONDS) return undefined
  const desired = s.desiredNumberScheduled ?? 0
  const unavailable = s.numberUnavailable ?? Math.max(0, desired - (s.numberAvailable ?? 0))
  const mis = s.numberMisscheduled ?? 0
  if (unavailable <= 0 && mis <= 0 && (s.currentNumberScheduled ?? desired) >= desired) return undefined
  return {
    code: 'workload-unavailable',
    severity: unavailable > 0 ? 'fail' : 'warn',
    layer: 'workload',
    object: ref,
    symptom:
      unavailable > 0
        ? `${unavailable} of ${desired} daemon pods unavailable`
        : `${mis} daemon pods on nodes they should not run on`,
    evidence: oneLine(
      `desired ${desired}, scheduled ${s.currentNumberScheduled ?? '?'}, ready ${s.numberReady ?? 0}, available ${s.numberAvailable ?? 0}, misscheduled ${mis}, updated ${s.updatedNumberScheduled ?? '?'}`,
    ),
    next: commandStep(`kubectl rollout status daemonset/${o.metadata.name} -n ${o.metadata.namespace}`),
    causes: podsOf(ref, snap.pods, snap.replicasets),
  }
}

/** Every workload symptom of the snapshot (cluster DNS excluded: analyzeCluster reports it as one row). */
export function analyzeWorkloads(
  snap: Pick<Snapshot, 'now' | 'pods' | 'replicasets' | 'deployments' | 'statefulsets' | 'daemonsets'>,
  skip: (o: KubeObject) => boolean = () => false,
): Symptom[] {
  return [
    ...snap.deployments.filter((d) => !skip(d)).map((d) => deploymentSymptom(d, snap)),
    ...snap.statefulsets.map((o) => statefulSetSymptom(o, snap)),
    ...snap.daemonsets.map((o) => daemonSetSymptom(o, snap)),
  ].filter((s): s is Symptom => s !== undefined)
}
