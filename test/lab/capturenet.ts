// `npm run lab -- capture net`: dig, nslookup, getent and conntrack outputs for src/net's parsers, into test/net/fixtures/.
import fs from 'node:fs'
import path from 'node:path'
import { NET, NODE } from './layout.ts'
import { kubectlJSON } from './lab.ts'
import { inNode } from './nodes.ts'
import { corednsPods, podNode, podPid } from './probe.ts'
import { currentProxyMode, setProxyMode } from './proxymode.ts'
import { progress, run } from './sh.ts'
import { showArgv } from '../../src/exec/quote.ts'
import { digArgv, getentArgv, nslookupArgv, outcomeOf, parseDig, parseNslookup } from '../../src/net/dnsparse.ts'
import { conntrackListArgv, parseConntrackL } from '../../src/net/conntrack-parse.ts'
import { nsenterArgv } from '../../src/net/netns.ts'

const out = path.resolve(import.meta.dirname, '..', 'net', 'fixtures')
/** dig's +time and nslookup's -timeout for every query (seconds). */
const DNS_TIMEOUT = 2

/** One command the capture ran, for the README. */
interface Ran {
  file?: string
  node: string
  where: string
  argv: string[]
  exit: number | null
}

/** The first address from 10.96.0.99 up that no Service of any namespace has as a ClusterIP. */
export function unusedClusterIP(): string {
  const used = new Set(
    (kubectlJSON(['get', 'services', '-A']).items as any[]).flatMap((s) => s.spec?.clusterIPs ?? [s.spec?.clusterIP]),
  )
  for (let i = 99; i < 255; i++) if (!used.has(`10.96.0.${i}`)) return `10.96.0.${i}`
  throw new Error("capture net: every address 10.96.0.99-254 is some Service's ClusterIP")
}

/** /proc/net/stat/nf_conntrack, conntrack -S and /proc again in one shell on the node, separated by marker lines. */
const COUNTERS_SCRIPT =
  'cat /proc/net/stat/nf_conntrack; echo "#kinspect conntrack -S"; conntrack -S; echo "#kinspect again"; cat /proc/net/stat/nf_conntrack'

/** The per-CPU rows of /proc/net/stat/nf_conntrack without the entries column (a gauge, not a counter). */
const counterRows = (proc: string) =>
  proc
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/).slice(1).join(' '))

/**
 * Captures every file of test/net/fixtures/ from the lab: DNS from shop/client's netns on its node (the commands dnsQuery
 * builds, failures made for real: an unused ClusterIP for the timeout, 127.0.0.1 for connection refused), conntrack
 * flows made by a ping, a TCP SYN that is never answered and an HTTP request from that pod, listed on its node with
 * conntrackList's argv, and lab-1's /proc/net/stat/nf_conntrack read around its conntrack -S in one shell. Writes the README.
 */
export async function captureNet(): Promise<void> {
  const mode = currentProxyMode()
  if (mode !== 'iptables') await setProxyMode('iptables') // kube-proxy's iptables mode leaves unused ClusterIPs unanswered
  try {
    fs.mkdirSync(out, { recursive: true })
    const made: Ran[] = []
    const node = podNode('shop', 'client')
    const pid = podPid('shop', 'client', node)
    const pod = kubectlJSON(['get', 'pod', 'client', '-n', 'shop'])
    const clientIP: string = pod.status.podIP
    const dead = unusedClusterIP()
    const webIP: string = kubectlJSON(['get', 'service', 'web', '-n', 'shop']).spec.clusterIP
    const dnsPod = corednsPods().find((p) => p.node !== node) ?? corednsPods()[0]
    if (!dnsPod) throw new Error('capture net: no CoreDNS pod with an IP')
    progress(`capturing net fixtures: shop/client (${clientIP}, PID ${pid}) on ${node}; unused ClusterIP ${dead}`)

    const save = (file: string, text: string) => fs.writeFileSync(path.join(out, file), text)
    const where = `shop/client's netns on ${node}`
    /** Runs argv in the client's netns (nsenter from its node, as enterNetns does); returns stdout + stderr as dnsQuery reads them. */
    const inPod = (argv: string[], file?: string, timeout = 30_000) => {
      const full = nsenterArgv(pid, argv)
      const r = run(inNode(node, full), { ok: true, timeout })
      made.push({ file, node, where, argv: full, exit: r.code })
      return { ...r, text: r.stdout + r.stderr }
    }
    const onNodeSave = (n: string, argv: string[], file: string) => {
      const r = run(inNode(n, argv), { ok: true })
      if (r.code !== 0)
        throw new Error(`capture net: \`${showArgv(argv)}\` failed on ${n} (exit ${r.code}): ${r.stderr.trim()}`)
      made.push({ file, node: n, where: n, argv, exit: r.code })
      save(file, r.stdout)
      return r.stdout
    }
    const expect = (file: string, got: string, want: string) => {
      if (got !== want)
        throw new Error(`capture net: ${file}: expected ${want}, the lab gave ${got}; the file is written, look at it`)
    }

    // DNS answers, as dnsQuery's dig and nslookup ask them
    const K8S = 'kubernetes.default.svc.cluster.local'
    const SRV = '_http._tcp.web.shop.svc.cluster.local'
    const dig: Array<[string, string, string, string, string]> = [
      ['dig-noall-noerror.txt', K8S, 'A', NET.dnsIP, 'answer'],
      ['dig-noall-nodata.txt', K8S, 'AAAA', NET.dnsIP, 'NODATA'],
      ['dig-noall-nxdomain.txt', 'nope.shop.svc.cluster.local', 'A', NET.dnsIP, 'NXDOMAIN'],
      ['dig-noall-srv.txt', SRV, 'SRV', NET.dnsIP, 'answer'],
      ['dig-noall-external.txt', 'external.lab.example', 'A', NET.dnsIP, 'answer'],
      ['dig-noall-connrefused.txt', K8S, 'A', '127.0.0.1', 'CONNREFUSED'],
    ]
    for (const [file, name, type, server, want] of dig) {
      const text = inPod(digArgv(name, type, server, DNS_TIMEOUT), file).text
      save(file, text)
      expect(file, outcomeOf(parseDig(text)), want)
    }
    const nslookup: Array<[string, string, string, string]> = [
      ['nslookup-noerror.txt', K8S, 'A', 'answer'],
      ['nslookup-nodata.txt', K8S, 'AAAA', 'NODATA'],
      ['nslookup-nxdomain.txt', 'nope.shop.svc.cluster.local', 'A', 'NXDOMAIN'],
      ['nslookup-srv.txt', SRV, 'SRV', 'answer'],
    ]
    for (const [file, name, type, want] of nslookup) {
      const text = inPod(nslookupArgv(name, type, NET.dnsIP, DNS_TIMEOUT), file).text
      save(file, text)
      expect(file, outcomeOf(parseNslookup(text)), want)
    }
    const getent = inPod(getentArgv('localhost', 'A'), 'getent-ahostsv4-localhost.txt')
    if (getent.code !== 0)
      throw new Error(`capture net: getent ahostsv4 localhost exited ${getent.code}: ${getent.stderr}`)
    save('getent-ahostsv4-localhost.txt', getent.stdout)

    // Flows made for real, then listed at once (unreplied UDP and ICMP flows live 30 s): DNS to the unused ClusterIP,
    // a TCP SYN to it (curl gives up after 2 s: a SYN and its retransmissions), a ping nobody answers (kube-proxy does not
    // answer ICMP for a ClusterIP), a ping a CoreDNS pod answers, and one HTTP request to shop/web's ClusterIP.
    for (const [file, argv] of [
      ['dig-noall-timeout.txt', digArgv(K8S, 'A', dead, DNS_TIMEOUT)],
      ['nslookup-timeout.txt', nslookupArgv(K8S, 'A', dead, DNS_TIMEOUT)],
    ] as const) {
      const text = inPod([...argv], file).text
      save(file, text)
      expect(file, outcomeOf(file.startsWith('dig') ? parseDig(text) : parseNslookup(text)), 'TIMEOUT')
    }
    inPod(['timeout', '5', 'curl', '-sS', '-o', '/dev/null', '--connect-timeout', '2', `http://${dead}:80/`])
    inPod(['ping', '-c', '1', '-W', '1', NET.dnsIP])
    if (inPod(['ping', '-c', '1', '-W', '1', dnsPod.ip]).code !== 0)
      throw new Error(`capture net: CoreDNS pod ${dnsPod.name} (${dnsPod.ip}) did not answer a ping`)
    if (inPod(['timeout', '10', 'wget', '-q', '-O', '/dev/null', '-T', '3', `http://${webIP}:80/`]).code !== 0)
      throw new Error(`capture net: shop/web (${webIP}) did not answer`)

    const unreplied = parseConntrackL(onNodeSave(node, conntrackListArgv({ dst: dead }), 'conntrack-L-unreplied.txt'))
    if (
      !unreplied.some((e) => e.proto === 'udp') ||
      !unreplied.some((e) => e.proto === 'tcp' && e.state === 'SYN_SENT') ||
      !unreplied.every((e) => e.unreplied)
    ) {
      throw new Error(`capture net: conntrack-L-unreplied.txt lacks an unreplied UDP or TCP SYN_SENT flow to ${dead}`)
    }
    const icmp = parseConntrackL(
      onNodeSave(node, conntrackListArgv({ proto: 'icmp', src: clientIP }), 'conntrack-L-icmp.txt'),
    )
    if (
      !icmp.some((e) => e.unreplied && e.orig.dst === NET.dnsIP) ||
      !icmp.some((e) => !e.unreplied && e.reply.src === dnsPod.ip)
    ) {
      throw new Error(
        'capture net: conntrack-L-icmp.txt lacks the unanswered ping to kube-dns or the answered one to CoreDNS',
      )
    }
    const ext = parseConntrackL(
      onNodeSave(node, [...conntrackListArgv({ src: clientIP }), '-o', 'extended'], 'conntrack-L-extended.txt'),
    )
    if (
      !['tcp', 'udp', 'icmp'].every((p) => ext.some((e) => e.proto === p)) ||
      !ext.some((e) => e.proto === 'tcp' && e.assured && e.orig.dst === webIP)
    ) {
      throw new Error(
        'capture net: conntrack-L-extended.txt lacks a tcp, udp or icmp flow, or the HTTP request to shop/web',
      )
    }

    // lab-1's counters: /proc/net/stat/nf_conntrack read just before and after conntrack -S, kept when the two reads agree
    let counters: { proc: string; s: string } | undefined
    for (let attempt = 1; attempt <= 5 && !counters; attempt++) {
      const text = run(inNode(NODE, ['sh', '-c', COUNTERS_SCRIPT])).stdout
      const [proc, rest] = text.split('#kinspect conntrack -S\n')
      const [s, again] = rest.split('#kinspect again\n')
      if (counterRows(proc).join('\n') === counterRows(again).join('\n')) counters = { proc, s }
    }
    if (!counters)
      throw new Error(`capture net: ${NODE}'s conntrack counters changed during each of 5 reads; run it again`)
    save('proc-net-stat-nf_conntrack.txt', counters.proc)
    save('conntrack-S.txt', counters.s)
    made.push({
      file: 'proc-net-stat-nf_conntrack.txt',
      node: NODE,
      where: NODE,
      argv: ['cat', '/proc/net/stat/nf_conntrack'],
      exit: 0,
    })
    made.push({ file: 'conntrack-S.txt', node: NODE, where: NODE, argv: ['conntrack', '-S'], exit: 0 })

    if (unusedClusterIP() !== dead)
      throw new Error(`capture net: a Service took ${dead} during the capture; run it again`)
    save(
      'README.md',
      readme(made, { node, clientIP, dead, webIP, dnsPod: `${dnsPod.name} (${dnsPod.ip}, on ${dnsPod.node})` }),
    )
    progress(`captured ${made.filter((m) => m.file).length} files into ${out}`)
  } finally {
    if (mode !== 'iptables') await setProxyMode(mode)
  }
}

/** test/net/fixtures/README.md: which command wrote each file, and the traffic made before the conntrack listings. */
function readme(
  made: Ran[],
  o: { node: string; clientIP: string; dead: string; webIP: string; dnsPod: string },
): string {
  const files = made.filter((m) => m.file).sort((a, b) => a.file!.localeCompare(b.file!))
  const traffic = made.filter((m) => !m.file)
  return `# Captured for the net helpers' tests

Written by \`npm run lab -- capture net\` (test/lab/capturenet.ts; \`npm run lab -- capture\` runs it too) on
${new Date().toISOString().slice(0, 10)} from the three-node lab, kube-proxy in iptables mode. Do not edit these files by hand; re-run the
capture under the lab lock. The commands are built by src/net's own argv builders (digArgv, nslookupArgv, getentArgv,
conntrackListArgv, nsenterArgv), so they are the ones dnsQuery, conntrackList and conntrackStats run
(\`conntrack-L-extended.txt\` adds \`-o extended\`, which conntrackList does not pass).

- DNS and getent run in shop/client's network namespace (pod IP ${o.clientIP}) from its node ${o.node}, with the node's tools:
  \`nsenter -t PID -n -- COMMAND\`, as dnsQuery does. The dig and nslookup files hold stdout followed by stderr, as
  dnsQuery reads them.
- The timeouts ask ${o.dead}, an address of the service range that no Service had as its ClusterIP (checked before and
  after the capture); nothing answers it. Connection refused is dig asking 127.0.0.1 inside the pod's netns, where
  nothing listens on port 53.
- The conntrack flows were made by the pod just before they were listed on ${o.node}: the two DNS timeouts above, and
${traffic.map((t) => `  \`${showArgv(t.argv.slice(5))}\` (exit ${t.exit})`).join(',\n')}.
  kube-proxy does not answer ICMP for a ClusterIP (${NET.dnsIP}), so that ping's flow stays [UNREPLIED]; the CoreDNS pod
  ${o.dnsPod} answers; ${o.webIP} is shop/web's ClusterIP.
- \`proc-net-stat-nf_conntrack.txt\` and \`conntrack-S.txt\` come from one shell on ${NODE}: /proc/net/stat/nf_conntrack,
  then \`conntrack -S\`, then /proc again; they were kept because both /proc reads had the same counters, so the two
  sources show one moment.

| file | where | command | exit |
|---|---|---|---|
${files.map((m) => `| \`${m.file}\` | ${m.where} | \`${showArgv(m.argv).replaceAll('|', '\\|')}\` | ${m.exit} |`).join('\n')}
`
}
