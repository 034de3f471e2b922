// Descriptions -> text laid out like kubectl describe (pure; `now` and colour are parameters).
import type {
  ContainerInfo,
  Description,
  EventInfo,
  GenericDescription,
  NodeDescription,
  PodDescription,
  ServiceDescription,
  StateInfo,
} from '../kube/types.ts'
import { age, formatLabels, statusStyle } from './kube-format.ts'
import { colorEnabled, paint, renderTable } from './table.ts'

/** Options of renderDescription. */
export interface DescribeOptions {
  now?: number
  color?: boolean
}

type Line = [label: string, value: string]

function block(lines: Line[], indent = ''): string {
  const w = Math.max(0, ...lines.map(([l]) => l.length + 1))
  return lines.map(([l, v]) => `${indent}${`${l}:`.padEnd(w)}  ${v}`.trimEnd()).join('\n')
}

function stateLines(label: string, s: StateInfo | undefined, o: Required<DescribeOptions>): Line[] {
  if (!s) return []
  const head = paint(
    s.state,
    s.state === 'Running' ? 'green' : s.state === 'Waiting' ? 'yellow' : s.exitCode === 0 ? 'dim' : 'red',
    o.color,
  )
  const out: Line[] = [[label, head]]
  if (s.reason) out.push(['  Reason', paint(s.reason, statusStyle(s.reason), o.color)])
  if (s.message) out.push(['  Message', s.message.trim().split('\n')[0]])
  if (s.exitCode !== undefined) out.push(['  Exit Code', String(s.exitCode)])
  if (s.signal) out.push(['  Signal', String(s.signal)])
  if (s.startedAt) out.push(['  Started', `${s.startedAt} (${age(s.startedAt, o.now)} ago)`])
  if (s.finishedAt) out.push(['  Finished', `${s.finishedAt} (${age(s.finishedAt, o.now)} ago)`])
  return out
}

function container(c: ContainerInfo, o: Required<DescribeOptions>): string {
  const lines: Line[] = [
    ['Container ID', c.containerID ?? ''],
    ['Image', c.image ?? ''],
  ]
  if (c.ports.length) lines.push(['Port', c.ports.join(', ')])
  lines.push(...stateLines('State', c.state, o))
  if (c.lastState) lines.push(...stateLines('Last State', c.lastState, o))
  lines.push(['Ready', paint(String(c.ready), c.ready ? 'green' : 'red', o.color)])
  lines.push(['Restart Count', paint(String(c.restartCount), c.restartCount > 0 ? 'yellow' : undefined, o.color)])
  return `  ${c.name}:\n${block(lines, '    ')}`
}

/** The Events: section (kubectl's Type Reason Age From Message table). */
export function renderEvents(events: EventInfo[], o: DescribeOptions = {}): string {
  const now = o.now ?? Date.now()
  if (events.length === 0) return 'Events:  <none>'
  const rows = events.map((e) => [
    { text: e.type, style: e.type === 'Warning' ? ('yellow' as const) : undefined },
    e.reason,
    e.count > 1 && e.first ? `${age(e.last, now)} (x${e.count} over ${age(e.first, now)})` : age(e.last, now),
    e.from,
    e.message,
  ])
  const t = renderTable(['Type', 'Reason', 'Age', 'From', 'Message'], rows, {
    color: o.color ?? colorEnabled(),
    empty: '',
  })
  return `Events:\n${t
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}`
}

function pod(d: PodDescription, o: Required<DescribeOptions>): string {
  const head: Line[] = [
    ['Name', d.name],
    ['Namespace', d.namespace],
    ['Service Account', d.serviceAccount ?? ''],
    ['Node', d.node ? `${d.node}${d.hostIP ? `/${d.hostIP}` : ''}` : '<none>'],
    ['Start Time', d.startTime ?? '<none>'],
    ['Labels', formatLabels(d.labels)],
    [
      'Status',
      `${paint(d.phase, statusStyle(d.phase), o.color)}${d.status !== d.phase ? `  (${paint(d.status, statusStyle(d.status), o.color)})` : ''}`,
    ],
  ]
  if (d.reason) head.push(['Reason', d.reason])
  if (d.message) head.push(['Message', d.message])
  head.push(['IP', d.ip ?? ''], ['IPs', d.ips.join(', ') || '<none>'])
  if (d.controlledBy) head.push(['Controlled By', d.controlledBy])
  const parts = [block(head)]
  if (d.initContainers.length)
    parts.push(`Init Containers:\n${d.initContainers.map((c) => container(c, o)).join('\n')}`)
  parts.push(`Containers:\n${d.containers.map((c) => container(c, o)).join('\n')}`)
  if (d.conditions.length) {
    const t = renderTable(
      ['Type', 'Status', 'Reason', 'Message'],
      d.conditions.map((c) => [
        c.type,
        { text: c.status, style: c.status === 'True' ? 'green' : 'red' },
        c.reason ?? '',
        c.message ?? '',
      ]),
      { color: o.color, empty: '' },
    )
    parts.push(
      `Conditions:\n${t
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}`,
    )
  }
  if (d.qosClass) parts.push(block([['QoS Class', d.qosClass]]))
  parts.push(renderEvents(d.events, o))
  return parts.join('\n')
}

function indentTable(t: string): string {
  return t
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
}

function node(d: NodeDescription, o: Required<DescribeOptions>): string {
  const head: Line[] = [
    ['Name', d.name],
    ['Roles', d.roles.join(',') || '<none>'],
    ['Status', paint(d.status, statusStyle(d.status.split(',')[0]), o.color)],
    ['Labels', formatLabels(d.labels)],
    ['Taints', d.taints.join(', ') || '<none>'],
    ['Unschedulable', String(d.unschedulable)],
    ['PodCIDRs', d.podCIDRs.join(',') || '<none>'],
  ]
  if (d.lease) {
    const renew = d.lease.renewTime ? `${d.lease.renewTime} (${d.lease.renewAgeSeconds ?? '?'}s ago)` : '<unset>'
    const stale =
      d.lease.renewAgeSeconds !== undefined &&
      d.lease.durationSeconds !== undefined &&
      d.lease.renewAgeSeconds > d.lease.durationSeconds
    head.push([
      'Lease',
      `holder ${d.lease.holder ?? '<unset>'}, renewed ${paint(renew, stale ? 'red' : undefined, o.color)}`,
    ])
  } else head.push(['Lease', '<none> (no kube-node-lease Lease)'])
  const conds = renderTable(
    ['Type', 'Status', 'LastHeartbeatTime', 'Reason', 'Message'],
    d.conditions.map((c) => {
      const bad = c.type === 'Ready' ? c.status !== 'True' : c.status === 'True'
      return [
        c.type,
        { text: c.status, style: bad ? 'red' : 'green' },
        c.lastHeartbeatTime ? `${c.lastHeartbeatTime} (${age(c.lastHeartbeatTime, o.now)} ago)` : '',
        c.reason ?? '',
        c.message ?? '',
      ]
    }),
    { color: o.color, empty: '' },
  )
  const res = Object.keys({ ...d.capacity, ...d.allocatable }).sort()
  const resT = renderTable(
    ['Resource', 'Capacity', 'Allocatable'],
    res.map((r) => [r, d.capacity[r] ?? '', d.allocatable[r] ?? '']),
    { color: o.color, empty: '' },
  )
  const info = block(
    Object.entries(d.nodeInfo).map(([k, v]) => [k, v] as Line),
    '  ',
  )
  const pods = d.pods.length
    ? indentTable(
        renderTable(
          ['Namespace', 'Name', 'Phase'],
          d.pods.map((p) => [p.namespace, p.name, p.phase]),
          { color: o.color, empty: '' },
        ),
      )
    : '  <none>'
  return [
    block(head),
    `Conditions:\n${indentTable(conds)}`,
    `Addresses:\n${d.addresses.map((a) => `  ${a.type}: ${a.address}`).join('\n') || '  <none>'}`,
    `Resources:\n${indentTable(resT)}`,
    `System Info:\n${info}`,
    `Non-terminated Pods: (${d.pods.length} in total)\n${pods}`,
    renderEvents(d.events, o),
  ].join('\n')
}

function service(d: ServiceDescription, o: Required<DescribeOptions>): string {
  const lines: Line[] = [
    ['Name', d.name],
    ['Namespace', d.namespace],
    ['Labels', formatLabels(d.labels)],
    ['Selector', formatLabels(d.selector)],
    ['Type', d.type],
    ['IPs', d.clusterIPs.join(',') || '<none>'],
  ]
  if (d.externalIPs.length) lines.push(['External IPs', d.externalIPs.join(',')])
  for (const p of d.ports) {
    lines.push(
      ['Port', `${p.name || '<unset>'}  ${p.port}/${p.protocol}`],
      ['TargetPort', `${p.targetPort}/${p.protocol}`],
    )
    if (p.nodePort) lines.push(['NodePort', `${p.name || '<unset>'}  ${p.nodePort}/${p.protocol}`])
  }
  const ready = d.endpoints.filter((e) => e.ready)
  const eps = d.endpoints.map((e) => `${e.address}${e.ready ? '' : e.terminating ? ' (terminating)' : ' (not ready)'}`)
  lines.push([
    'Endpoints',
    eps.length
      ? paint(eps.join(','), ready.length === eps.length ? undefined : 'yellow', o.color)
      : paint('<none>', Object.keys(d.selector).length ? 'red' : undefined, o.color),
  ])
  if (d.sessionAffinity) lines.push(['Session Affinity', d.sessionAffinity])
  if (d.externalTrafficPolicy) lines.push(['External Traffic Policy', d.externalTrafficPolicy])
  if (d.internalTrafficPolicy) lines.push(['Internal Traffic Policy', d.internalTrafficPolicy])
  const parts = [block(lines)]
  if (d.endpoints.length) {
    const t = renderTable(
      ['Address', 'Ready', 'Target', 'Node', 'Slice'],
      d.endpoints.map((e) => [
        e.address,
        { text: String(e.ready), style: e.ready ? 'green' : 'red' },
        e.target ?? '',
        e.node ?? '',
        e.slice,
      ]),
      { color: o.color, empty: '' },
    )
    parts.push(`Endpoint details (${d.endpointPorts.join(', ') || 'no ports'}):\n${indentTable(t)}`)
  }
  parts.push(renderEvents(d.events, o))
  return parts.join('\n')
}

function generic(d: GenericDescription, o: Required<DescribeOptions>): string {
  const lines: Line[] = [
    ['Kind', d.kind],
    ['Name', d.name],
  ]
  if (d.namespace) lines.push(['Namespace', d.namespace])
  lines.push(
    ['Labels', formatLabels(d.object.metadata.labels)],
    [
      'Created',
      `${d.object.metadata.creationTimestamp ?? '<unknown>'} (${age(d.object.metadata.creationTimestamp, o.now)} ago)`,
    ],
  )
  if (d.object.spec !== undefined) lines.push(['Spec', JSON.stringify(d.object.spec).slice(0, 400)])
  if (d.object.status !== undefined) lines.push(['Status', JSON.stringify(d.object.status).slice(0, 400)])
  return [block(lines), renderEvents(d.events, o)].join('\n')
}

/** Renders any Description like kubectl describe. */
export function renderDescription(d: Description, opts: DescribeOptions = {}): string {
  const o = { now: opts.now ?? Date.now(), color: opts.color ?? colorEnabled() }
  switch (d.kind) {
    case 'Pod':
      return pod(d as PodDescription, o)
    case 'Node':
      return node(d as NodeDescription, o)
    case 'Service':
      return service(d as ServiceDescription, o)
    default:
      return generic(d as GenericDescription, o)
  }
}
