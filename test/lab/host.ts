// Host networking for the lab: interfaces, routes, policy routing and sysctls, all reversible.
import fs from 'node:fs'
import path from 'node:path'
import { CONNTRACK_MAX_BEFORE, EGRESS_CHAIN, egressRules, LAB_DIR, NET, NODES } from './layout.ts'
import { run, succeeds } from './sh.ts'

const SYSCTLS: Record<string, string> = {
  'net/ipv4/ip_forward': '1',
  'net/bridge/bridge-nf-call-iptables': '1',
  'net/ipv4/conf/all/route_localnet': '1',
}
const sysctlSaved = () => path.join(LAB_DIR, 'sysctl.orig.json')

function ip(...args: string[]) {
  return run(['ip', ...args])
}
function linkExists(name: string): boolean {
  return succeeds(['ip', 'link', 'show', 'dev', name])
}
function readSysctl(key: string): string {
  return fs.readFileSync(`/proc/sys/${key}`, 'utf8').trim()
}
/** Writes a /proc/sys key. */
export function writeSysctl(key: string, value: string): void {
  fs.writeFileSync(`/proc/sys/${key}`, value)
}

function ensureBridge(name: string, addr: string): void {
  if (!linkExists(name)) ip('link', 'add', name, 'type', 'bridge')
  ip('addr', 'replace', addr, 'dev', name)
  ip('link', 'set', name, 'up')
}

function routeReplace(...spec: string[]) {
  run(['ip', 'route', 'replace', ...spec])
}

/** Creates the lab's interfaces and routes; every lab range is either routed into a lab bridge or unreachable. */
export function setupHostNetwork(): void {
  fs.mkdirSync(LAB_DIR, { recursive: true })
  if (!fs.existsSync(sysctlSaved())) {
    const orig: Record<string, string> = {}
    for (const k of Object.keys(SYSCTLS)) orig[k] = readSysctl(k)
    // Not a value conntrack-full lowered and never restored (a run killed with the scenario on).
    orig['net/netfilter/nf_conntrack_max'] = fs.existsSync(CONNTRACK_MAX_BEFORE)
      ? fs.readFileSync(CONNTRACK_MAX_BEFORE, 'utf8').trim()
      : readSysctl('net/netfilter/nf_conntrack_max')
    fs.writeFileSync(sysctlSaved(), JSON.stringify(orig))
  }
  // The node's own address lives on a bridge: the lab's private network, where lab-2 and lab-3 plug in their eth0.
  ensureBridge(NET.hostIf, `${NET.nodeIP}/24`)
  run(['ip', 'link', 'set', NET.hostIf, 'mtu', '1500']) // set by hand, so a lowered port MTU (overlay-mtu) does not lower it
  // The CNI bridge is made up front so routes to it exist before the first pod.
  ensureBridge(NET.cniBridge, `${NET.podGateway}/24`)
  run(['ip', 'link', 'set', NET.cniBridge, 'mtu', '1500'])
  // Aggregates are unreachable; only the lab's own subnets route into lab bridges.
  routeReplace('unreachable', NET.podCIDR)
  routeReplace('unreachable', NET.serviceRange)
  routeReplace(NET.serviceCIDR, 'dev', NET.cniBridge, 'src', NET.podGateway)
  // The other nodes' pod ranges are routed to them over klab0 (no overlay).
  for (const n of NODES.filter((x) => !x.host)) routeReplace(n.podCIDR, 'via', n.ip, 'dev', NET.hostIf)
  // Anything a pod sends that is not for the lab is answered "unreachable" by policy routing.
  const table = String(NET.routeTable)
  routeReplace(NET.nodePodCIDR, 'dev', NET.cniBridge, 'table', table)
  routeReplace(NET.serviceCIDR, 'dev', NET.cniBridge, 'table', table)
  routeReplace(NET.labBridgeCIDR, 'dev', NET.hostIf, 'table', table)
  for (const n of NODES.filter((x) => !x.host)) routeReplace(n.podCIDR, 'via', n.ip, 'dev', NET.hostIf, 'table', table)
  routeReplace('unreachable', 'default', 'table', table)
  if (!run(['ip', 'rule', 'show']).stdout.includes(`lookup ${table}`)) {
    run(['ip', 'rule', 'add', 'from', NET.podCIDR, 'lookup', table, 'priority', String(NET.ruleprio)])
  }
  for (const [k, v] of Object.entries(SYSCTLS)) writeSysctl(k, v)
  // And a firewall backstop: nothing from the pod bridge is forwarded to another interface.
  if (!succeeds(['iptables', '-w', '-n', '-L', EGRESS_CHAIN])) run(['iptables', '-w', '-N', EGRESS_CHAIN])
  run(['iptables', '-w', '-F', EGRESS_CHAIN])
  for (const rule of egressRules(NET.hostIf)) run(['iptables', '-w', '-A', EGRESS_CHAIN, ...rule])
  if (!succeeds(['iptables', '-w', '-C', 'FORWARD', '-j', EGRESS_CHAIN]))
    run(['iptables', '-w', '-I', 'FORWARD', '1', '-j', EGRESS_CHAIN])
}

/** Removes everything setupHostNetwork made and restores the saved sysctls. */
export function teardownHostNetwork(): void {
  const table = String(NET.routeTable)
  while (run(['ip', 'rule', 'show']).stdout.includes(`lookup ${table}`)) {
    if (!succeeds(['ip', 'rule', 'del', 'lookup', table])) break
  }
  run(['ip', 'route', 'flush', 'table', table], { ok: true })
  for (const r of [['unreachable', NET.podCIDR], ['unreachable', NET.serviceRange], [NET.serviceCIDR]])
    run(['ip', 'route', 'del', ...r], { ok: true })
  for (const l of [NET.cniBridge, NET.hostIf]) if (linkExists(l)) run(['ip', 'link', 'del', l], { ok: true })
  while (succeeds(['iptables', '-w', '-C', 'FORWARD', '-j', EGRESS_CHAIN]))
    run(['iptables', '-w', '-D', 'FORWARD', '-j', EGRESS_CHAIN])
  run(['iptables', '-w', '-F', EGRESS_CHAIN], { ok: true })
  run(['iptables', '-w', '-X', EGRESS_CHAIN], { ok: true })
  if (fs.existsSync(sysctlSaved())) {
    const orig = JSON.parse(fs.readFileSync(sysctlSaved(), 'utf8')) as Record<string, string>
    for (const [k, v] of Object.entries(orig)) {
      try {
        writeSysctl(k, v)
      } catch {}
    }
    fs.rmSync(sysctlSaved())
  }
}
