// Each fault scenario is a real break: on, check it with plain tools, off, check the lab is healthy again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import { NET, NODES, labPaths } from './layout.ts'
import { kubectl, kubectlJSON, workloadsReady } from './lab.ts'
import { inNode } from './nodes.ts'
import {
  SCENARIOS,
  conntrackDrops,
  corednsPods,
  hostVeth,
  iptablesEndpointIPs,
  metricsAvailable,
  nodeReady,
  onPodNetns,
  podNode,
  scenario,
  sliceIPs,
} from './scenarios.ts'
import { OVERLAY_MTU, blackholePeer } from './faults/network.ts'
import { run, waitFor } from './sh.ts'

const rejectRule = (ns: string, svc: string, node = 'lab-1') =>
  run(inNode(node, ['iptables-save', '-t', 'filter']))
    .stdout.split('\n')
    .find((l) => l.includes(`"${ns}/${svc}:http has no endpoints"`) && l.includes('REJECT'))
const fromClient = (...cmd: string[]) => kubectl(['exec', '-n', 'shop', 'client', '--', ...cmd], { ok: true })
const clusterIP = (ns: string, svc: string) =>
  kubectl(['get', 'svc', '-n', ns, svc, '-o', 'jsonpath={.spec.clusterIP}']).stdout

test.after(async () => {
  // Leave the lab healthy even when an assertion failed: node faults first (the others wait for Ready nodes),
  // every off attempted even when one fails, then the failures reported.
  const order = [...SCENARIOS].sort((a, b) => Number(!a.node) - Number(!b.node))
  const failed: string[] = []
  for (const s of order) {
    try {
      await scenario(s.name, 'off')
    } catch (e) {
      failed.push(`${s.name}: ${(e as Error).message}`)
    }
  }
  if (failed.length) throw new Error(`could not turn off: ${failed.join('; ')}`)
})

test('every scenario has a name, a description, and rejects a bad state', async () => {
  assert.ok(SCENARIOS.length >= 12)
  try {
    await scenario('dns-down', 'maybe')
    assert.unreachable('a bad state must throw')
  } catch (e) {
    assert.match(String(e), /must be "on" or "off", got "maybe"/)
  }
  try {
    await scenario('no-such', 'on')
    assert.unreachable('an unknown scenario must throw')
  } catch (e) {
    assert.match(String(e), /unknown scenario "no-such"; known: dns-down/)
  }
  try {
    await scenario('dns-down', 'on', { node: 'lab-2' })
    assert.unreachable('--node on a cluster-wide scenario must throw')
  } catch (e) {
    assert.match(String(e), /dns-down is not about one node; drop --node/)
  }
  try {
    await scenario('node-notready', 'on', { node: 'lab-9' })
    assert.unreachable('an unknown node must throw')
  } catch (e) {
    assert.match(String(e), /--node must be one of lab-1, lab-2, lab-3, got "lab-9"/)
  }
})

test('dns-down: kube-dns has no endpoints and a lookup from a pod fails; off restores answers', async () => {
  await scenario('dns-down', 'on')
  await scenario('dns-down', 'on') // idempotent
  assert.equal(sliceIPs('kube-system', 'kube-dns'), [])
  const dig = onPodNetns(
    'shop',
    'client',
    ['dig', '+time=1', '+tries=1', `@${NET.dnsIP}`, 'kubernetes.default.svc.cluster.local'],
    { ok: true },
  )
  assert.not.equal(dig.code, 0, 'dig must fail while CoreDNS is down')
  await scenario('dns-down', 'off')
  assert.equal(sliceIPs('kube-system', 'kube-dns').length, 2)
  assert.equal(new Set(corednsPods().map((p) => p.node)).size, 2, 'the two replicas are back on two nodes')
  const ok = onPodNetns('shop', 'client', [
    'dig',
    '+short',
    '+time=2',
    `@${NET.dnsIP}`,
    'kubernetes.default.svc.cluster.local',
  ])
  assert.equal(ok.stdout.trim(), NET.kubernetesSvcIP)
})

test('dns-ndots: the ndots:5 pod walks the search list; CoreDNS logs NXDOMAIN for each candidate', async () => {
  await scenario('dns-ndots', 'on')
  const resolvConf = kubectl(['exec', '-n', 'shop', 'dns-ndots', '--', 'cat', '/etc/resolv.conf']).stdout
  assert.match(resolvConf, /options ndots:5/)
  assert.match(resolvConf, /search shop\.svc\.cluster\.local svc\.cluster\.local cluster\.local lab\.example/)
  let logs = ''
  for (let i = 0; i < 20 && !/external\.lab\.example\.shop\.svc\.cluster\.local\. NXDOMAIN/.test(logs); i++) {
    await new Promise((r) => setTimeout(r, 1000))
    logs = kubectl(['logs', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '--tail=-1', '--prefix']).stdout
  }
  assert.match(logs, /A external\.lab\.example\.shop\.svc\.cluster\.local\. NXDOMAIN/)
  assert.match(logs, /A external\.lab\.example\.cluster\.local\. NXDOMAIN/)
  assert.match(logs, /A external\.lab\.example\. NOERROR/)
  assert.match(logs, /A api\.partner\.example\. NXDOMAIN/)
  await scenario('dns-ndots', 'off')
  assert.equal(kubectl(['get', 'pod', '-n', 'shop', 'dns-ndots'], { ok: true }).code, 1)
})

test('svc-no-endpoints: shop/orders has no endpoints and kube-proxy rejects its ClusterIP', async () => {
  await scenario('svc-no-endpoints', 'on')
  assert.equal(sliceIPs('shop', 'orders'), [])
  let rule: string | undefined
  for (let i = 0; i < 30 && !rule; i++) {
    rule = rejectRule('shop', 'orders')
    if (!rule) await new Promise((r) => setTimeout(r, 500))
  }
  assert.ok(rule, 'kube-proxy writes a REJECT rule for a Service without endpoints')
  const r = fromClient('nc', '-w', '2', clusterIP('shop', 'orders'), '80')
  assert.not.equal(r.code, 0)
  await scenario('svc-no-endpoints', 'off')
  assert.equal(kubectl(['get', 'svc', '-n', 'shop', 'orders'], { ok: true }).code, 1)
})

test('svc-targetport: endpoints point at 9090 where nothing listens; connections are refused', async () => {
  await scenario('svc-targetport', 'on')
  const slices = kubectlJSON([
    'get',
    'endpointslices',
    '-n',
    'shop',
    '-l',
    'kubernetes.io/service-name=web-badport',
  ]).items
  assert.equal(slices[0].ports[0].port, 9090)
  assert.equal(slices[0].endpoints.length, 2)
  const r = fromClient(
    'sh',
    '-c',
    `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${clusterIP('shop', 'web-badport')} 80`,
  )
  assert.not.match(r.stdout, /200 OK/)
  const good = fromClient('sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${clusterIP('shop', 'web')} 80`)
  assert.match(good.stdout, /200 OK/)
  await scenario('svc-targetport', 'off')
})

test('crashloop: restarts rise, Last State is Terminated with exit code 3, BackOff events are recorded', async () => {
  await scenario('crashloop', 'on')
  let st: any
  for (let i = 0; i < 40; i++) {
    const pod = (kubectlJSON(['get', 'pods', '-n', 'shop', '-l', 'app=crasher']).items as any[])[0]
    st = pod?.status?.containerStatuses?.[0]
    if (st?.restartCount >= 2 && st?.state?.waiting?.reason === 'CrashLoopBackOff') break
    await new Promise((r) => setTimeout(r, 1000))
  }
  assert.ok(st.restartCount >= 2, `restartCount ${st.restartCount}`)
  assert.equal(st.lastState.terminated.exitCode, 3)
  assert.equal(st.lastState.terminated.reason, 'Error')
  const name = (kubectlJSON(['get', 'pods', '-n', 'shop', '-l', 'app=crasher']).items as any[])[0].metadata.name
  assert.match(kubectl(['logs', '-n', 'shop', name, '--previous']).stdout, /loading config/)
  const events = kubectl(['get', 'events', '-n', 'shop', '--field-selector', `involvedObject.name=${name}`]).stdout
  assert.match(events, /BackOff/)
  await scenario('crashloop', 'off')
})

test('conntrack-full: the table reaches nf_conntrack_max, drops count up and the kernel logs it; off restores the max', async () => {
  const before = fs.readFileSync('/proc/sys/net/netfilter/nf_conntrack_max', 'utf8').trim()
  const drops0 = conntrackDrops()
  await scenario('conntrack-full', 'on')
  const max = Number(fs.readFileSync('/proc/sys/net/netfilter/nf_conntrack_max', 'utf8'))
  const count = Number(fs.readFileSync('/proc/sys/net/netfilter/nf_conntrack_count', 'utf8'))
  assert.ok(max < Number(before), 'max is lowered')
  assert.ok(count >= max - 5, `count ${count} is at max ${max}`)
  assert.ok(conntrackDrops() > drops0, 'conntrack -S drop rises')
  assert.match(run(['dmesg']).stdout, /nf_conntrack: table full, dropping packet/)
  await scenario('conntrack-full', 'off')
  assert.equal(fs.readFileSync('/proc/sys/net/netfilter/nf_conntrack_max', 'utf8').trim(), before)
})

test("stale-rules: with lab-2's kube-proxy stopped, lab-2 still DNATs to a deleted pod while lab-1 and lab-3 follow; off resyncs", async () => {
  await scenario('stale-rules', 'on')
  const slice = sliceIPs('shop', 'web')
  const rules = iptablesEndpointIPs('shop', 'web', 'lab-2')
  assert.equal(slice.length, 2)
  assert.ok(
    rules.some((ip) => !slice.includes(ip)),
    `lab-2's rules ${rules} keep an IP the slices no longer have (${slice})`,
  )
  for (const n of ['lab-1', 'lab-3'])
    await waitFor(
      `${n} to follow the slices`,
      () => iptablesEndpointIPs('shop', 'web', n).join() === sliceIPs('shop', 'web').join(),
      15_000,
      500,
    )
  await scenario('stale-rules', 'off')
  assert.equal(iptablesEndpointIPs('shop', 'web', 'lab-2'), sliceIPs('shop', 'web'))
})

test("node-notready: lab-2's kubelet stopped, lab-2 is NotReady, the others stay Ready, SSH still answers; off brings it back", async () => {
  await scenario('node-notready', 'on')
  try {
    assert.not.equal(nodeReady('lab-2'), 'True')
    for (const n of ['lab-1', 'lab-3']) assert.is(nodeReady(n), 'True', `${n} stays Ready`)
    const node = kubectlJSON(['get', 'node', 'lab-2'])
    const ready = node.status.conditions.find((c: any) => c.type === 'Ready')
    assert.equal(ready.reason, 'NodeStatusUnknown')
    const ssh = run(['ssh', '-F', labPaths().sshConfig, 'lab-2', 'pgrep', '-x', 'kubelet'], { ok: true })
    assert.equal(ssh.code, 1, "ssh to lab-2 works and finds no kubelet there (lab-1's is in another PID namespace)")
    assert.equal(
      run(['ssh', '-F', labPaths().sshConfig, 'lab-3', 'pgrep', '-x', 'kubelet'], { ok: true }).code,
      0,
      'lab-3 still has its kubelet',
    )
  } finally {
    await scenario('node-notready', 'off')
  }
  assert.equal(nodeReady('lab-2'), 'True')
})

test('node-notready --node lab-3 acts on lab-3 alone, and off finds the node it was turned on for', async () => {
  await scenario('node-notready', 'on', { node: 'lab-3' })
  assert.not.equal(nodeReady('lab-3'), 'True')
  assert.is(nodeReady('lab-2'), 'True')
  await scenario('node-notready', 'off')
  assert.is(nodeReady('lab-3'), 'True')
})

test('metrics-unavailable: metrics-server runs but its Service has no endpoints, the APIService is unavailable and kubectl top fails; off serves metrics again', async () => {
  // After node-notready, metrics-server needs two fresh kubelet scrapes (10 s apart) before it serves the node again.
  await waitFor(
    'node metrics to be served before the break',
    () =>
      kubectl(['top', 'node'], { ok: true })
        .stdout.split('\n')
        .filter((l) => /^lab-\d\s+\d+m/.test(l)).length === NODES.length,
    60_000,
    1000,
  )
  await scenario('metrics-unavailable', 'on')
  await scenario('metrics-unavailable', 'on') // idempotent
  const svc = kubectlJSON(['get', 'apiservice', 'v1beta1.metrics.k8s.io'])
  const avail = svc.status.conditions.find((c: any) => c.type === 'Available')
  assert.equal([avail.status, avail.reason], ['False', 'MissingEndpoints'])
  assert.is(
    kubectl([
      'get',
      'pods',
      '-n',
      'kube-system',
      '-l',
      'k8s-app=metrics-server',
      '-o',
      'jsonpath={.items[*].status.phase}',
    ]).stdout,
    'Running',
  )
  const top = kubectl(['top', 'pods', '-n', 'shop'], { ok: true })
  assert.is.not(top.code, 0)
  assert.match(top.stderr, /ServiceUnavailable|Metrics API not available/) // 503 while discovery still lists the group, or gone from discovery
  await scenario('metrics-unavailable', 'off')
  assert.is(metricsAvailable(), 'True')
  assert.match(kubectl(['top', 'pods', '-n', 'shop']).stdout, /^web-\S+\s+\d+m\s+\d+Mi/m)
})

test('mtu-mismatch: the client pod and its host veth on lab-3 are at 9000, the bridge at 1500, nothing else changed', async () => {
  const node = podNode('shop', 'client')
  assert.is(node, 'lab-3')
  const mtus = () =>
    (JSON.parse(run(inNode(node, ['ip', '-j', 'link', 'show'])).stdout) as any[])
      .filter((l) => !l.ifname.startsWith('veth'))
      .map((l) => `${l.ifname}:${l.mtu}`)
  const before = mtus()
  await scenario('mtu-mismatch', 'on')
  const [eth0] = JSON.parse(onPodNetns('shop', 'client', ['ip', '-j', 'link', 'show', 'eth0']).stdout)
  const { veth: name } = hostVeth('shop', 'client')
  const [veth] = JSON.parse(run(inNode(node, ['ip', '-j', 'link', 'show', name])).stdout)
  const [bridge] = JSON.parse(run(inNode(node, ['ip', '-j', 'link', 'show', NET.cniBridge])).stdout)
  assert.equal([eth0.mtu, veth.mtu, bridge.mtu], [9000, 9000, 1500])
  assert.equal(veth.master, NET.cniBridge)
  assert.equal(mtus(), before, 'no other interface of the node changed')
  await scenario('mtu-mismatch', 'off')
  const [eth0b] = JSON.parse(onPodNetns('shop', 'client', ['ip', '-j', 'link', 'show', 'eth0']).stdout)
  assert.equal(eth0b.mtu, 1500)
})

/** A ping of `size` payload bytes from shop/client (lab-3) to ip: true when it is answered. */
const pingFromClient = (ip: string, size: number) =>
  onPodNetns('shop', 'client', ['ping', '-c', '1', '-W', '2', '-s', String(size), ip], { ok: true }).code === 0

test('overlay-mtu: between nodes big packets vanish and small ones pass; inside a node everything passes; off restores', async () => {
  const web = (kubectlJSON(['get', 'pods', '-n', 'shop', '-l', 'app=web']).items as any[]).map((p) => ({
    node: p.spec.nodeName,
    ip: p.status.podIP,
  }))
  const remote = web.find((w) => w.node === 'lab-2')!
  const local = web.find((w) => w.node === 'lab-3')!
  assert.ok(pingFromClient(remote.ip, 1400), 'a 1428-byte packet to lab-2 passes before')
  await scenario('overlay-mtu', 'on')
  await scenario('overlay-mtu', 'on') // idempotent
  assert.ok(pingFromClient(remote.ip, 56), 'a small packet to a pod on lab-2 passes')
  assert.not.ok(
    pingFromClient(remote.ip, 1400),
    `a 1428-byte packet to a pod on lab-2 is dropped (path MTU ${OVERLAY_MTU})`,
  )
  assert.ok(pingFromClient(local.ip, 1400), 'a 1428-byte packet to a pod on the same node passes')
  const ports = JSON.parse(run(['ip', '-j', 'link', 'show', 'master', NET.hostIf]).stdout) as any[]
  assert.equal(
    ports.map((p) => p.mtu).sort(),
    NODES.filter((n) => !n.host).map(() => OVERLAY_MTU),
  )
  const [klab] = JSON.parse(run(['ip', '-j', 'link', 'show', NET.hostIf]).stdout)
  assert.is(klab.mtu, 1500, 'lab-1 still sends full-size frames')
  await scenario('overlay-mtu', 'off')
  assert.ok(pingFromClient(remote.ip, 1400), 'full-size packets pass again')
})

test("node-dns-blackhole: pods on lab-3 cannot reach the CoreDNS pod on lab-2 but can reach lab-1's; pods on lab-1 reach both; off restores", async () => {
  const dns = corednsPods()
  const peer = dns.find((p) => p.node === blackholePeer('lab-3'))!
  const other = dns.find((p) => p.node !== peer.node)!
  const dig = (pod: string, ip: string) =>
    onPodNetns(
      'shop',
      pod,
      ['dig', '+time=1', '+tries=1', '+short', `@${ip}`, 'kubernetes.default.svc.cluster.local'],
      { ok: true },
    )
  await scenario('node-dns-blackhole', 'on')
  await scenario('node-dns-blackhole', 'on') // idempotent
  const cut = dig('client', peer.ip)
  assert.not.equal(cut.code, 0, `dig from lab-3 to ${peer.name} on ${peer.node} times out`)
  assert.match(cut.stdout, /timed out|no servers could be reached/)
  assert.equal(
    dig('client', other.ip).stdout.trim(),
    NET.kubernetesSvcIP,
    `lab-3 still reaches ${other.name} on ${other.node}`,
  )
  assert.equal(
    dig('ndots', peer.ip).stdout.trim(),
    NET.kubernetesSvcIP,
    'a pod on lab-1 still reaches the lab-2 CoreDNS pod',
  )
  const rules = run(inNode('lab-3', ['iptables-save', '-t', 'filter'])).stdout
  assert.match(rules, new RegExp(`-d ${peer.ip.replace(/\./g, '\\.')}/32 -p udp .*node-dns-blackhole.* -j DROP`))
  await scenario('node-dns-blackhole', 'off')
  assert.equal(dig('client', peer.ip).stdout.trim(), NET.kubernetesSvcIP)
  assert.not.match(run(inNode('lab-3', ['iptables-save', '-t', 'filter'])).stdout, /node-dns-blackhole/)
})

test('after every scenario is off the lab is healthy', () => {
  assert.ok(workloadsReady())
})

test.run()
