// What each lab fault must make a recipe report, whatever the transport that read the nodes: the failing findings with
// their evidence, as the SSH e2e tests (test/recipes/<recipe>.e2e.ts) assert them. The node-pod runs
// (transport-pod-faults*.e2e.ts) check their reports with these, so both transports are held to the same findings.
import * as assert from 'uvu/assert'
import type { ReportData } from '../../src/recipes/report.ts'
import { labNode, NET, nodePaths } from '../lab/layout.ts'
import { hostVeth, podNode } from '../lab/scenarios.ts'
import { failures, kinspectPods, kinspectRun, NOSSH, podNodeOf, stepFindings } from './lab.ts'

const POD = 'web-[a-z0-9]+-[a-z0-9]+'

/**
 * `kinspect run NAME ARGS -o json` against the lab (with `env` over the lab's: NOSSH for the node-pod runs): the exit
 * code is `exit`, no step ended in ERROR, what was NOT SEEN is exactly `notSeen` (node names; none by default; the
 * caller checks a non-empty one), and the run left no kinspect pod behind.
 */
export async function runRecipeJson(
  name: string,
  args: string[],
  exit: number,
  env: Record<string, string> = {},
  notSeen: string[] = [],
): Promise<ReportData> {
  const { code, report, err } = await kinspectRun(name, [...args, '-o', 'json'], env)
  assert.ok(report, err)
  const r = report!
  assert.is(
    code,
    exit,
    `exit code; failures: ${failures(r).join('\n')}\nnot seen: ${JSON.stringify(r.notSeen)}\n${err}`,
  )
  assert.is(r.exitCode, exit)
  assert.equal(
    r.steps.filter((s) => s.status === 'error').map((s) => `${s.title}: ${s.error?.message}`),
    [],
    'no step in ERROR',
  )
  if (!notSeen.length) assert.equal(r.notSeen, [], 'nothing NOT SEEN')
  assert.equal(kinspectPods(), [], `kinspect run ${name} left no node pod`)
  return r
}

/** runRecipeJson with SSH unavailable (`lab ssh off`): every node is read through a node pod. */
export function runThroughPods(
  name: string,
  args: string[],
  exit: number,
  notSeen: string[] = [],
): Promise<ReportData> {
  return runRecipeJson(name, args, exit, NOSSH, notSeen)
}

/** svc-no-endpoints: shop/orders's selector matches no pod, it has no endpoints, 6 of 6 connections fail. */
export function svcNoEndpoints(report: ReportData): void {
  const sel = stepFindings(report, 'Selector and pods')
  assert.equal(
    sel.map((f) => f.severity),
    ['fail'],
  )
  assert.match(
    sel[0].message,
    /^no pod in namespace shop matches the selector app=orders of shop\/orders: it gets no endpoints \(step 2\), and kube-proxy rejects connections to a Service without endpoints \(step 4\); pods with app labels: .*\(app=web\)/,
  )
  assert.is(
    sel[0].evidence!.command,
    'kubectl get pods -n shop -l app=orders -o wide\nkubectl get pods -n shop --show-labels',
  )
  assert.match(sel[0].evidence!.output, 'selector: app=orders')
  assert.match(
    sel[0].evidence!.output,
    '$ kubectl get pods -n shop -l app=orders -o wide\nNo resources found in shop namespace.',
  )
  assert.match(sel[0].evidence!.output, new RegExp(`${POD} +app=web,`))
  assert.match(sel[0].remedy!, 'make the selector and the pod labels agree')
  assert.equal(
    stepFindings(report, 'EndpointSlices: ready and not ready').map((f) => [f.severity, f.message]),
    [['fail', 'shop/orders has no endpoints (no pod matches its selector, previous step)']],
  )
  assert.match(
    stepFindings(report, 'targetPort against the containers')[0].message,
    /^skipped: no running pod matches the selector/,
  )
  // The node rejects, which agrees with the empty slices: not the failure.
  assert.equal(
    stepFindings(report, 'kube-proxy rules on the node').map((f) => f.severity),
    ['info'],
  )
  const conn = stepFindings(report, 'Connection test from the client pod')
  assert.equal(
    conn.map((f) => f.severity),
    ['fail'],
  )
  assert.match(conn[0].message, /^6 of 6 connections from shop\/client to shop\/orders at 10\.96\.\d+\.\d+:80 failed/)
  assert.match(conn[0].remedy!, 'no ready endpoint')
}

/** svc-targetport: nothing listens on 9090 in either web pod (read in the pod's netns on its node); refused. */
export function svcTargetPort(report: ReportData): void {
  assert.match(stepFindings(report, 'Selector and pods')[0].message, /^2 pods match the selector app=web/)
  const eps = stepFindings(report, 'EndpointSlices: ready and not ready')
  assert.equal(
    eps.map((f) => f.severity),
    ['ok'],
  )
  assert.match(eps[0].message, /has 2 ready endpoints: 10\.244\.\d+\.\d+:9090 /)
  const tp = stepFindings(report, 'targetPort against the containers')
  assert.is(tp.length, 2, JSON.stringify(tp))
  for (const f of tp) {
    assert.is(f.severity, 'fail')
    assert.match(
      f.message,
      new RegExp(
        `^shop/web-badport port http 80/TCP -> 9090: nothing listens on TCP 9090 in shop/${POD} \\(it listens on 8080\\); connections to the Service are refused$`,
      ),
    )
    const pod = /# shop\/(\S+)'s network namespace$/.exec(f.evidence!.command)![1]
    assert.match(
      f.evidence!.command,
      new RegExp(
        `^ssh ${podNodeOf('shop', pod)} nsenter -t PID -n (ss -ltn|cat /proc/net/tcp)  # shop/${POD}'s network namespace$`,
      ),
    )
    assert.match(f.evidence!.output, 'declared: web: http=8080/TCP')
    assert.match(f.evidence!.output, /listening \(TCP\): \S*:8080/)
    assert.match(f.remedy!, "set the Service's targetPort to the port the application listens on (8080)")
  }
  assert.equal(
    stepFindings(report, 'kube-proxy rules on the node').map((f) => f.severity),
    ['ok'],
  )
  const conn = stepFindings(report, 'Connection test from the client pod')
  assert.is(conn.length, 3, JSON.stringify(conn)) // each endpoint, then the ClusterIP
  assert.ok(
    conn.every((f) => f.severity === 'fail'),
    JSON.stringify(conn),
  )
  assert.match(
    conn[0].message,
    /^endpoint 10\.244\.\d+\.\d+:9090 \(web-.*\) of shop\/web-badport does not accept connections from shop\/client: connection refused$/,
  )
  assert.match(
    conn[2].message,
    /^6 of 6 connections from shop\/client to shop\/web-badport at 10\.96\.\d+\.\d+:80 failed \(connection refused\)$/,
  )
  assert.match(conn[2].evidence!.output, /10\.244\.\d+\.\d+:9090 +FAILED: connection refused/)
}

/**
 * stale-rules on lab-2, svc without a client: lab-2's rules for shop/web still DNAT to the deleted pod (kube-proxy
 * stopped) and miss its replacement, which the slices have; lab-3's are fine.
 */
export function svcStaleRules(report: ReportData): void {
  const eps = stepFindings(report, 'EndpointSlices: ready and not ready')
  assert.equal(
    eps.map((f) => f.severity),
    ['ok'],
  )
  const rules = stepFindings(report, 'kube-proxy rules on the node')
  assert.equal(rules.map((f) => f.severity).sort(), ['fail', 'ok'], JSON.stringify(rules))
  const bad = rules.find((f) => f.severity === 'fail')!
  const m =
    /^mismatch: shop\/web on lab-2 \((iptables|nftables|ipvs)[^)]*\): stale http (10\.244\.\d+\.\d+):8080 \(in the rules, in no EndpointSlice\); missing http (10\.244\.\d+\.\d+):8080 pod shop\/web-\S+ \(usable in the slices, no rule\); kube-proxy is not running on lab-2$/.exec(
      bad.message,
    )
  assert.ok(m, bad.message)
  assert.match(rules.find((f) => f.severity === 'ok')!.message, /^ok: shop\/web on lab-3 /)
  // The stale address is no endpoint any more; the missing one is.
  assert.not.match(eps[0].message, `${m![2]}:8080`)
  assert.match(eps[0].message, `${m![3]}:8080`)
  assert.match(bad.evidence!.output, new RegExp(`-> ${m![2].replace(/\./g, '\\.')}:8080`))
  assert.match(bad.evidence!.output, '$ pgrep -a kube-proxy\n(no kube-proxy process)')
  assert.match(bad.evidence!.command, /ssh lab-2 pgrep -a kube-proxy$/)
  assert.match(bad.remedy!, 'start kube-proxy on lab-2')
}

/** stale-rules on lab-2, kube-proxy-drift over every Service of shop: lab-2 and only lab-2 is stale; lab-1 and lab-3 clear. */
export function driftStaleRules(report: ReportData): void {
  const rules = stepFindings(report, 'Rules against the slices, node by node')
  const fails = rules.filter((f) => f.severity === 'fail')
  assert.ok(fails.length >= 1, JSON.stringify(rules))
  for (const f of fails) {
    // every failing finding is about lab-2 alone
    assert.match(
      f.message,
      /^shop\/[a-z-]+: the rules of lab-2 are stale: they still DNAT to 10\.244\.\d+\.\d+:8080 \(in no EndpointSlice: pods that are gone\).*; kube-proxy is not running on lab-2$/,
    )
    assert.not.match(f.message, /lab-[13]|lab-\[/)
    assert.match(f.evidence!.command, /^ssh lab-2 /)
    assert.match(f.remedy!, /^start kube-proxy on lab-2/)
  }
  assert.ok(
    fails.some((f) => f.message.startsWith('shop/web: ')),
    'shop/web is among them',
  )
  const ok = rules.filter((f) => f.severity === 'ok').map((f) => f.message)
  assert.ok(
    ok.some((m) => m.startsWith('shop/web: the rules of lab-[1,3] match its EndpointSlices')),
    ok.join(' | '),
  )
  // nothing else anywhere in the report blames another node
  assert.equal(
    failures(report).filter((m) => !m.includes('lab-2')),
    [],
  )
  const proxy = stepFindings(report, 'Which nodes, and does kube-proxy run there?').map((f) => f.message)
  assert.ok(proxy.includes('kube-proxy runs on lab-[1,3]'), proxy.join(' | '))
}

/**
 * dns-down, dns --pod shop/client: no CoreDNS pod, no endpoint, the client's node rejects 10.96.0.10:53, the walk and
 * the direct query time out.
 */
export function dnsDown(report: ReportData): void {
  assert.equal(report.params, { pod: 'shop/client', name: 'kubernetes.default', timeout: 2, tail: 200 })
  assert.is(stepFindings(report, 'The pod and its DNS policy')[0].severity, 'ok')
  const coredns = stepFindings(report, 'CoreDNS pods and the kube-dns endpoints').filter((f) => f.severity === 'fail')
  assert.is(coredns.length, 2, JSON.stringify(coredns))
  assert.is(
    coredns[0].message,
    'no CoreDNS pod (label k8s-app=kube-dns) in kube-system; deployment kube-system/coredns: replicas 0 wanted, 0 ready',
  )
  assert.match(coredns[0].remedy!, 'kubectl -n kube-system scale deployment coredns --replicas=2')
  assert.is(
    coredns[1].message,
    'the kube-system/kube-dns Service (10.96.0.10) has no ready endpoint: no CoreDNS pod receives the queries sent to 10.96.0.10 (the nodes reject or drop them, step 3)',
  )
  assert.is(
    coredns[1].evidence!.command,
    'kubectl get endpointslices -n kube-system -l kubernetes.io/service-name=kube-dns -o wide',
  )
  assert.match(coredns[1].evidence!.output, 'service kube-system/kube-dns ClusterIP 10.96.0.10')
  assert.not.match(coredns[1].evidence!.output, / ready /)
  const rules = stepFindings(report, "The kube-dns rules on the pod's node")
  assert.equal(
    rules.map((f) => f.severity),
    ['fail'],
  )
  const node = podNodeOf('shop', 'client') // the rules are read on the pod's node
  assert.match(
    rules[0].message,
    new RegExp(
      `^${node} rejects DNS queries to 10\\.96\\.0\\.10: no endpoints: kube-system/kube-dns has no usable endpoints; ${node} rejects/drops 10\\.96\\.0\\.10:53/UDP`,
    ),
  )
  assert.match(rules[0].evidence!.output, /dns 53\/UDP: ClusterIP 10\.96\.0\.10:53 (reject|drop)/)
  assert.match(rules[0].evidence!.command, new RegExp(`^ssh ${node} (iptables-save|nft|ipvsadm)`))
  const walk = stepFindings(report, 'resolv.conf and the search list').filter((f) => f.severity === 'fail')
  assert.equal(
    walk.map((f) => f.message),
    ['kubernetes.default does not resolve from shop/client: no answer from 10.96.0.10 within 2 s (TIMEOUT)'],
  )
  assert.match(walk[0].evidence!.output, /kubernetes\.default\.shop\.svc\.cluster\.local +@10\.96\.0\.10 +TIMEOUT/)
  assert.match(walk[0].evidence!.command, /^nsenter -t PID -n dig \+search kubernetes\.default/)
  const direct = stepFindings(report, 'Ask the DNS servers directly')
  assert.equal(
    direct.map((f) => [f.severity, f.message]),
    [
      [
        'fail',
        'the kube-system/kube-dns Service (10.96.0.10) does not answer from shop/client (TIMEOUT), and there is no CoreDNS pod to ask directly',
      ],
    ],
  )
  assert.match(direct[0].evidence!.command, '@10.96.0.10 kubernetes.default.svc.cluster.local')
  assert.match(direct[0].evidence!.output, /^TIMEOUT /)
  assert.match(stepFindings(report, 'Errors in the CoreDNS logs')[0].message, 'no CoreDNS pod to read a log from')
}

/** dns-ndots: external.lab.example resolves from shop/dns-ndots only after 4 NXDOMAIN answers (a warning). */
export function dnsNdots(report: ReportData): void {
  assert.equal(failures(report), [])
  assert.is(report.summary.fail, 0)
  assert.ok(report.summary.warn >= 1)
  const step = stepFindings(report, 'resolv.conf and the search list')
  assert.match(
    step[0].message,
    "shop/dns-ndots's resolv.conf: nameserver 10.96.0.10, 4 search domains (shop.svc.cluster.local svc.cluster.local cluster.local lab.example), ndots:5",
  )
  const warn = step.filter((f) => f.severity === 'warn')
  assert.is(warn.length, 1, JSON.stringify(step))
  assert.match(
    warn[0].message,
    /^external\.lab\.example resolves from shop\/dns-ndots \(A 127\.0\.0\.1\) only after 4 NXDOMAIN answers: with ndots:5 the resolver walks the search list first \(5 queries, \d+ ms\)$/,
  )
  assert.equal(
    warn[0]
      .evidence!.output.split('\n')
      .filter((l) => /^ *\d+ /.test(l))
      .map((l) => l.trim().split(/\s+/).slice(1, 4).join(' ')),
    [
      'external.lab.example.shop.svc.cluster.local @10.96.0.10 NXDOMAIN',
      'external.lab.example.svc.cluster.local @10.96.0.10 NXDOMAIN',
      'external.lab.example.cluster.local @10.96.0.10 NXDOMAIN',
      'external.lab.example.lab.example @10.96.0.10 NXDOMAIN',
      'external.lab.example @10.96.0.10 NOERROR',
    ],
  )
  assert.match(warn[0].remedy!, '"external.lab.example."')
  assert.match(warn[0].remedy!, 'lower ndots')
}

/**
 * mtu-mismatch, pod-network --pod shop/client: the MTU step alone fails, with pod eth0 9000, host veth 9000 and the
 * bridge at 1500 as evidence; routes and the default connection tests are fine.
 */
export function podNetworkMtu(report: ReportData): void {
  const node = podNode('shop', 'client')
  const { veth } = hostVeth('shop', 'client')
  const bridge = NET.cniBridge
  const { cniDir } = nodePaths(node)
  const gateway = labNode(node).podGateway
  const fails = stepFindings(report, 'The veth pair and its MTU').filter((f) => f.severity === 'fail')
  assert.is(fails.length, 1, JSON.stringify(fails))
  const f = fails[0]
  assert.ok(
    f.message.startsWith(
      `shop/client: MTU mismatch: pod eth0 9000, host ${veth} 9000, bridge ${bridge} 1500; the CNI config asks for 1500: packets larger than 1500 bytes are dropped`,
    ),
    f.message,
  )
  // A 9000-byte packet to another pod across the bridge vanishes; a small one does not.
  assert.match(f.message, '(a full-size ping got no reply, a small one did)')
  assert.match(
    f.evidence!.command,
    new RegExp(
      `^ssh ${node} 'nsenter -t \\d+ -n ip -d link show eth0; ip -d link show ${veth}; ip link show ${bridge}'$`,
    ),
  )
  assert.match(f.evidence!.output, /^pod +eth0 +mtu 9000 +UP/m)
  assert.match(f.evidence!.output, new RegExp(`^host +${veth} +mtu 9000 +UP +master ${bridge}`, 'm'))
  assert.match(f.evidence!.output, new RegExp(`^bridge +${bridge} +mtu 1500 +UP +${gateway}/24`, 'm'))
  assert.match(
    f.evidence!.output,
    new RegExp(`^CNI config kinspect-lab \\(bridge plugin, ${cniDir}\\): "mtu": 1500$`, 'm'),
  )
  assert.match(f.evidence!.output, /56 bytes: reply; 8972 bytes \(a 9000-byte packet\): no reply$/m)
  assert.match(f.remedy!, `set the MTU in the CNI configuration (the "mtu" of the bridge plugin in ${cniDir}`)
  assert.match(f.remedy!, 'kubectl delete pod client -n shop')
  assert.match(f.remedy!, `ip link set dev ${veth} mtu 1500`)
  // Only the MTU is wrong: routes, the gateway, the default connection tests and the FORWARD chain are fine.
  assert.equal(failures(report), [`The veth pair and its MTU: ${f.message}`])
  assert.is(
    stepFindings(report, 'Routes and neighbours')[0].message,
    `shop/client: default route via ${gateway} (the bridge ${bridge}) dev eth0`,
  )
  const conn = stepFindings(report, 'Connection test')
  assert.equal(
    conn.map((x) => x.severity),
    ['ok', 'ok'],
    JSON.stringify(conn),
  )
}
