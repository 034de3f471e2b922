// kubectl's column text as pure functions: ages, RESTARTS, status colours, node addresses, service ports, labels.
// The status logic itself (pod STATUS/READY, node status, event times) is src/kube/status.ts.
import type { PodColumns } from '../kube/status.ts'
import type { Node, Service } from '../kube/types.ts'

/** kubectl's HumanDuration: "45s", "5m30s", "3h12m", "4d2h", "2y3d". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
  if (minutes < 180) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`
  }
  return `${Math.floor(hours / 24 / 365)}y`
}

/** Age of an RFC3339 timestamp relative to now ("<unknown>" when absent), as kubectl prints it. */
export function age(ts: string | null | undefined, now: number = Date.now()): string {
  if (!ts) return '<unknown>'
  const t = Date.parse(ts)
  if (Number.isNaN(t)) return '<unknown>'
  return humanDuration(now - t)
}

/** kubectl's RESTARTS cell: "3" or "3 (2m ago)". */
export function restartsCell(c: PodColumns, now: number = Date.now()): string {
  return c.restarts !== 0 && c.lastRestart ? `${c.restarts} (${age(c.lastRestart, now)} ago)` : String(c.restarts)
}

/** Colour class of a pod/container status word. */
export function statusStyle(status: string): 'green' | 'yellow' | 'red' | 'dim' | undefined {
  if (status === 'Running' || status === 'Ready') return 'green'
  if (status === 'Completed' || status === 'Succeeded') return 'dim'
  if (
    /^(Pending|ContainerCreating|PodInitializing|Terminating|Init:\d+\/\d+|SchedulingGated|NotReady,SchedulingDisabled|Ready,SchedulingDisabled)$/.test(
      status,
    )
  )
    return 'yellow'
  if (/Err|BackOff|Error|Failed|OOMKilled|Crash|Unknown|Evicted|NotReady|Invalid|ExitCode|Signal|Lost/.test(status))
    return 'red'
  return undefined
}

/** A node address of a type ("InternalIP"), or "<none>". */
export function nodeAddress(node: Node, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>'
}

/** PORT(S) of kubectl get svc: "80/TCP,443:30443/TCP". */
export function servicePorts(svc: Service): string {
  const ps = (svc.spec?.ports ?? []).map((p) =>
    p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`,
  )
  return ps.length ? ps.join(',') : '<none>'
}

/** EXTERNAL-IP of kubectl get svc. */
export function serviceExternalIP(svc: Service): string {
  const ext = svc.spec?.externalIPs ?? []
  switch (svc.spec?.type) {
    case 'ExternalName':
      return svc.spec.externalName ?? '<none>'
    case 'LoadBalancer': {
      const lb = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean)
      const all = [...lb, ...ext]
      return all.length ? all.join(',') : '<pending>'
    }
    default:
      return ext.length ? ext.join(',') : '<none>'
  }
}

/** Labels as "k=v,k2=v2" (sorted), or "<none>". */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const e = Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b))
  return e.length ? e.map(([k, v]) => `${k}=${v}`).join(',') : '<none>'
}
