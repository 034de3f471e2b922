// Pure builders of Descriptions (what kubectl describe shows) from API objects already fetched.
import type {
  ContainerInfo,
  ContainerStateJSON,
  ContainerStatusJSON,
  EndpointInfo,
  EndpointSlice,
  EventInfo,
  GenericDescription,
  KubeEvent,
  KubeObject,
  Lease,
  Node,
  NodeDescription,
  Pod,
  PodDescription,
  Service,
  ServiceDescription,
  StateInfo,
} from './types.ts'
import { eventSource, eventTime, nodeRoles, nodeStatus, podColumns, sortEvents } from './status.ts'

/** Events as description lines (sorted oldest first). */
export function eventInfos(events: KubeEvent[]): EventInfo[] {
  return sortEvents(events).map((e) => ({
    type: e.type ?? '',
    reason: e.reason ?? '',
    from: eventSource(e),
    message: (e.message ?? '').trim(),
    count: e.series?.count ?? e.count ?? 1,
    first: e.firstTimestamp || e.eventTime || undefined,
    last: eventTime(e),
  }))
}

/** A container state JSON as kubectl describe shows it (State / Last State). */
export function stateInfo(s: ContainerStateJSON | undefined): StateInfo | undefined {
  if (!s) return undefined
  if (s.running) return { state: 'Running', startedAt: s.running.startedAt }
  if (s.waiting) return { state: 'Waiting', reason: s.waiting.reason, message: s.waiting.message }
  if (s.terminated) {
    const t = s.terminated
    return {
      state: 'Terminated',
      reason: t.reason,
      message: t.message,
      exitCode: t.exitCode,
      signal: t.signal || undefined,
      startedAt: t.startedAt,
      finishedAt: t.finishedAt,
    }
  }
  return undefined
}

function containerInfos(
  specs: Pod['spec']['containers'] | undefined,
  statuses: ContainerStatusJSON[] | undefined,
  init: boolean,
): ContainerInfo[] {
  return (specs ?? []).map((c) => {
    const s = (statuses ?? []).find((x) => x.name === c.name)
    return {
      name: c.name,
      init,
      image: c.image,
      imageID: s?.imageID || undefined,
      containerID: s?.containerID || undefined,
      ports: (c.ports ?? []).map(
        (p: { containerPort: number; protocol?: string; name?: string }) =>
          `${p.containerPort}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`,
      ),
      state: stateInfo(s?.state) ?? { state: s ? 'Unknown' : 'Waiting', reason: s ? undefined : 'no status yet' },
      lastState: stateInfo(s?.lastState),
      ready: s?.ready ?? false,
      started: s?.started,
      restartCount: s?.restartCount ?? 0,
    }
  })
}

/** kubectl describe pod as data, from the pod and its events. */
export function describePod(pod: Pod, events: KubeEvent[] = []): PodDescription {
  const st = pod.status ?? {}
  const cols = podColumns(pod)
  const owner = (pod.metadata.ownerReferences ?? []).find((o) => o.controller)
  return {
    kind: 'Pod',
    name: pod.metadata.name,
    namespace: pod.metadata.namespace ?? 'default',
    node: pod.spec?.nodeName || undefined,
    hostIP: st.hostIP,
    startTime: st.startTime,
    labels: pod.metadata.labels ?? {},
    phase: st.phase ?? 'Unknown',
    status: cols.status,
    reason: st.reason,
    message: st.message,
    ip: st.podIP,
    ips: (st.podIPs ?? []).map((i) => i.ip),
    controlledBy: owner ? `${owner.kind}/${owner.name}` : undefined,
    qosClass: st.qosClass,
    serviceAccount: pod.spec?.serviceAccountName,
    restarts: cols.restarts,
    initContainers: containerInfos(
      pod.spec?.initContainers as Pod['spec']['containers'],
      st.initContainerStatuses,
      true,
    ),
    containers: containerInfos(pod.spec?.containers, st.containerStatuses, false),
    conditions: (st.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
    })),
    events: eventInfos(events),
  }
}

/** kubectl describe node as data, from the node, its Lease, the pods on it and its events; now for the lease age. */
export function describeNode(
  node: Node,
  lease: Lease | undefined,
  pods: Pod[],
  events: KubeEvent[] = [],
  now: number = Date.now(),
): NodeDescription {
  const st = node.status ?? {}
  const renew = lease?.spec?.renewTime
  const renewMs = renew ? Date.parse(renew) : NaN
  return {
    kind: 'Node',
    name: node.metadata.name,
    roles: nodeRoles(node),
    labels: node.metadata.labels ?? {},
    taints: (node.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`),
    unschedulable: node.spec?.unschedulable === true,
    status: nodeStatus(node),
    conditions: (st.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
      lastHeartbeatTime: c.lastHeartbeatTime,
      lastTransitionTime: c.lastTransitionTime,
    })),
    addresses: (st.addresses ?? []).map((a) => ({ type: a.type, address: a.address })),
    capacity: st.capacity ?? {},
    allocatable: st.allocatable ?? {},
    nodeInfo: Object.fromEntries(Object.entries(st.nodeInfo ?? {}).filter(([, v]) => typeof v === 'string')) as Record<
      string,
      string
    >,
    podCIDRs: node.spec?.podCIDRs ?? (node.spec?.podCIDR ? [node.spec.podCIDR] : []),
    lease: lease
      ? {
          holder: lease.spec?.holderIdentity,
          renewTime: renew,
          renewAgeSeconds: Number.isNaN(renewMs) ? undefined : Math.max(0, Math.round((now - renewMs) / 1000)),
          durationSeconds: lease.spec?.leaseDurationSeconds,
        }
      : undefined,
    pods: pods
      .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
      .map((p) => ({
        namespace: p.metadata.namespace ?? '',
        name: p.metadata.name,
        phase: p.status?.phase ?? 'Unknown',
      }))
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name)),
    events: eventInfos(events),
  }
}

/** Flattens EndpointSlices to one entry per address (sorted by address). */
export function endpointInfos(slices: EndpointSlice[]): EndpointInfo[] {
  const out: EndpointInfo[] = []
  for (const s of slices) {
    for (const e of s.endpoints ?? []) {
      for (const a of e.addresses ?? []) {
        out.push({
          address: a,
          ready: e.conditions?.ready !== false,
          serving: e.conditions?.serving,
          terminating: e.conditions?.terminating,
          target: e.targetRef ? `${(e.targetRef.kind ?? '').toLowerCase()}/${e.targetRef.name ?? ''}` : undefined,
          node: e.nodeName,
          slice: s.metadata.name,
        })
      }
    }
  }
  return out.sort((a, b) => a.address.localeCompare(b.address, undefined, { numeric: true }))
}

/** kubectl describe service as data, from the service, its EndpointSlices and events. */
export function describeService(svc: Service, slices: EndpointSlice[], events: KubeEvent[] = []): ServiceDescription {
  const sp = svc.spec ?? {}
  const portSet = new Set<string>()
  for (const s of slices)
    for (const p of s.ports ?? []) portSet.add(`${p.name ? `${p.name} ` : ''}${p.port ?? '*'}/${p.protocol ?? 'TCP'}`)
  return {
    kind: 'Service',
    name: svc.metadata.name,
    namespace: svc.metadata.namespace ?? 'default',
    labels: svc.metadata.labels ?? {},
    type: sp.type ?? 'ClusterIP',
    selector: sp.selector ?? {},
    clusterIPs: sp.clusterIPs ?? (sp.clusterIP ? [sp.clusterIP] : []),
    externalIPs: sp.externalIPs ?? [],
    ports: (sp.ports ?? []).map((p) => ({
      name: p.name,
      port: p.port,
      targetPort: String(p.targetPort ?? p.port),
      protocol: p.protocol ?? 'TCP',
      nodePort: p.nodePort,
    })),
    sessionAffinity: sp.sessionAffinity,
    externalTrafficPolicy: sp.externalTrafficPolicy,
    internalTrafficPolicy: sp.internalTrafficPolicy,
    endpoints: endpointInfos(slices),
    endpointPorts: [...portSet],
    events: eventInfos(events),
  }
}

/** Any other object: kept whole, with its events. */
export function describeGeneric(obj: KubeObject, events: KubeEvent[] = []): GenericDescription {
  return {
    kind: obj.kind ?? 'Object',
    name: obj.metadata.name,
    namespace: obj.metadata.namespace,
    object: obj,
    events: eventInfos(events),
  }
}
