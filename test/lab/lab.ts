// lab up / down / status / env: a real single-node Kubernetes cluster on this machine.
import fs from 'node:fs'
import path from 'node:path'
import { CACHE_DIR, LAB_DIR, NET, NODE, RUN_DIR, labEnvVars, labPaths } from './layout.ts'
import { bin, ensureBinaries } from './build.ts'
import { COMPONENTS, ETCD_URL, running, start, stop } from './components.ts'
import { cniConfig, containerdConfig, kinspectConfig, kubeProxyConfig, kubeconfig, kubeletConfig, sshdConfig } from './configs.ts'
import { fanoutStatus, stopExtras, writeSshClientFiles } from './fanout.ts'
import { setupHostNetwork, teardownHostNetwork } from './host.ts'
import { ensureShellUsers, removeShellUsers } from './shells.ts'
import { ensureImages } from './images.ts'
import { corednsManifest, metricsServerManifest, shopManifest } from './manifests.ts'
import { progress, run, succeeds, waitFor, writeFile } from './sh.ts'

const P = labPaths()
const CTR_ROOT = path.join(CACHE_DIR, 'containerd-root')

/** kubectl against the lab as lab-admin. */
export function kubectl(args: string[], opts: { ok?: boolean; input?: string; timeout?: number } = {}) {
  return run(['kubectl', '--kubeconfig', P.kubeconfig, '--request-timeout=20s', ...args], opts)
}

/** kubectl ... -o json parsed. */
export function kubectlJSON<T = any>(args: string[]): T {
  return JSON.parse(kubectl([...args, '-o', 'json']).stdout) as T
}

function requireRoot() {
  if (process.getuid?.() !== 0) throw new Error('lab: must run as root (it creates interfaces, routes and a container runtime)')
}

function ensureDeps() {
  const need = ['containerd', 'runc', 'sshd', 'ctr', 'iptables', 'conntrack', 'nft', 'dig', 'busybox', 'nsenter', 'ssh-keygen']
  const missing = need.filter((c) => !succeeds(['sh', '-c', `command -v ${c} || test -x /usr/sbin/${c}`]))
  if (missing.length) {
    progress(`missing ${missing.join(', ')}: installing Debian packages`)
    run(['bash', path.join(import.meta.dirname, 'install-deps.sh')], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 900_000 })
  }
}

function writeKeysAndConfigs(mode = 'iptables') {
  fs.mkdirSync(P.sshDir, { recursive: true })
  fs.chmodSync(P.sshDir, 0o711) // the shell users' sshd reads authorized_keys as them
  run([bin('certs'), '-dir', P.pki, '-node', NODE, '-node-ip', NET.nodeIP, '-service-ip', NET.kubernetesSvcIP])
  writeFile(P.kubeconfig, kubeconfig(P.pki, 'admin', undefined, 'lab-admin'), 0o600)
  for (const [file, cert] of [
    ['controller-manager.kubeconfig', 'controller-manager'],
    ['scheduler.kubeconfig', 'scheduler'],
    ['kubelet.kubeconfig', 'kubelet-client'],
    ['kube-proxy.kubeconfig', 'kube-proxy'],
  ]) {
    writeFile(path.join(LAB_DIR, file), kubeconfig(P.pki, cert), 0o600)
  }
  writeFile(path.join(LAB_DIR, 'kubelet.yaml'), kubeletConfig(LAB_DIR))
  writeFile(path.join(LAB_DIR, 'node-resolv.conf'), '# kinspect lab: no resolver off this machine\nnameserver 127.0.0.1\n')
  writeFile(path.join(LAB_DIR, 'kube-proxy.yaml'), kubeProxyConfig(LAB_DIR, mode))
  writeFile(path.join(LAB_DIR, 'containerd.toml'), containerdConfig(LAB_DIR, CTR_ROOT))
  writeFile(path.join(LAB_DIR, 'cni', '10-kinspect-lab.conflist'), cniConfig())
  for (const [key, comment] of [
    ['host_ed25519', 'lab-1 host key'],
    ['id_ed25519', 'kinspect lab user key'],
  ]) {
    const f = path.join(P.sshDir, key)
    if (!fs.existsSync(f)) run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', f])
  }
  writeFile(path.join(P.sshDir, 'authorized_keys'), fs.readFileSync(`${P.identity}.pub`, 'utf8'), 0o644)
  ensureShellUsers()
  writeFile(path.join(P.sshDir, 'sshd_config'), sshdConfig(LAB_DIR, `${NET.nodeIP}:${NET.sshPort}`, path.join(P.sshDir, 'host_ed25519'), path.join(RUN_DIR, 'sshd-real.pid')))
  writeSshClientFiles()
  writeFile(P.kinspectConfig, kinspectConfig(LAB_DIR))
  writeFile('/etc/crictl.yaml', `# written by the kinspect lab\nruntime-endpoint: unix://${RUN_DIR}/containerd.sock\nimage-endpoint: unix://${RUN_DIR}/containerd.sock\ntimeout: 10\n`)
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

/** Pods that must be Ready for the lab to count as up. */
const EXPECTED = [
  ['kube-system', 'k8s-app=kube-dns', 2],
  ['kube-system', 'k8s-app=metrics-server', 1],
  ['shop', 'app=web', 2],
  ['shop', 'app=client', 1],
  ['shop', 'app=distroless', 1],
  ['shop', 'app=ndots', 1],
] as const

function readyCount(ns: string, selector: string): number {
  const r = kubectl(['get', 'pods', '-n', ns, '-l', selector, '-o', 'json'], { ok: true })
  if (r.code !== 0) return 0
  const pods = JSON.parse(r.stdout).items as any[]
  return pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length
}

/** True when every daemon runs, the node is Ready and every expected pod is Ready. */
export function healthy(): boolean {
  return COMPONENTS.every((c) => running(c.name)) && workloadsReady()
}

/** True when the node and every expected pod are Ready. */
export function workloadsReady(): boolean {
  const n = kubectl(['get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'], { ok: true })
  if (n.stdout.trim() !== 'True') return false
  return EXPECTED.every(([ns, sel, want]) => readyCount(ns, sel) >= want)
}

/** Waits until the node and every expected pod are Ready. */
export async function waitHealthy(timeoutMs = 120_000): Promise<void> {
  await waitFor('the node and all lab pods to be Ready', () => workloadsReady(), timeoutMs, 1000)
}

function applyWorkloads(): void {
  kubectl(['apply', '-f', '-'], { input: corednsManifest() })
  kubectl(['apply', '-f', '-'], { input: metricsServerManifest(P.pki, fs.readFileSync(path.join(P.pki, 'ca.crt'), 'utf8')) })
  kubectl(['apply', '-f', '-'], { input: shopManifest() })
}

/** Brings the lab up (idempotent: a healthy lab is left as it is). */
export async function up(): Promise<void> {
  requireRoot()
  if (fs.existsSync(P.kubeconfig) && healthy()) {
    applyWorkloads() // idempotent; brings a lab made by an older checkout up to these manifests
    await waitHealthy(120_000)
    progress('lab is already up')
    status()
    return
  }
  if (COMPONENTS.some((c) => running(c.name)) || fs.existsSync(path.join(LAB_DIR, 'etcd')) || fs.existsSync(RUN_DIR)) {
    progress('a partial or stale lab is here: tearing it down first')
    await down()
  }
  ensureDeps()
  ensureBinaries()
  progress('host network: klab0, kcni0, routes, policy rule')
  setupHostNetwork()
  writeKeysAndConfigs()
  fs.mkdirSync(path.join('/run', 'sshd'), { recursive: true })
  progress('starting containerd')
  start('containerd')
  await waitFor('containerd', () => succeeds(['ctr', '--address', `${RUN_DIR}/containerd.sock`, 'version']), 30_000, 300)
  ensureImages()
  progress('starting etcd')
  start('etcd')
  await waitFor('etcd', () => httpOK(`${ETCD_URL}/health`), 30_000, 200)
  progress('starting kube-apiserver')
  start('kube-apiserver')
  await waitFor('kube-apiserver /readyz', () => kubectl(['get', '--raw', '/readyz'], { ok: true }).code === 0, 90_000, 500)
  for (const c of ['kube-controller-manager', 'kube-scheduler', 'sshd', 'kubelet', 'kube-proxy']) {
    progress(`starting ${c}`)
    start(c)
  }
  await waitFor(`node ${NODE} Ready`, () => kubectl(['get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'], { ok: true }).stdout.trim() === 'True', 90_000, 1000)
  progress('applying workloads: CoreDNS, metrics-server, shop')
  await waitFor('the default service account', () => kubectl(['get', 'sa', 'default', '-n', 'default'], { ok: true }).code === 0, 30_000, 500)
  applyWorkloads()
  await waitHealthy(120_000)
  progress('lab is up')
  status()
}

function labMounts(): string[] {
  const roots = [LAB_DIR, RUN_DIR, CTR_ROOT, '/run/netns/cni-', '/var/run/netns/cni-']
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m && roots.some((r) => m.startsWith(r)))
    .sort((a, b) => b.length - a.length)
}

/** Stops everything and removes every trace: processes, netns, interfaces, rules, mounts. */
export async function down(): Promise<void> {
  requireRoot()
  await stopExtras()
  for (const c of ['kube-proxy', 'kubelet']) await stop(c)
  if (running('containerd')) {
    progress('removing pod sandboxes (CNI DEL for each)')
    run([bin('crictl'), '-r', `unix://${RUN_DIR}/containerd.sock`, 'rmp', '-a', '-f'], { ok: true, timeout: 120_000 })
  }
  for (const c of ['kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd', 'sshd', 'containerd']) await stop(c)
  // Shims outlive containerd by design; the lab's are the ones pointing at its socket.
  run(['pkill', '-KILL', '-f', `containerd-shim.*${RUN_DIR}/containerd.sock`], { ok: true })
  // Scenario leftovers: the conntrack filler and the lowered nf_conntrack_max.
  run(['pkill', '-KILL', '-f', `${CACHE_DIR}/bin/(connfill|udpflood)`], { ok: true })
  if (fs.existsSync(bin('kube-proxy'))) {
    for (const mode of ['iptables', 'nftables']) run([bin('kube-proxy'), '--cleanup', `--proxy-mode=${mode}`], { ok: true, timeout: 60_000 })
  }
  removeKubeChains() // kubelet's canaries and KUBE-FIREWALL, which kube-proxy --cleanup leaves
  for (const m of labMounts()) run(['umount', '-l', m], { ok: true })
  for (const f of fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns') : []) {
    if (f.startsWith('cni-')) fs.rmSync(path.join('/run/netns', f), { force: true })
  }
  teardownHostNetwork()
  removeShellUsers()
  run(['conntrack', '-D', '-s', NET.podCIDR], { ok: true })
  run(['conntrack', '-D', '-d', NET.serviceCIDR], { ok: true })
  for (const d of [path.join(LAB_DIR, 'etcd'), path.join(LAB_DIR, 'kubelet'), RUN_DIR, '/var/lib/cni/networks/kinspect-lab', path.join(CTR_ROOT, 'io.containerd.grpc.v1.cri', 'sandboxes'), path.join(CTR_ROOT, 'io.containerd.grpc.v1.cri', 'containers')]) {
    fs.rmSync(d, { recursive: true, force: true })
  }
  for (const f of ['/etc/crictl.yaml', '/usr/local/bin/crictl']) {
    try {
      const ours = f.endsWith('crictl') ? fs.readlinkSync(f).startsWith(CACHE_DIR) : fs.readFileSync(f, 'utf8').includes('kinspect lab')
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
  for (const [save, restore] of [['iptables-save', 'iptables-restore'], ['ip6tables-save', 'ip6tables-restore']]) {
    const dump = run([save], { ok: true }).stdout
    if (!/(KUBE-|CNI-)/.test(dump)) continue
    run([restore, '-w'], { input: dump.split('\n').filter(keep).join('\n'), ok: true })
  }
}

/** Prints a status table; returns true when healthy. */
export function status(): boolean {
  const rows: string[][] = [['COMPONENT', 'STATE', 'PID']]
  for (const c of COMPONENTS) {
    const pid = running(c.name)
    rows.push([c.name, pid ? 'running' : 'stopped', pid ? String(pid) : '-'])
  }
  const width = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(width[i])).join('  '))
  if (running('kube-apiserver')) {
    console.log('')
    console.log(kubectl(['get', 'nodes', '-o', 'wide'], { ok: true }).stdout.trim())
    console.log('')
    console.log(kubectl(['get', 'pods', '-A', '-o', 'wide'], { ok: true }).stdout.trim())
  }
  const fan = fanoutStatus()
  if (fan) console.log(`\n${fan}`)
  console.log(`\nstate: ${LAB_DIR}   use it: eval "$(npm run -s lab -- env)"`)
  return healthy()
}

/** Shell exports for the lab. */
export function env(): string {
  return Object.entries(labEnvVars())
    .map(([k, v]) => `export ${k}=${JSON.stringify(v)}`)
    .join('\n')
}
