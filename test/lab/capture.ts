// Captures real tool outputs from the lab into test/fixtures/lab/ for the parsers' unit tests.
import fs from 'node:fs'
import path from 'node:path'
import { NET, NODES, labPaths } from './layout.ts'
import { ensureBinaries } from './build.ts'
import { kubectl } from './lab.ts'
import { inNode } from './nodes.ts'
import { crictl, hostVeth, inPodNetns, podNode, podPid } from './probe.ts'
import { scenario } from './scenarios.ts'
import { captureTriage } from './capturetriage.ts'
import { currentProxyMode, setProxyMode } from './proxymode.ts'
import { progress, run, waitFor } from './sh.ts'
import { captureKube } from './capturekube.ts'

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
  const stamps = (j: string) =>
    (JSON.parse(j).items as any[])
      .map((i) => `${i.metadata.name}@${i.timestamp}`)
      .sort()
      .join(',')
  for (let attempt = 1; attempt <= 5; attempt++) {
    const before = kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/pods']).stdout
    const nodesBefore = kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes']).stdout
    const top = {
      'kubectl-top-pods-A.txt': kubectl(['top', 'pods', '-A']).stdout,
      'kubectl-top-pods-containers-mem.txt': kubectl([
        'top',
        'pods',
        '-n',
        'shop',
        '--containers',
        '--sort-by',
        'memory',
      ]).stdout,
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

/** Files captureCrictl writes: crictl's outputs and what they must agree with (IDs, UIDs, PIDs of one moment). */
export const CRICTL_FILES = [
  'crictl-ps.json',
  'crictl-pods.json',
  'crictl-ps.txt',
  'crictl-inspect-client.json',
  'crictl-inspectp-client.json',
  'crictl-inspect-notfound.txt',
  'crictl-inspect-noruntime.txt',
  'proc-cgroup-client.txt',
  'proc-cgroup-distroless.txt',
  'ip-addr-pod-client.json',
  'kubectl-pods.json',
]

/**
 * crictl as a user runs it on a node: over ssh as root, on the node that runs shop/client (endpoint from the node's
 * /etc/crictl.yaml), together with the pods as the API shows them, the containers' /proc/PID/cgroup and the addresses
 * in the netns the client's PID leads to, read at the same moment. Returns crictl's version line.
 */
export function captureCrictl(): string {
  ensureBinaries(['cri-tools']) // upstream crictl; a lab brought up by an older checkout links a stand-in
  const P = labPaths()
  const onNode = (node: string, cmd: string, ok = false) =>
    run(['ssh', '-F', P.sshConfig, '-o', 'BatchMode=yes', node, cmd], { ok })
  const podsJson = kubectl(['get', 'pods', '-A', '-o', 'json']).stdout
  const pod = (ns: string, name: string) => {
    const p = (JSON.parse(podsJson).items as any[]).find((i) => i.metadata.namespace === ns && i.metadata.name === name)
    const id = p?.status?.containerStatuses
      ?.find((c: any) => c.state?.running)
      ?.containerID?.replace(/^containerd:\/\//, '')
    if (!p?.spec?.nodeName || !id) throw new Error(`capture: ${ns}/${name} has no running container`)
    return { node: p.spec.nodeName as string, id: id as string }
  }
  const client = pod('shop', 'client')
  const version = onNode(client.node, 'crictl --version').stdout.trim()
  if (!/^crictl version \d/.test(version))
    throw new Error(`capture: crictl on ${client.node} is not upstream crictl: ${version}`)
  save('crictl-ps.json', onNode(client.node, 'crictl ps -a -o json').stdout)
  save('crictl-pods.json', onNode(client.node, 'crictl pods -o json').stdout)
  save('crictl-ps.txt', onNode(client.node, 'crictl ps -a').stdout)
  const sandbox = onNode(client.node, "crictl pods -q --state ready --name '^client$' --namespace '^shop$'")
    .stdout.trim()
    .split('\n')[0]
  const inspect = onNode(client.node, `crictl inspect ${client.id}`).stdout
  save('crictl-inspect-client.json', inspect)
  save('crictl-inspectp-client.json', onNode(client.node, `crictl inspectp ${sandbox}`).stdout)
  save('crictl-inspect-notfound.txt', onNode(client.node, `crictl inspect ${'0'.repeat(64)}`, true).stderr)
  save(
    'crictl-inspect-noruntime.txt',
    onNode(client.node, `crictl -r unix:///run/kinspect-lab/no-runtime.sock inspect ${client.id}`, true).stderr,
  )
  const pid = JSON.parse(inspect).info.pid
  save('proc-cgroup-client.txt', onNode(client.node, `cat /proc/${pid}/cgroup`).stdout)
  save('ip-addr-pod-client.json', onNode(client.node, `nsenter -t ${pid} -n ip -j addr show`).stdout) // where that PID leads
  const distroless = pod('shop', 'distroless')
  const dpid = JSON.parse(onNode(distroless.node, `crictl inspect ${distroless.id}`).stdout).info.pid
  save('proc-cgroup-distroless.txt', onNode(distroless.node, `cat /proc/${dpid}/cgroup`).stdout)
  save('kubectl-pods.json', podsJson)
  return version
}

/** `capture crictl`: only captureCrictl's files; the fixtures' README says which files came from that run. */
export function captureCrictlOnly(): void {
  fs.mkdirSync(out, { recursive: true })
  const version = captureCrictl()
  const readme = path.join(out, 'README.md')
  const note = `${CRICTL_FILES.map((f) => `\`${f}\``).join(', ')}: re-captured on ${new Date().toISOString().slice(0, 10)} by \`npm run lab -- capture crictl\` (${version}, upstream cri-tools).`
  const text = fs.existsSync(readme) ? fs.readFileSync(readme, 'utf8') : '# Captured from the lab\n'
  const kept = text.split('\n').filter((l) => !l.includes('`npm run lab -- capture crictl`'))
  while (kept.at(-1) === '') kept.pop()
  fs.writeFileSync(readme, [...kept, '', note, ''].join('\n'))
  progress(`captured ${CRICTL_FILES.length} files with ${version}`)
}

/**
 * svcRules' client classes (`npm run lab -- capture svc`): kube-proxy's rules for shop/web-local (NodePort 30081,
 * externalTrafficPolicy Local; web runs on lab-2 and lab-3) on lab-1 (no local endpoint) and lab-2 (one), as
 * `iptables-save -c` and `nft -j list table ip kube-proxy` print them, with the shop Services and EndpointSlices.
 * Switches kube-proxy to nftables and back to iptables; refuses when the slices change while it captures.
 */
export async function captureSvc(): Promise<void> {
  fs.mkdirSync(out, { recursive: true })
  const nodes = ['lab-1', 'lab-2']
  const slices = () => kubectl(['get', 'endpointslices', '-n', 'shop', '-o', 'json']).stdout
  const endpoints = (j: string) =>
    JSON.stringify((JSON.parse(j).items as any[]).map((s) => [s.metadata.name, s.endpoints]))
  if (currentProxyMode() !== 'iptables') await setProxyMode('iptables')
  const before = slices()
  save('svc-local-services.json', kubectl(['get', 'services', '-n', 'shop', '-o', 'json']).stdout)
  save('svc-local-endpointslices.json', before)
  for (const n of nodes) save(`svc-local-iptables-save-${n}.txt`, on(n, ['iptables-save', '-c']))
  progress('capturing shop/web-local in nftables mode')
  try {
    await setProxyMode('nftables')
    for (const n of nodes)
      await waitFor(
        `nft rules for shop/web-local on ${n}`,
        () => on(n, ['nft', 'list', 'table', 'ip', 'kube-proxy']).includes('shop/web-local/'),
        30_000,
      )
    for (const n of nodes) {
      save(`svc-local-nft-${n}.json`, on(n, ['nft', '-j', 'list', 'table', 'ip', 'kube-proxy']))
      save(`svc-local-nft-${n}.txt`, on(n, ['nft', 'list', 'table', 'ip', 'kube-proxy']))
    }
  } finally {
    await setProxyMode('iptables')
  }
  if (endpoints(slices()) !== endpoints(before))
    throw new Error('capture svc: the shop EndpointSlices changed during the capture; run it again')
  progress('capture svc done')
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
  save('ip-link-pod-client-stats.json', ns('client', ['ip', '-j', '-s', '-d', 'link', 'show']))
  save('ip-route-pod-client.json', ns('client', ['ip', '-j', 'route', 'show']))
  save('ip-neigh-pod-client.json', ns('client', ['ip', '-j', 'neigh', 'show']))
  save(
    'ip-link-veth-client.json',
    on(clientNode, ['ip', '-j', '-s', '-d', 'link', 'show', hostVeth('shop', 'client').veth]),
  )
  save('ip-addr-pod-distroless.json', ns('distroless', ['ip', '-j', 'addr', 'show']))
  // container runtime (upstream crictl on the client's node), with the pod objects and cgroups of the same moment
  captureCrictl()
  for (const n of NODES) save(`crictl-pods-${n.name}.json`, crictl(n.name, ['pods', '-o', 'json']))
  save('lsns.json', on(clientNode, ['lsns', '-J']))
  save('lsns-net.txt', on(clientNode, ['lsns', '-t', 'net']))
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
  await (await import('./capturenet.ts')).captureNet() // dig/nslookup/getent/conntrack for src/net's parsers, into test/net/fixtures/
  // API objects
  for (const [file, args] of [
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
  save(
    'dig-dns-down.txt',
    ns('client', ['dig', '+time=1', '+tries=1', `@${NET.dnsIP}`, 'kubernetes.default.svc.cluster.local']),
  )
  save(
    'kubectl-endpointslices-dns-down.json',
    kubectl(['get', 'endpointslices', '-n', 'kube-system', '-o', 'json']).stdout,
  )
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
  save(
    'conntrack-count-full.txt',
    `${fs.readFileSync('/proc/sys/net/netfilter/nf_conntrack_count', 'utf8')}${fs.readFileSync('/proc/sys/net/netfilter/nf_conntrack_max', 'utf8')}`,
  )
  save(
    'dmesg-conntrack-full.txt',
    sh(['dmesg'])
      .split('\n')
      .filter((l) => /nf_conntrack/.test(l))
      .slice(-20)
      .join('\n') + '\n',
  )
  await scenario('conntrack-full', 'off')

  progress('capturing mtu-mismatch')
  await scenario('mtu-mismatch', 'on')
  save('ip-link-pod-client-mtu9000.json', ns('client', ['ip', '-j', '-d', 'link', 'show', 'eth0']))
  save(
    'ip-link-veth-client-mtu9000.json',
    on(clientNode, ['ip', '-j', '-d', 'link', 'show', hostVeth('shop', 'client').veth]),
  )
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
  await captureSvc() // shop/web-local's rules, both modes
  await captureKube() // API objects with kubectl's text for them (lab/kube/)
  await captureTriage() // what triage reads, under each fault case (lab/triage/)
  save(
    'README.md',
    `# Captured from the lab\n\nWritten by \`npm run lab -- capture\` on ${new Date().toISOString().slice(0, 10)} from a real three-node\nKubernetes v1.33 cluster (containerd 1.6, upstream crictl, kube-proxy iptables and nftables modes, CoreDNS).\nFiles without a node in their name come from lab-1 (this machine) or from the node of the pod they name\n(shop/client runs on lab-3); \`*-lab-2.*\` and \`*-lab-3.*\` come from those nodes. stale-rules is captured on lab-2.\n\`svc-local-*\` come from \`npm run lab -- capture svc\` (shop/web-local's rules on lab-1 and lab-2, both proxy modes).\n\`kube/\` comes from \`npm run lab -- capture kube\` (API objects with what kubectl printed for them; its own README).\nipvsadm output is absent: this machine's kernel has no IPVS (CONFIG_IP_VS is not set).\nDo not edit these files by hand; re-run the capture.\n\n\`triage/CASE.json\` (\`npm run lab -- capture triage\`) holds what kinspect triage reads (pods, Services, EndpointSlices,\nworkloads, Warning events, nodes, leases, the metrics APIService; all namespaces) with the scenarios of CASE on.\n`,
  )
  progress('capture done')
}
