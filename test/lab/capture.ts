// Captures real tool outputs from the lab into test/fixtures/lab/ for the parsers' unit tests.
import fs from 'node:fs'
import path from 'node:path'
import { NET } from './layout.ts'
import { bin, ensureBinaries } from './build.ts'
import { kubectl } from './lab.ts'
import { hostVeth, podPid, scenario } from './scenarios.ts'
import { currentProxyMode, setProxyMode } from './proxymode.ts'
import { progress, run } from './sh.ts'

const out = path.resolve(import.meta.dirname, '..', 'fixtures', 'lab')

function save(name: string, content: string): void {
  fs.writeFileSync(path.join(out, name), content)
}
const sh = (argv: string[]) => run(argv, { ok: true }).stdout
const ns = (pid: number, argv: string[]) => sh(['nsenter', '-t', String(pid), '-n', ...argv])

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

/** Runs every capture; leaves the lab as it found it (iptables mode, scenarios off). */
export async function capture(): Promise<void> {
  fs.mkdirSync(out, { recursive: true })
  const mode = currentProxyMode()
  if (mode !== 'iptables') await setProxyMode('iptables')
  progress(`capturing into ${out}`)
  ensureBinaries(['cri-tools']) // upstream crictl; a lab brought up by an older checkout links a stand-in
  const crictl = run([bin('crictl'), '--version']).stdout.trim() // "crictl version 1.37.0"
  const client = podPid('shop', 'client')
  const ndots = podPid('shop', 'ndots')
  const distroless = podPid('shop', 'distroless')

  // kube-proxy rules, iptables mode (nft backend of iptables-save, as Debian ships it)
  save('iptables-save.txt', sh(['iptables-save']))
  save('iptables-save-nat-counters.txt', sh(['iptables-save', '-c', '-t', 'nat']))
  // network namespaces, veths, addresses
  save('ip-addr-host.json', sh(['ip', '-j', 'addr', 'show']))
  save('ip-link-host-stats.json', sh(['ip', '-j', '-s', '-d', 'link', 'show']))
  save('ip-addr-pod-client.json', ns(client, ['ip', '-j', 'addr', 'show']))
  save('ip-link-pod-client-stats.json', ns(client, ['ip', '-j', '-s', '-d', 'link', 'show']))
  save('ip-route-pod-client.json', ns(client, ['ip', '-j', 'route', 'show']))
  save('ip-neigh-pod-client.json', ns(client, ['ip', '-j', 'neigh', 'show']))
  save('ip-link-veth-client.json', sh(['ip', '-j', '-s', '-d', 'link', 'show', hostVeth(client)]))
  save('ip-addr-pod-distroless.json', ns(distroless, ['ip', '-j', 'addr', 'show']))
  // container runtime: upstream crictl, endpoint from /etc/crictl.yaml as on a node
  const crictlOut = (...args: string[]) => run([bin('crictl'), ...args]).stdout // fails the capture rather than save an error
  save('crictl-ps.json', crictlOut('ps', '-a', '-o', 'json'))
  save('crictl-pods.json', crictlOut('pods', '-o', 'json'))
  save('crictl-ps.txt', crictlOut('ps', '-a'))
  const cid = crictlOut('ps', '-q', '--name', '^client$', '--namespace', '^shop$').trim().split('\n')[0]
  const sid = crictlOut('pods', '-q', '--name', '^client$', '--namespace', '^shop$').trim().split('\n')[0]
  save('crictl-inspect-client.json', crictlOut('inspect', cid))
  save('crictl-inspectp-client.json', crictlOut('inspectp', sid))
  save('lsns.json', sh(['lsns', '-J']))
  save('lsns-net.txt', sh(['lsns', '-t', 'net']))
  save('proc-cgroup-client.txt', fs.readFileSync(`/proc/${client}/cgroup`, 'utf8'))
  save('proc-cgroup-distroless.txt', fs.readFileSync(`/proc/${distroless}/cgroup`, 'utf8'))
  save('resolv-conf-client.txt', fs.readFileSync(`/proc/${client}/root/etc/resolv.conf`, 'utf8'))
  save('resolv-conf-ndots.txt', fs.readFileSync(`/proc/${ndots}/root/etc/resolv.conf`, 'utf8'))
  // DNS as a pod sees it
  save('dig-a-kubernetes.txt', ns(client, ['dig', `@${NET.dnsIP}`, 'kubernetes.default.svc.cluster.local', 'A']))
  save('dig-nxdomain.txt', ns(client, ['dig', `@${NET.dnsIP}`, 'api.partner.example.shop.svc.cluster.local', 'A']))
  save('dig-srv-web.txt', ns(client, ['dig', `@${NET.dnsIP}`, '_http._tcp.web.shop.svc.cluster.local', 'SRV']))
  save('dig-search-ndots.txt', ns(ndots, ['dig', '+search', '+showsearch', `@${NET.dnsIP}`, 'external.lab.example']))
  save('nslookup-web.txt', ns(client, ['nslookup', 'web.shop.svc.cluster.local', NET.dnsIP]))
  // conntrack
  save('conntrack-L.txt', sh(['conntrack', '-L']))
  save('conntrack-S.txt', sh(['conntrack', '-S']))
  save('conntrack-L-dns.txt', sh(['conntrack', '-L', '-p', 'udp', '--dport', '53']))
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
  save('dig-dns-down.txt', ns(client, ['dig', '+time=1', '+tries=1', `@${NET.dnsIP}`, 'kubernetes.default.svc.cluster.local']))
  save('kubectl-endpointslices-dns-down.json', kubectl(['get', 'endpointslices', '-n', 'kube-system', '-o', 'json']).stdout)
  await scenario('dns-down', 'off')

  progress('capturing stale-rules')
  await scenario('stale-rules', 'on')
  save('iptables-save-stale.txt', sh(['iptables-save']))
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
  save('ip-link-pod-client-mtu9000.json', ns(client, ['ip', '-j', '-d', 'link', 'show', 'eth0']))
  save('ip-link-veth-client-mtu9000.json', sh(['ip', '-j', '-d', 'link', 'show', hostVeth(client)]))
  await scenario('mtu-mismatch', 'off')

  progress('capturing node-notready')
  await scenario('node-notready', 'on')
  save('kubectl-node-notready.json', kubectl(['get', 'node', 'lab-1', '-o', 'json']).stdout)
  await scenario('node-notready', 'off')

  // kube-proxy nftables mode
  progress('capturing kube-proxy nftables mode')
  await setProxyMode('nftables')
  save('nft-ruleset.txt', sh(['nft', 'list', 'ruleset']))
  save('nft-kube-proxy.json', sh(['nft', '-j', 'list', 'table', 'ip', 'kube-proxy']))
  await setProxyMode('iptables')
  save('README.md', `# Captured from the lab\n\nWritten by \`npm run lab -- capture\` on ${new Date().toISOString().slice(0, 10)} from a real\nKubernetes v1.33 node (containerd 1.6, ${crictl} from upstream cri-tools, kube-proxy iptables and nftables\nmodes, CoreDNS).\nipvsadm output is absent: this machine's kernel has no IPVS (CONFIG_IP_VS is not set).\nDo not edit these files by hand; re-run the capture.\n`)
  progress('capture done')
}
