// Captures real tool outputs from the lab into test/fixtures/lab/ for the parsers' unit tests.
import fs from 'node:fs'
import path from 'node:path'
import { NET, NODES } from './layout.ts'
import { bin } from './build.ts'
import { kubectl } from './lab.ts'
import { inNode } from './nodes.ts'
import { crictl, hostVeth, inPodNetns, podNode, podPid } from './probe.ts'
import { scenario } from './scenarios.ts'
import { currentProxyMode, setProxyMode } from './proxymode.ts'
import { progress, run } from './sh.ts'

const out = path.resolve(import.meta.dirname, '..', 'fixtures', 'lab')

function save(name: string, content: string): void {
  fs.writeFileSync(path.join(out, name), content)
}
const sh = (argv: string[]) => run(argv, { ok: true }).stdout
/** On a node (inside its namespaces for lab-2 and lab-3). */
const on = (node: string, argv: string[]) => sh(inNode(node, argv))
/** In a pod's network namespace, from its node. */
const ns = (pod: string, argv: string[]) => sh(inPodNetns('shop', pod, argv))
/** A file as a pod's process sees it (/proc/PID/root), read on the pod's node. */
const podFile = (pod: string, file: string) => on(podNode('shop', pod), ['cat', `/proc/${podPid('shop', pod)}/${file}`])

/**
 * The metrics API and kubectl top from one metrics-server sample: the API is read before and after kubectl top
 * and kept only when both reads carry the same timestamps (metrics-server re-samples every 10 s).
 */
export function captureMetrics(): void {
  const stamps = (j: string) => (JSON.parse(j).items as any[]).map((i) => `${i.metadata.name}@${i.timestamp}`).sort().join(',')
  for (let attempt = 1; attempt <= 5; attempt++) {
    const before = kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/pods']).stdout
    const nodesBefore = kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes']).stdout
    const top = {
      'kubectl-top-pods-A.txt': kubectl(['top', 'pods', '-A']).stdout,
      'kubectl-top-pods-containers-mem.txt': kubectl(['top', 'pods', '-n', 'shop', '--containers', '--sort-by', 'memory']).stdout,
      'kubectl-top-nodes.txt': kubectl(['top', 'nodes']).stdout,
    }
    const after = kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/pods']).stdout
    const nodesAfter = kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes']).stdout
    if (stamps(before) !== stamps(after) || stamps(nodesBefore) !== stamps(nodesAfter)) continue
    save('metrics-pods.json', before)
    save('metrics-nodes.json', nodesBefore)
    for (const [f, text] of Object.entries(top)) save(f, text)
    return
  }
  throw new Error('capture: metrics-server re-sampled during each of 5 attempts; run the capture again')
}

/**
 * What kinspect triage reads, as kubectl prints it, under each case (the scenarios turned on together), into
 * test/fixtures/lab/triage/CASE.json: {capturedAt, scenarios, lists: {pods, services, …}} with every namespace.
 * Events are the Warning ones (what triage reads of them); the SSH-only fanout nodes, their leases and events are
 * (labelled kinspect.dev/lab-role) left out with a label selector. Each case waits 20 s after its scenarios are on, past triage's grace periods.
 */
export async function captureTriage(only?: string): Promise<void> {
  const dir = path.join(out, 'triage')
  fs.mkdirSync(dir, { recursive: true })
  const cases: Array<[string, string[]]> = [
    ['healthy', []],
    ['dns-down', ['dns-down']],
    ['crashloop', ['crashloop']],
    ['svc-targetport', ['svc-targetport']],
    ['svc-no-endpoints', ['svc-no-endpoints']],
    ['metrics-unavailable', ['metrics-unavailable']],
    ['node-notready', ['node-notready']],
    ['pending-resources', ['pending-resources']],
    ['pending-taint', ['pending-taint']],
    ['oomkill', ['oomkill']],
    ['image-missing', ['image-missing']],
    ['rollout-stuck', ['rollout-stuck']],
    ['three-faults', ['dns-down', 'crashloop', 'svc-targetport']],
  ]
  const items = (args: string[]) => JSON.parse(kubectl([...args, '-o', 'json']).stdout).items as any[]
  for (const [name, scenarios] of cases.filter(([n]) => !only || n === only)) {
    progress(`capturing triage objects: ${name}`)
    for (const s of scenarios) await scenario(s, 'on')
    try {
      await new Promise((r) => setTimeout(r, 20_000))
      const nodes = items(['get', 'nodes', '-l', `!kinspect.dev/lab-role`])
      const names = new Set(nodes.map((n) => n.metadata.name))
      const lists = {
        pods: items(['get', 'pods', '-A']),
        services: items(['get', 'services', '-A']),
        endpointslices: items(['get', 'endpointslices', '-A']),
        deployments: items(['get', 'deployments', '-A']),
        replicasets: items(['get', 'replicasets', '-A']),
        statefulsets: items(['get', 'statefulsets', '-A']),
        daemonsets: items(['get', 'daemonsets', '-A']),
        events: items(['get', 'events', '-A', '--field-selector', 'type=Warning']).filter((e) => e.involvedObject.kind !== 'Node' || names.has(e.involvedObject.name)),
        nodes,
        leases: items(['get', 'leases', '-n', 'kube-node-lease']).filter((l) => names.has(l.metadata.name)),
        apiservices: items(['get', 'apiservices']).filter((a) => a.metadata.name === 'v1beta1.metrics.k8s.io'),
      }
      fs.writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify({ capturedAt: new Date().toISOString(), scenarios, lists })}\n`)
    } finally {
      for (const s of [...scenarios].reverse()) await scenario(s, 'off')
    }
  }
}

/** Runs every capture; leaves the lab as it found it (iptables mode, scenarios off). */
export async function capture(): Promise<void> {
  fs.mkdirSync(out, { recursive: true })
  const mode = currentProxyMode()
  if (mode !== 'iptables') await setProxyMode('iptables')
  progress(`capturing into ${out}`)
  const clientNode = podNode('shop', 'client')
  progress(`shop/client runs on ${clientNode}`)

  // kube-proxy rules, iptables mode (nft backend of iptables-save, as Debian ships it): lab-1's, and each node's own
  save('iptables-save.txt', sh(['iptables-save']))
  save('iptables-save-nat-counters.txt', sh(['iptables-save', '-c', '-t', 'nat']))
  for (const n of NODES.filter((x) => !x.host)) save(`iptables-save-${n.name}.txt`, on(n.name, ['iptables-save']))
  // network namespaces, veths, addresses
  save('ip-addr-host.json', sh(['ip', '-j', 'addr', 'show']))
  save('ip-link-host-stats.json', sh(['ip', '-j', '-s', '-d', 'link', 'show']))
  for (const n of NODES.filter((x) => !x.host)) save(`ip-addr-${n.name}.json`, on(n.name, ['ip', '-j', 'addr', 'show']))
  save('ip-addr-pod-client.json', ns('client', ['ip', '-j', 'addr', 'show']))
  save('ip-link-pod-client-stats.json', ns('client', ['ip', '-j', '-s', '-d', 'link', 'show']))
  save('ip-route-pod-client.json', ns('client', ['ip', '-j', 'route', 'show']))
  save('ip-neigh-pod-client.json', ns('client', ['ip', '-j', 'neigh', 'show']))
  save('ip-link-veth-client.json', on(clientNode, ['ip', '-j', '-s', '-d', 'link', 'show', hostVeth('shop', 'client').veth]))
  save('ip-addr-pod-distroless.json', ns('distroless', ['ip', '-j', 'addr', 'show']))
  // container runtime (upstream crictl), on the client's node and on each node
  save('crictl-ps.json', crictl(clientNode, ['ps', '-a', '-o', 'json']))
  save('crictl-pods.json', crictl(clientNode, ['pods', '-o', 'json']))
  save('crictl-ps.txt', crictl(clientNode, ['ps', '-a']))
  for (const n of NODES) save(`crictl-pods-${n.name}.json`, crictl(n.name, ['pods', '-o', 'json']))
  const cid = crictl(clientNode, ['ps', '-q', '--name', '^client$']).trim().split('\n')[0]
  const sid = crictl(clientNode, ['pods', '-q', '--name', '^client$']).trim().split('\n')[0]
  save('crictl-inspect-client.json', crictl(clientNode, ['inspect', cid]))
  save('crictl-inspectp-client.json', crictl(clientNode, ['inspectp', sid]))
  save('lsns.json', on(clientNode, ['lsns', '-J']))
  save('lsns-net.txt', on(clientNode, ['lsns', '-t', 'net']))
  save('proc-cgroup-client.txt', podFile('client', 'cgroup'))
  save('proc-cgroup-distroless.txt', podFile('distroless', 'cgroup'))
  save('resolv-conf-client.txt', podFile('client', 'root/etc/resolv.conf'))
  save('resolv-conf-ndots.txt', podFile('ndots', 'root/etc/resolv.conf'))
  // DNS as a pod sees it
  save('dig-a-kubernetes.txt', ns('client', ['dig', `@${NET.dnsIP}`, 'kubernetes.default.svc.cluster.local', 'A']))
  save('dig-nxdomain.txt', ns('client', ['dig', `@${NET.dnsIP}`, 'api.partner.example.shop.svc.cluster.local', 'A']))
  save('dig-srv-web.txt', ns('client', ['dig', `@${NET.dnsIP}`, '_http._tcp.web.shop.svc.cluster.local', 'SRV']))
  save('dig-search-ndots.txt', ns('ndots', ['dig', '+search', '+showsearch', `@${NET.dnsIP}`, 'external.lab.example']))
  save('nslookup-web.txt', ns('client', ['nslookup', 'web.shop.svc.cluster.local', NET.dnsIP]))
  // conntrack
  save('conntrack-L.txt', sh(['conntrack', '-L']))
  save('conntrack-S.txt', sh(['conntrack', '-S']))
  save('conntrack-L-dns.txt', on(clientNode, ['conntrack', '-L', '-p', 'udp', '--dport', '53']))
  for (const n of NODES.filter((x) => !x.host)) save(`conntrack-S-${n.name}.txt`, on(n.name, ['conntrack', '-S']))
  // API objects
  for (const [file, args] of [
    ['kubectl-pods.json', ['get', 'pods', '-A']],
    ['kubectl-services.json', ['get', 'services', '-A']],
    ['kubectl-endpointslices.json', ['get', 'endpointslices', '-A']],
    ['kubectl-nodes.json', ['get', 'nodes']],
    ['kubectl-events.json', ['get', 'events', '-A']],
    ['kubectl-deployments.json', ['get', 'deployments', '-A']],
    ['kubectl-leases.json', ['get', 'leases', '-n', 'kube-node-lease']],
    ['kubectl-configmap-coredns.json', ['get', 'configmap', 'coredns', '-n', 'kube-system']],
  ] as Array<[string, string[]]>) {
    save(file, kubectl([...args, '-o', 'json']).stdout)
  }

  captureMetrics() // after kubectl-nodes.json: kubectl top node's percentages use its allocatable

  // Faults, each captured while on and turned off again.
  progress('capturing dns-down (dig timing out)')
  await scenario('dns-down', 'on')
  save('dig-dns-down.txt', ns('client', ['dig', '+time=1', '+tries=1', `@${NET.dnsIP}`, 'kubernetes.default.svc.cluster.local']))
  save('kubectl-endpointslices-dns-down.json', kubectl(['get', 'endpointslices', '-n', 'kube-system', '-o', 'json']).stdout)
  await scenario('dns-down', 'off')

  progress('capturing stale-rules')
  await scenario('stale-rules', 'on')
  save('iptables-save-stale.txt', on('lab-2', ['iptables-save']))
  save('kubectl-endpointslices-stale.json', kubectl(['get', 'endpointslices', '-n', 'shop', '-o', 'json']).stdout)
  await scenario('stale-rules', 'off')

  progress('capturing crashloop')
  await scenario('crashloop', 'on')
  await new Promise((r) => setTimeout(r, 15_000))
  save('kubectl-pods-crashloop.json', kubectl(['get', 'pods', '-n', 'shop', '-l', 'app=crasher', '-o', 'json']).stdout)
  save('kubectl-events-crashloop.json', kubectl(['get', 'events', '-n', 'shop', '-o', 'json']).stdout)
  await scenario('crashloop', 'off')

  progress('capturing conntrack-full')
  await scenario('conntrack-full', 'on')
  save('conntrack-S-full.txt', sh(['conntrack', '-S']))
  save('conntrack-count-full.txt', `${fs.readFileSync('/proc/sys/net/netfilter/nf_conntrack_count', 'utf8')}${fs.readFileSync('/proc/sys/net/netfilter/nf_conntrack_max', 'utf8')}`)
  save('dmesg-conntrack-full.txt', sh(['dmesg']).split('\n').filter((l) => /nf_conntrack/.test(l)).slice(-20).join('\n') + '\n')
  await scenario('conntrack-full', 'off')

  progress('capturing mtu-mismatch')
  await scenario('mtu-mismatch', 'on')
  save('ip-link-pod-client-mtu9000.json', ns('client', ['ip', '-j', '-d', 'link', 'show', 'eth0']))
  save('ip-link-veth-client-mtu9000.json', on(clientNode, ['ip', '-j', '-d', 'link', 'show', hostVeth('shop', 'client').veth]))
  await scenario('mtu-mismatch', 'off')

  progress('capturing node-notready')
  await scenario('node-notready', 'on')
  save('kubectl-node-notready.json', kubectl(['get', 'node', 'lab-2', '-o', 'json']).stdout)
  await scenario('node-notready', 'off')

  await captureTriage()

  // kube-proxy nftables mode
  progress('capturing kube-proxy nftables mode')
  await setProxyMode('nftables')
  save('nft-ruleset.txt', sh(['nft', 'list', 'ruleset']))
  save('nft-kube-proxy.json', sh(['nft', '-j', 'list', 'table', 'ip', 'kube-proxy']))
  await setProxyMode('iptables')
  save('README.md', `# Captured from the lab\n\nWritten by \`npm run lab -- capture\` on ${new Date().toISOString().slice(0, 10)} from a real three-node\nKubernetes v1.33 cluster (containerd 1.6, upstream crictl, kube-proxy iptables and nftables modes, CoreDNS).\nFiles without a node in their name come from lab-1 (this machine) or from the node of the pod they name\n(shop/client runs on lab-3); \`*-lab-2.*\` and \`*-lab-3.*\` come from those nodes. stale-rules is captured on lab-2.\nipvsadm output is absent: this machine's kernel has no IPVS (CONFIG_IP_VS is not set).\nDo not edit these files by hand; re-run the capture.\n\n\`triage/CASE.json\` (\`npm run lab -- capture triage\`) holds what kinspect triage reads (pods, Services, EndpointSlices,\nworkloads, Warning events, nodes, leases, the metrics APIService; all namespaces) with the scenarios of CASE on.\n`)
  progress('capture done')
}
