// lab up / down / status / env: a real three-node Kubernetes cluster on this machine.
import fs from 'node:fs'
import path from 'node:path'
import { CACHE_DIR, LAB_DIR, NET, NODE, NODES, RUN_DIR, labEnvVars, labPaths, nodePaths } from './layout.ts'
import {
  accessManifest,
  BASELINE_NS,
  EXPIRED_USER,
  LAB_USERS,
  ensureSudoUser,
  removeSudoUser,
  writeUserKubeconfigs,
} from './access.ts'
import { bin, ensureBinaries } from './build.ts'
import { COMPONENTS, ETCD_URL, NODE_DAEMONS, onNode, running, start, stop } from './components.ts'
import {
  cniConfig,
  containerdConfig,
  kinspectConfig,
  kubeProxyConfig,
  kubeconfig,
  kubeletConfig,
  sshdConfig,
} from './configs.ts'
import { fanoutStatus, reconcileFanout, stopExtras, writeSshClientFiles } from './fanout.ts'
import { setupHostNetwork, teardownHostNetwork } from './host.ts'
import { ensureShellUsers, removeShellUsers } from './shells.ts'
import { ensureImages } from './images.ts'
import { corednsManifest, metricsServerManifest, shopManifest } from './manifests.ts'
import {
  ensureNodeNamespaces,
  inNode,
  initPid,
  killCgroupTree,
  NODES_STATE,
  removeCgroupTree,
  stopNode,
} from './nodes.ts'
import { currentProxyMode } from './proxymode.ts'
import { sshIsOff } from './sshswitch.ts'
import { progress, run, succeeds, waitFor, writeFile } from './sh.ts'

const P = labPaths()

/** kubectl against the lab as lab-admin. */
export function kubectl(args: string[], opts: { ok?: boolean; input?: string; timeout?: number } = {}) {
  return run(['kubectl', '--kubeconfig', P.kubeconfig, '--request-timeout=20s', ...args], opts)
}

/** kubectl ... -o json parsed. */
export function kubectlJSON<T = any>(args: string[]): T {
  return JSON.parse(kubectl([...args, '-o', 'json']).stdout) as T
}

function requireRoot() {
  if (process.getuid?.() !== 0)
    throw new Error('lab: must run as root (it creates interfaces, routes, namespaces and a container runtime)')
}

function ensureDeps() {
  const need = [
    'containerd',
    'runc',
    'sshd',
    'ctr',
    'iptables',
    'conntrack',
    'nft',
    'dig',
    'busybox',
    'nsenter',
    'unshare',
    'ssh-keygen',
    'sudo',
    'ping',
  ]
  const missing = need.filter((c) => !succeeds(['sh', '-c', `command -v ${c} || test -x /usr/sbin/${c}`]))
  if (missing.length) {
    progress(`missing ${missing.join(', ')}: installing Debian packages`)
    run(['bash', path.join(import.meta.dirname, 'install-deps.sh')], {
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 900_000,
    })
  }
}

function writeKeysAndConfigs() {
  fs.mkdirSync(P.sshDir, { recursive: true })
  fs.chmodSync(P.sshDir, 0o711) // the shell users' sshd reads authorized_keys as them
  const nodes = NODES.map((n) => `${n.name}=${n.ip}`).join(',')
  run([
    bin('certs'),
    '-dir',
    P.pki,
    '-nodes',
    nodes,
    '-service-ip',
    NET.kubernetesSvcIP,
    '-users',
    Object.values(LAB_USERS).join(','),
    '-expired-users',
    EXPIRED_USER,
  ])
  writeFile(P.kubeconfig, kubeconfig(P.pki, 'admin', undefined, 'lab-admin'), 0o600)
  for (const [file, cert] of [
    ['controller-manager.kubeconfig', 'controller-manager'],
    ['scheduler.kubeconfig', 'scheduler'],
    ['kube-proxy.kubeconfig', 'kube-proxy'],
  ]) {
    writeFile(path.join(LAB_DIR, file), kubeconfig(P.pki, cert), 0o600)
  }
  writeUserKubeconfigs()
  writeFile(
    path.join(LAB_DIR, 'node-resolv.conf'),
    '# kinspect lab: no resolver off this machine\nnameserver 127.0.0.1\n',
  )
  const mode = fs.existsSync(nodePaths(NODE).kubeProxyConfig) ? currentProxyMode() : 'iptables'
  const userKey = path.join(P.sshDir, 'id_ed25519')
  if (!fs.existsSync(userKey))
    run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'kinspect lab user key', '-f', userKey])
  for (const n of NODES) {
    const np = nodePaths(n.name)
    writeFile(np.kubeletKubeconfig, kubeconfig(P.pki, `kubelet-client-${n.name}`), 0o600)
    writeFile(np.kubeletConfig, kubeletConfig(LAB_DIR, n))
    writeFile(np.kubeProxyConfig, kubeProxyConfig(LAB_DIR, mode, n))
    writeFile(np.containerdConfig, containerdConfig(n))
    writeFile(path.join(np.cniDir, '10-kinspect-lab.conflist'), cniConfig(n))
    fs.mkdirSync(path.dirname(np.sshHostKey), { recursive: true })
    if (!fs.existsSync(np.sshHostKey))
      run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `${n.name} host key`, '-f', np.sshHostKey])
    writeFile(
      np.sshdConfig,
      sshdConfig(LAB_DIR, `${n.ip}:${NET.sshPort}`, np.sshHostKey, path.join(np.runDir, 'sshd-real.pid')),
    )
  }
  writeFile(path.join(P.sshDir, 'authorized_keys'), fs.readFileSync(`${P.identity}.pub`, 'utf8'), 0o644)
  ensureShellUsers()
  ensureSudoUser()
  writeSshClientFiles()
  writeFile(P.kinspectConfig, kinspectConfig(LAB_DIR))
  writeFile(
    '/etc/crictl.yaml',
    `# written by the kinspect lab\nruntime-endpoint: unix://${RUN_DIR}/containerd.sock\nimage-endpoint: unix://${RUN_DIR}/containerd.sock\ntimeout: 10\n`,
  )
  const link = '/usr/local/bin/crictl'
  if (!fs.existsSync(link)) fs.symlinkSync(bin('crictl'), link)
}

async function httpOK(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) })
    return r.ok
  } catch {
    return false
  }
}

/** Pods that must be Ready for the lab to count as up, and the nodes they must run on. */
const EXPECTED = [
  ['kube-system', 'k8s-app=kube-dns', 2, ['lab-1', 'lab-2']],
  ['kube-system', 'k8s-app=metrics-server', 1, ['lab-1']],
  ['shop', 'app=web', 2, ['lab-2', 'lab-3']],
  ['shop', 'app=client', 1, ['lab-3']],
  ['shop', 'app=distroless', 1, ['lab-1']],
  ['shop', 'app=ndots', 1, ['lab-1']],
] as const

function readyPods(ns: string, selector: string): any[] {
  const r = kubectl(['get', 'pods', '-n', ns, '-l', selector, '-o', 'json'], { ok: true })
  if (r.code !== 0) return []
  const pods = JSON.parse(r.stdout).items as any[]
  return pods.filter(
    (p) =>
      !p.metadata.deletionTimestamp &&
      p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'),
  )
}

/** Components that should run but do not (sshd is expected off after `lab ssh off`). */
export function downComponents(): string[] {
  const off = sshIsOff()
  const dead = NODES.filter((n) => !n.host && !initPid(n.name)).map((n) => `node@${n.name}`)
  return [...dead, ...COMPONENTS.filter((c) => !(off && c.name === 'sshd') && !running(c.id)).map((c) => c.id)]
}

/** Lab nodes whose Ready condition is not True. */
function notReadyNodes(): string[] {
  const r = kubectl(['get', 'nodes', '-o', 'json'], { ok: true })
  if (r.code !== 0) return NODES.map((n) => n.name)
  const ready = new Set(
    (JSON.parse(r.stdout).items as any[])
      .filter((n) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'))
      .map((n) => n.metadata.name),
  )
  return NODES.map((n) => n.name).filter((n) => !ready.has(n))
}

/** True when every daemon runs, every node is Ready and every expected pod is Ready. */
export function healthy(): boolean {
  return downComponents().length === 0 && workloadsReady()
}

/** True when every node and every expected pod is Ready, on its node. */
export function workloadsReady(): boolean {
  if (notReadyNodes().length) return false
  return EXPECTED.every(([ns, sel, want, on]) => {
    const pods = readyPods(ns, sel)
    return pods.length >= want && pods.every((p) => (on as readonly string[]).includes(p.spec.nodeName))
  })
}

/** Waits until every node and every expected pod is Ready. */
export async function waitHealthy(timeoutMs = 120_000): Promise<void> {
  await waitFor('the nodes and all lab pods to be Ready', () => workloadsReady(), timeoutMs, 1000)
}

// Bare pods cannot be moved by apply: a pod whose node placement changed is deleted first, then re-created.
function deleteMovedPods(manifest: string): void {
  for (const doc of manifest.split(/^---$/m)) {
    if (!/^kind: Pod$/m.test(doc)) continue
    const m = doc.match(/metadata: \{name: (\S+), namespace: (\S+),/)
    const want = doc.match(/kubernetes\.io\/hostname: (\S+)\}/)?.[1]
    if (!m || !want) continue
    const r = kubectl(
      [
        'get',
        'pod',
        m[1],
        '-n',
        m[2].replace(/,$/, ''),
        '-o',
        'jsonpath={.spec.nodeSelector.kubernetes\\.io/hostname}',
      ],
      { ok: true },
    )
    if (r.code === 0 && r.stdout.trim() !== want)
      kubectl(['delete', 'pod', m[1], '-n', m[2].replace(/,$/, ''), '--wait=true', '--grace-period=1'])
  }
}

function applyWorkloads(): void {
  apply(accessManifest())
  apply(corednsManifest())
  apply(metricsServerManifest(P.pki, fs.readFileSync(path.join(P.pki, 'ca.crt'), 'utf8')))
  const shop = shopManifest()
  deleteMovedPods(shop)
  apply(shop)
}

/** kubectl apply, tried up to four times 2 s apart: right after etcd restarts, the apiserver is ready but a read can still fail. */
function apply(input: string): void {
  for (let i = 1; i < 4; i++) {
    if (kubectl(['apply', '-f', '-'], { input, ok: true }).code === 0) return
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000)
  }
  kubectl(['apply', '-f', '-'], { input }) // the last try throws with kubectl's output
}

/**
 * Brings the lab up. Idempotent, and a repair: whatever died (a node, a daemon, the apiserver, etcd) is started again
 * and the cluster keeps its state; only `down` makes a fresh cluster.
 */
export async function up(): Promise<void> {
  requireRoot()
  if (fs.existsSync(P.kubeconfig) && healthy()) {
    await dropDeadFanout()
    applyWorkloads() // idempotent; brings a lab made by an older checkout up to these manifests
    await waitHealthy(120_000)
    progress('lab is already up')
    status()
    return
  }
  const dead = fs.existsSync(path.join(LAB_DIR, 'etcd')) ? downComponents() : []
  if (dead.length) progress(`restarting what is down: ${dead.join(', ')}`)
  ensureDeps()
  ensureBinaries()
  progress('host network: klab0, kcni0, routes to the nodes, policy rule')
  setupHostNetwork()
  writeKeysAndConfigs()
  fs.mkdirSync(path.join('/run', 'sshd'), { recursive: true })
  for (const n of NODES) await ensureNodeNamespaces(n)
  progress('starting containerd on every node')
  for (const n of NODES) await start(onNode('containerd', n.name))
  for (const n of NODES) {
    const np = nodePaths(n.name)
    await waitFor(
      `containerd on ${n.name}`,
      () => succeeds(['ctr', '--address', np.containerdSock, 'version']),
      30_000,
      300,
    )
    ensureImages(np.containerdSock, np.containerdRoot)
  }
  progress('starting etcd')
  await start('etcd')
  await waitFor('etcd', () => httpOK(`${ETCD_URL}/health`), 30_000, 200)
  progress('starting kube-apiserver')
  await start('kube-apiserver')
  await waitFor(
    'kube-apiserver /readyz',
    () => kubectl(['get', '--raw', '/readyz'], { ok: true }).code === 0,
    90_000,
    500,
  )
  for (const c of ['kube-controller-manager', 'kube-scheduler']) await start(c)
  await dropDeadFanout()
  const sshOff = sshIsOff()
  for (const d of NODE_DAEMONS.filter((d) => d !== 'containerd' && !(sshOff && d === 'sshd'))) {
    progress(`starting ${d} on ${NODES.map((n) => n.name).join(', ')}`)
    for (const n of NODES) await start(onNode(d, n.name))
  }
  await waitFor(`nodes ${NODES.map((n) => n.name).join(', ')} Ready`, () => notReadyNodes().length === 0, 90_000, 1000)
  progress('applying workloads: access, CoreDNS, metrics-server, shop')
  await waitFor(
    'the default service account',
    () => kubectl(['get', 'sa', 'default', '-n', 'default'], { ok: true }).code === 0,
    30_000,
    500,
  )
  applyWorkloads()
  await waitHealthy(150_000)
  progress('lab is up')
  status()
}

async function dropDeadFanout(): Promise<void> {
  const gone = await reconcileFanout()
  if (gone.length)
    progress(
      `removed ${gone.length} fan-out node(s) whose heartbeat had stopped (run \`npm run lab -- fanout N\` again to have them)`,
    )
}

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

/** Prints a status table (every node's daemons, what is down, nodes and pods); returns true when healthy. */
export function status(): boolean {
  const rows: string[][] = [['NODE', 'COMPONENT', 'STATE', 'PID']]
  const sshOff = sshIsOff()
  for (const c of COMPONENTS) {
    const pid = running(c.id)
    const state = pid ? 'running' : sshOff && c.name === 'sshd' ? 'off (lab ssh off)' : 'DOWN'
    rows.push([c.node ?? '(control plane)', c.name, state, pid ? String(pid) : '-'])
  }
  for (const n of NODES.filter((x) => !x.host)) {
    const pid = initPid(n.name)
    rows.push([n.name, 'init (namespaces)', pid ? 'running' : 'DOWN', pid ? String(pid) : '-'])
  }
  const width = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(width[i])).join('  '))
  const dead = downComponents()
  console.log(dead.length ? `\ndown: ${dead.join(', ')}` : '\ndown: nothing')
  const fan = fanoutStatus()
  if (fan) console.log(fan)
  if (running('kube-apiserver')) {
    console.log('')
    console.log(kubectl(['get', 'nodes', '-o', 'wide', '-l', '!kinspect.dev/lab-role'], { ok: true }).stdout.trim())
    console.log('')
    console.log(kubectl(['get', 'pods', '-A', '-o', 'wide'], { ok: true }).stdout.trim())
  }
  console.log(
    `\nstate: ${LAB_DIR}   use it: eval "$(npm run -s lab -- env)"   extra users: ${BASELINE_NS} namespace, kubeconfig-view, kubeconfig-no-exec`,
  )
  return dead.length === 0 && workloadsReady()
}

/** Shell exports for the lab (without the ssh files after `lab ssh off`). */
export function env(): string {
  const vars = labEnvVars()
  if (sshIsOff()) {
    delete (vars as Partial<typeof vars>).KINSPECT_SSH_CONFIG
    delete (vars as Partial<typeof vars>).KINSPECT_KNOWN_HOSTS
    vars.KINSPECT_CONFIG = labPaths().kinspectConfigNoSsh
  }
  const unset = sshIsOff() ? ['unset KINSPECT_SSH_CONFIG KINSPECT_KNOWN_HOSTS'] : []
  return [...unset, ...Object.entries(vars).map(([k, v]) => `export ${k}=${JSON.stringify(v)}`)].join('\n')
}

/** Runs a command on a lab node (inside its namespaces); for scenarios and captures. */
export { inNode }
