// lab down: stops every daemon and node, and removes every trace (chains, mounts, netns, cgroups, users, state).
import fs from 'node:fs'
import path from 'node:path'
import { CACHE_DIR, LAB_DIR, NET, NODE, NODES, RUN_DIR, nodePaths } from './layout.ts'
import { removeSudoUser } from './access.ts'
import { bin } from './build.ts'
import { onNode, running, stop } from './components.ts'
import { stopExtras } from './fanout.ts'
import { teardownHostNetwork } from './host.ts'
import { removeShellUsers } from './shells.ts'
import { killCgroupTree, NODES_STATE, removeCgroupTree, stopNode } from './nodes.ts'
import { progress, run } from './sh.ts'
import { requireRoot } from './prepare.ts'

function labMounts(): string[] {
  const roots = [LAB_DIR, RUN_DIR, CACHE_DIR, '/run/netns/cni-', '/var/run/netns/cni-']
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m && roots.some((r) => m.startsWith(r)))
    .sort((a, b) => b.length - a.length)
}

/** Stops everything and removes every trace: processes, namespaces, interfaces, rules, mounts, users. */
export async function down(): Promise<void> {
  requireRoot()
  await stopExtras()
  for (const n of NODES.filter((x) => !x.host)) {
    progress(`stopping node ${n.name} (its init ends every process in its namespaces)`)
    await stopNode(n)
  }
  for (const c of ['kube-proxy', 'kubelet']) await stop(onNode(c as 'kubelet', NODE))
  if (running(onNode('containerd', NODE))) {
    progress('removing pod sandboxes on lab-1 (CNI DEL for each)')
    const rmp = [bin('crictl'), '-r', `unix://${RUN_DIR}/containerd.sock`, 'rmp', '-a']
    if (run([...rmp, '-f'], { ok: true, timeout: 120_000 }).code !== 0) run(rmp, { ok: true, timeout: 120_000 })
  }
  for (const c of [
    'kube-scheduler',
    'kube-controller-manager',
    'kube-apiserver',
    'etcd',
    onNode('sshd', NODE),
    onNode('containerd', NODE),
  ])
    await stop(c)
  // Shims outlive containerd by design; the lab's are the ones pointing at its socket.
  run(['pkill', '-KILL', '-f', `containerd-shim.*${RUN_DIR}/containerd.sock`], { ok: true })
  killCgroupTree('/kubepods') // containers whose shim died before them still hold their cgroups and netns
  // Scenario leftovers: the conntrack filler and the lowered nf_conntrack_max.
  run(['pkill', '-KILL', '-f', `${CACHE_DIR}/bin/(connfill|udpflood)`], { ok: true })
  if (fs.existsSync(bin('kube-proxy'))) {
    for (const mode of ['iptables', 'nftables'])
      run([bin('kube-proxy'), '--cleanup', `--proxy-mode=${mode}`], { ok: true, timeout: 60_000 })
  }
  removeKubeChains() // kubelet's canaries and KUBE-FIREWALL, which kube-proxy --cleanup leaves
  for (const m of labMounts()) run(['umount', '-l', m], { ok: true })
  for (const f of fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns') : []) {
    if (f.startsWith('cni-')) fs.rmSync(path.join('/run/netns', f), { force: true })
  }
  removeCgroupTree('/kubepods') // lab-1's kubelet uses the root cgroup, so its pods live under /kubepods
  teardownHostNetwork()
  removeShellUsers()
  removeSudoUser()
  run(['conntrack', '-D', '-s', NET.podCIDR], { ok: true })
  run(['conntrack', '-D', '-d', NET.serviceCIDR], { ok: true })
  const ctrRoot = nodePaths(NODE).containerdRoot
  for (const d of [
    path.join(LAB_DIR, 'etcd'),
    path.join(LAB_DIR, 'kubelet'),
    RUN_DIR,
    NODES_STATE,
    '/var/lib/cni/networks/kinspect-lab',
    path.join(ctrRoot, 'io.containerd.grpc.v1.cri', 'sandboxes'),
    path.join(ctrRoot, 'io.containerd.grpc.v1.cri', 'containers'),
  ]) {
    fs.rmSync(d, { recursive: true, force: true })
  }
  for (const n of NODES.filter((x) => !x.host)) {
    const root = nodePaths(n.name).containerdRoot
    for (const d of ['sandboxes', 'containers'])
      fs.rmSync(path.join(root, 'io.containerd.grpc.v1.cri', d), { recursive: true, force: true })
  }
  for (const f of ['/etc/crictl.yaml', '/usr/local/bin/crictl']) {
    try {
      const ours = f.endsWith('crictl')
        ? fs.readlinkSync(f).startsWith(CACHE_DIR)
        : fs.readFileSync(f, 'utf8').includes('kinspect lab')
      if (ours) fs.rmSync(f)
    } catch {}
  }
  progress('lab is down')
}

/** Removes every KUBE-* and CNI-* chain, and the rules that jump to them, from the iptables and ip6tables tables. */
function removeKubeChains(): void {
  const ourChain = (c: string) => c.startsWith('KUBE-') || c.startsWith('CNI-')
  const keep = (line: string) => {
    const decl = line.match(/^:(\S+)/)
    if (decl) return !ourChain(decl[1])
    const rule = line.match(/^-A (\S+)(.*)$/)
    if (!rule) return true
    const target = rule[2].match(/ -[jg] (\S+)/)?.[1] ?? ''
    return !ourChain(rule[1]) && !ourChain(target)
  }
  for (const [save, restore] of [
    ['iptables-save', 'iptables-restore'],
    ['ip6tables-save', 'ip6tables-restore'],
  ]) {
    const dump = run([save], { ok: true }).stdout
    if (!/(KUBE-|CNI-)/.test(dump)) continue
    run([restore, '-w'], { input: dump.split('\n').filter(keep).join('\n'), ok: true })
  }
}
