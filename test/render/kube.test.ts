// Kube tables (rows as data, then text) and the describe layout, on objects captured from the lab and checked
// against what kubectl printed for the same objects at the same moment (test/fixtures/lab/kube/).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  endpointSliceRows,
  eventRows,
  genericRows,
  kubeRows,
  nodeRows,
  podRows,
  renderKubeList,
  serviceRows,
} from '../../src/render/kube.ts'
import { renderDescription, renderEvents } from '../../src/render/kube-describe.ts'
import { age } from '../../src/render/kube-format.ts'
import { describeNode, describePod, describeService } from '../../src/kube/describe.ts'
import { capture, captureNs, describeFields, describeSection, eventsOf, kubectlTable, pick } from '../kube/labkube.ts'

const text = (c: unknown) => (c && typeof c === 'object' ? (c as { text: string }).text : String(c ?? ''))
const plain = (rows: unknown[][]) => rows.map((r) => r.map(text))
/** kubectl's text with the columns from `from` on cut off (kinspect shows the first columns of -o wide). */
const cutAt = (t: string, from: string) => {
  const at = t.split('\n')[0].indexOf(from)
  assert.ok(at > 0, `no column ${from}`)
  return t
    .trimEnd()
    .split('\n')
    .map((l) => l.slice(0, at).trimEnd())
    .join('\n')
}

test('pods: renderKubeList prints what kubectl get pods -o wide printed (first 7 columns)', () => {
  for (const name of ['pods', 'pods-shop']) {
    const c = capture(name)
    assert.is(renderKubeList('Pod', c.items, { now: c.now, color: false }), cutAt(c.text, 'NOMINATED NODE'), name)
    const k = kubectlTable(c.text)
    assert.equal(
      plain(podRows(c.items, { now: c.now }).rows),
      k.rows.map((r) => r.slice(0, 7)),
      name,
    )
  }
  // the shapes are there: restarted once, crash-looping beside a running sidecar, held in init, never ready
  const k = kubectlTable(capture('pods').text).rows
  assert.equal(k.map((r) => r[2]).sort(), ['CrashLoopBackOff', 'Init:0/2', 'Running', 'Running'])
  assert.equal(k.find((r) => r[0] === 'crash')!.slice(1, 3), ['1/2', 'CrashLoopBackOff'])
  assert.match(k.find((r) => r[0].startsWith('web-') && r[0] !== 'web-canary')![3], /^1 \(\d+s ago\)$/)
})

test('pods: NAMESPACE only when several namespaces; a pod without status', () => {
  const a = capture('pods')
  const b = capture('pods-shop')
  const both = podRows([a.items[0], b.items[0]], { now: a.now })
  assert.is(both.headers[0], 'NAMESPACE')
  assert.equal(
    both.rows.map((r) => r[0]),
    [captureNs, 'shop'],
  )
  assert.is(podRows([b.items[0]], { now: b.now, namespaceColumn: true }).rows[0][0], 'shop')
  assert.is(podRows(a.items, { now: a.now }).headers[0], 'NAME')
  const bare = podRows([{ metadata: { name: 'new' }, spec: { containers: [{ name: 'a' }] } }], { now: a.now })
  assert.equal(plain(bare.rows), [['new', '0/1', '', '0', '<unknown>', '<none>', '<none>']])
})

test('services and nodes: what kubectl get -o wide printed (services whole, nodes first 6 columns, lab-2 NotReady)', () => {
  const s = capture('services-shop')
  assert.is(renderKubeList('Service', s.items, { now: s.now, color: false }), s.text.trimEnd())
  assert.equal(plain(serviceRows(s.items, { now: s.now }).rows), kubectlTable(s.text).rows)
  for (const name of ['nodes', 'nodes-notready']) {
    const n = capture(name)
    assert.is(renderKubeList('Node', n.items, { now: n.now, color: false }), cutAt(n.text, 'EXTERNAL-IP'), name)
    assert.equal(
      plain(nodeRows(n.items, { now: n.now }).rows),
      kubectlTable(n.text).rows.map((r) => r.slice(0, 6)),
      name,
    )
  }
  const nr = capture('nodes-notready')
  assert.equal(
    kubectlTable(nr.text).rows.map((r) => r.slice(0, 2)),
    [
      ['lab-1', 'Ready'],
      ['lab-2', 'NotReady'],
      ['lab-3', 'Ready'],
    ],
  )
  const coloured = renderKubeList('Node', nr.items, { now: nr.now, color: true })
  assert.match(coloured, /\x1b\[31mNotReady\x1b\[39m/)
  assert.match(coloured, /\x1b\[32mReady\x1b\[39m/)
})

test('events: kubectl get events columns; LAST SEEN adds "(xN over AGE)" for repeated events', () => {
  const c = capture('events')
  const k = kubectlTable(c.text)
  const ours = eventRows(c.items, { now: c.now })
  assert.equal(ours.headers, k.headers)
  assert.is(ours.rows.length, c.items.length)
  c.items.forEach((e, i) => {
    const row = plain(ours.rows)[i]
    assert.equal(row.slice(1), k.rows[i].slice(1), e.metadata.name)
    // kubectl get events prints only the last time; kinspect adds the count as kubectl describe does
    const n = e.series?.count ?? e.count ?? 1
    assert.is(
      row[0],
      n > 1 ? `${k.rows[i][0]} (x${n} over ${age(e.firstTimestamp, c.now)})` : k.rows[i][0],
      e.metadata.name,
    )
  })
  const backoff = c.items.findIndex((e) => e.reason === 'BackOff')
  assert.ok(c.items[backoff].count >= 2, 'the capture waited for repeated BackOff events')
  assert.match(text(ours.rows[backoff][0]), /^\d+s \(x\d+ over \d+s\)$/)
  assert.is(text(ours.rows[backoff][1]), 'Warning')
  const t = renderKubeList('Event', c.items, { now: c.now, color: false })
  assert.is(t.split('\n').length, c.items.length + 1)
})

test('endpoint rows: one per endpoint of the slices, readiness as the slice says', () => {
  const c = capture('describe-svc-frontend')
  const slices = c.items.filter((i) => i.kind === 'EndpointSlice')
  const want = slices.flatMap((s: any) =>
    s.endpoints.map((e: any) => [
      s.metadata.name,
      e.addresses.join(','),
      e.conditions.ready ? 'true' : 'false',
      `pod/${e.targetRef.name}`,
      e.nodeName,
      'http 8080/TCP',
    ]),
  )
  assert.equal(plain(endpointSliceRows(slices).rows), want)
  assert.equal(want.map((r: string[]) => [r[2], r[3].replace(/-[a-z0-9]+-[a-z0-9]+$/, '-…')]).sort(), [
    ['false', 'pod/web-canary'],
    ['true', 'pod/web-…'],
  ])
})

test('generic rows: NAME AGE; workloads add READY UP-TO-DATE AVAILABLE; kubeRows dispatches on kind', () => {
  const c = capture('describe-node-lab-1')
  const lease = pick(c.items, 'Lease', 'lab-1')
  assert.equal(kubeRows('Lease', [lease], { now: c.now }), {
    headers: ['NAME', 'AGE'],
    rows: [['lab-1', age(lease.metadata.creationTimestamp, c.now)]],
  })
  assert.is(kubeRows('Node', [pick(c.items, 'Node', 'lab-1')], { now: c.now }).headers[1], 'STATUS')
  const now = Date.parse('2025-11-22T18:30:17Z')
  const cm = { kind: 'ConfigMap', metadata: { name: 'cfg', creationTimestamp: '2025-11-22T18:30:00Z' } }
  assert.equal(genericRows([cm], { now }), { headers: ['NAME', 'AGE'], rows: [['cfg', '17s']] })
  const dep = {
    kind: 'Deployment',
    metadata: { name: 'web', creationTimestamp: '2025-11-22T18:00:00Z' },
    spec: { replicas: 2 },
    status: { readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 },
  }
  assert.equal(plain(genericRows([dep], { now }).rows), [['web', '2/2', '2', '2', '30m']])
})

test('renderKubeList: empty message naming the namespace, colour only when asked', () => {
  const c = capture('pods')
  const crash = pick(c.items, 'Pod', 'crash')
  const t = renderKubeList('Pod', [crash], { now: c.now, color: false })
  const k = kubectlTable(c.text).rows.find((r) => r[0] === 'crash')!
  assert.equal(t.split('\n')[1].split(/\s{2,}/), k.slice(0, 7))
  assert.is(renderKubeList('Pod', [], { namespace: 'shop', color: false }), 'No resources found in shop namespace.')
  assert.is(renderKubeList('Pod', [], { color: false }), 'No resources found.')
  const col = renderKubeList('Pod', [crash], { now: c.now, color: true })
  assert.match(col, /\x1b\[31mCrashLoopBackOff\x1b\[39m/)
  assert.is(col.replace(/\x1b\[[0-9;]*m/g, ''), t)
})

test('describe pod text: the fields, container states and events kubectl describe printed', () => {
  const c = capture('describe-pod-crash')
  const pod = pick(c.items, 'Pod', 'crash')
  const t = renderDescription(describePod(pod, eventsOf(c.items, pod)), { now: c.now, color: false })
  const kf = describeFields(c.text)
  const of = describeFields(t)
  for (const f of ['Name', 'Namespace', 'Service Account', 'Node', 'IP', 'QoS Class']) assert.is(of[f], kf[f], f)
  assert.is(of.Status, `${kf.Status}  (CrashLoopBackOff)`) // kubectl prints the phase; kinspect adds the STATUS column's word
  assert.match(
    t,
    /  main:\n(.*\n)*?\s+State:\s+Waiting\n\s+Reason:\s+CrashLoopBackOff\n\s+Message:\s+back-off \d+s restarting failed container=main .*\n\s+Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+1\n/,
  )
  assert.match(t, /^\s+Ready\s+False\s+ContainersNotReady\s+containers with unready status: \[main\]$/m)
  // Events: the rows kubectl printed; From adds the reporting host ("kubelet, lab-1" where kubectl 1.32 prints "kubelet")
  const k = kubectlTable(describeSection(c.text, 'Events'), 2)
  const ours = kubectlTable(describeSection(t, 'Events'), 2)
  assert.equal(ours.headers, k.headers)
  assert.equal(
    ours.rows.map((r) => [r[0], r[1], r[2], r[4]]),
    k.rows.map((r) => [r[0], r[1], r[2], r[4]]),
  )
  assert.equal(
    ours.rows.map((r) => r[3]),
    k.rows.map((r) => (r[3] === 'kubelet' ? `kubelet, ${pod.spec.nodeName}` : r[3])),
  )
  assert.ok(k.rows.some((r) => r[1] === 'BackOff' && /^\d+s \(x\d+ over \d+s\)$/.test(r[2])))
  assert.is(renderEvents([]), 'Events:  <none>')
})

test('describe node text: conditions, addresses, capacity/allocatable and pods as kubectl describe printed them', () => {
  const c = capture('describe-node-lab-1')
  const node = pick(c.items, 'Node', 'lab-1')
  const lease = pick(c.items, 'Lease', 'lab-1')
  const pods = c.items.filter((i) => i.kind === 'Pod')
  const t = renderDescription(describeNode(node, lease, pods, [], c.now), { now: c.now, color: false })
  const renewAge = Math.round((c.now - Date.parse(lease.spec.renewTime)) / 1000)
  assert.match(
    t,
    new RegExp(
      `^Lease:\\s+holder lab-1, renewed ${lease.spec.renewTime.replace(/\./g, '\\.')} \\(${renewAge}s ago\\)$`,
      'm',
    ),
  )
  assert.match(describeSection(c.text, 'Lease'), /HolderIdentity:\s+lab-1\n/)
  const kc = kubectlTable(describeSection(c.text, 'Conditions'), 2).rows
  const oc = kubectlTable(describeSection(t, 'Conditions'), 2).rows
  assert.equal(
    oc.map((r) => [r[0], r[1], r[3], r[4]]),
    kc.map((r) => [r[0], r[1], r[4], r[5]]),
  )
  const hb = node.status.conditions.find((x: any) => x.type === 'Ready').lastHeartbeatTime
  assert.is(oc.find((r) => r[0] === 'Ready')![2], `${hb} (${age(hb, c.now)} ago)`)
  assert.is(describeSection(t, 'Addresses'), describeSection(c.text, 'Addresses').replace(/:\s+/g, ': '))
  const res = (s: string) =>
    Object.fromEntries(
      describeSection(c.text, s)
        .split('\n')
        .map((l) => l.trim().split(/:\s+/)),
    )
  const ours = kubectlTable(describeSection(t, 'Resources'), 2).rows
  assert.equal(Object.fromEntries(ours.map((r) => [r[0], r[1]])), res('Capacity'))
  assert.equal(Object.fromEntries(ours.map((r) => [r[0], r[2]])), res('Allocatable'))
  const kp = kubectlTable(describeSection(c.text, 'Non-terminated Pods'), 2).rows
  assert.match(t, new RegExp(`^Non-terminated Pods: \\(${kp.length} in total\\)$`, 'm'))
  assert.equal(
    kubectlTable(describeSection(t, 'Non-terminated Pods'), 2).rows.map((r) => r.slice(0, 2)),
    kp.map((r) => r.slice(0, 2)),
  )
})

test('describe node text: a NotReady node whose Lease is older than its duration shows the renewal in red', () => {
  const c = capture('describe-node-lab-2-notready')
  const d = describeNode(pick(c.items, 'Node', 'lab-2'), pick(c.items, 'Lease', 'lab-2'), [], [], c.now)
  assert.ok(d.lease!.renewAgeSeconds! > d.lease!.durationSeconds!, 'the capture ran after the lease expired')
  const t = renderDescription(d, { now: c.now, color: true })
  assert.match(t, /^Status:\s+\x1b\[31mNotReady\x1b\[39m$/m)
  assert.match(t, /renewed \x1b\[31m\S+ \(\d+s ago\)\x1b\[39m/)
  const kc = kubectlTable(describeSection(c.text, 'Conditions'), 2).rows
  assert.equal(
    kc
      .find((r) => r[0] === 'Ready')!
      .slice(1, 2)
      .concat(kc.find((r) => r[0] === 'Ready')!.slice(4)),
    ['Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'],
  )
  assert.match(
    renderDescription(d, { now: c.now, color: false }),
    /^\s+Ready\s+Unknown\s+\S+ \(\d+s ago\)\s+NodeStatusUnknown\s+Kubelet stopped posting node status\.$/m,
  )
})

test('describe service text: selector, ports and endpoints as kubectl describe printed them; not-ready endpoints named', () => {
  for (const name of ['describe-svc-frontend', 'describe-svc-web-nodeport']) {
    const c = capture(name)
    const svc = c.items.find((i) => i.kind === 'Service')
    const t = renderDescription(
      describeService(
        svc,
        c.items.filter((i) => i.kind === 'EndpointSlice'),
      ),
      { now: c.now, color: false },
    )
    const kf = describeFields(c.text)
    const of = describeFields(t)
    for (const f of [
      'Name',
      'Namespace',
      'Selector',
      'Type',
      'Port',
      'TargetPort',
      'Session Affinity',
      'Internal Traffic Policy',
    ])
      assert.is(of[f], kf[f], `${name} ${f}`)
    assert.is(of.NodePort, kf.NodePort, name)
    assert.is(of.IPs, kf.IPs, name)
    // kubectl lists the ready addresses with their port; kinspect lists every address and marks the others
    const ready = kf.Endpoints.split(',').map((a) => a.replace(/:\d+$/, ''))
    assert.equal(
      of.Endpoints.split(',').filter((a) => !a.includes('(')),
      ready,
      name,
    )
  }
  const c = capture('describe-svc-frontend')
  const canary = pick(c.items, 'EndpointSlice', 'frontend').endpoints.find(
    (e: any) => e.targetRef.name === 'web-canary',
  ).addresses[0]
  const t = renderDescription(
    describeService(
      pick(c.items, 'Service', 'frontend'),
      c.items.filter((i) => i.kind === 'EndpointSlice'),
    ),
    { color: false },
  )
  assert.match(t, new RegExp(`^Endpoints:\\s+\\S+,${canary.replace(/\./g, '\\.')} \\(not ready\\)$`, 'm'))
  assert.match(t, /^Endpoint details \(http 8080\/TCP\):$/m)
  const none = renderDescription(describeService(pick(c.items, 'Service', 'frontend'), []), { color: false })
  assert.match(none, /^Endpoints:\s+<none>$/m)
})

test.run()
