// The lab itself: what "up" promises (three nodes, pods spread across them, SSH with host-key checking, a sudo user,
// DNS and routing between nodes, users with less than admin), its network safety, recovery of whatever died, the ssh
// switch, and that "down" leaves nothing behind. Runs last: it kills components and takes the lab down and up.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { CACHE_DIR, LAB_DIR, NET, NODES, RUN_DIR, labEnvVars, labPaths, nodePaths } from './layout.ts'
import { BASELINE_NS } from './access.ts'
import { component, onNode } from './components.ts'
import { kubectl, kubectlJSON, workloadsReady } from './lab.ts'
import { inNode, initPid } from './nodes.ts'
import { corednsPods, onPodNetns, podNode } from './probe.ts'
import { run, sleep, waitFor } from './sh.ts'

const P = labPaths()
const labCli = (...args: string[]) =>
  run([process.execPath, '--import', 'tsx', path.join(import.meta.dirname, 'cli.ts'), ...args], {
    ok: true,
    timeout: 600_000,
  })
const ssh = (host: string, ...cmd: string[]) =>
  run(['ssh', '-F', P.sshConfig, '-o', 'BatchMode=yes', host, ...cmd], { ok: true, timeout: 30_000 })
const as = (kubeconfig: string, ...args: string[]) =>
  run(['kubectl', '--kubeconfig', kubeconfig, '--request-timeout=10s', ...args], { ok: true })

test('up on a running lab is a no-op that ends with a status table naming every node', () => {
  const r = labCli('up')
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /lab is already up/)
  assert.match(r.stdout, /\(control plane\)\s+kube-apiserver\s+running/)
  for (const n of NODES) {
    assert.match(r.stdout, new RegExp(`^${n.name}\\s+kubelet\\s+running`, 'm'))
    assert.match(r.stdout, new RegExp(`^${n.name}\\s+Ready`, 'm'))
  }
  assert.match(r.stdout, /^down: nothing$/m)
})

test('every workload is Running and Ready, spread across the nodes as promised', () => {
  const pods = kubectlJSON(['get', 'pods', '-A']).items as any[]
  const on = (sel: (p: any) => boolean) =>
    pods
      .filter((p) => sel(p) && !p.metadata.deletionTimestamp)
      .map((p) => p.spec.nodeName)
      .sort()
  for (const p of pods.filter(
    (p) => ['shop', 'kube-system'].includes(p.metadata.namespace) && !p.metadata.deletionTimestamp,
  )) {
    assert.equal(p.status.phase, 'Running', `${p.metadata.name} phase`)
  }
  const dns = on((p) => p.metadata.labels?.['k8s-app'] === 'kube-dns')
  assert.equal(dns, ['lab-1', 'lab-2'], 'CoreDNS replicas on two different nodes')
  assert.equal(
    on((p) => p.metadata.labels?.app === 'web'),
    ['lab-2', 'lab-3'],
    'web replicas on two nodes',
  )
  const client = podNode('shop', 'client')
  assert.not.ok(dns.includes(client), `client runs on ${client}, where no CoreDNS runs`)
  assert.ok(workloadsReady())
})

test('each node is its own machine over SSH: its host name, its own processes, its own containers; host keys are checked', () => {
  for (const n of NODES) {
    const r = ssh(n.name, 'hostname; pgrep -c -x kubelet; pgrep -c -x containerd; ip -br -4 addr show')
    assert.equal(r.code, 0, r.stderr)
    const [host, kubelets, containerds] = r.stdout.split('\n')
    // lab-1 is this machine: its PID namespace is the parent of lab-2's and lab-3's, so it sees their daemons too.
    const own = n.host ? [os.hostname(), String(NODES.length), String(NODES.length)] : [n.name, '1', '1']
    assert.equal([host, kubelets, containerds], own, `${n.name}: host name and the kubelets and containerds it sees`)
    assert.match(r.stdout, new RegExp(`${n.ip.replace(/\./g, '\\.')}/24`))
    const pods = ssh(n.name, 'crictl', 'pods', '-q', '--state', 'ready').stdout.trim().split('\n').filter(Boolean)
    const want = (
      kubectlJSON(['get', 'pods', '-A', '--field-selector', `spec.nodeName=${n.name},status.phase=Running`])
        .items as any[]
    ).length
    assert.is(pods.length, want, `crictl on ${n.name} sees that node's ${want} pods`)
  }
  const bogus = path.join(LAB_DIR, 'bogus_known_hosts')
  const other = fs.readFileSync(`${P.identity}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')
  fs.writeFileSync(bogus, `[lab-2]:${NET.sshPort},[${NODES[1].ip}]:${NET.sshPort} ${other}\n`)
  const bad = run(['ssh', '-F', P.sshConfig, '-o', `UserKnownHostsFile=${bogus}`, 'lab-2', 'true'], { ok: true })
  fs.rmSync(bogus)
  assert.not.equal(bad.code, 0)
  assert.match(bad.stderr, /HOST IDENTIFICATION HAS CHANGED|Host key verification failed/)
})

test('the sudo user is not root and becomes root only through sudo -n', () => {
  for (const n of NODES) {
    const plain = ssh(`${n.name}-sudo`, 'id', '-u')
    assert.equal(plain.code, 0, plain.stderr)
    assert.not.equal(plain.stdout.trim(), '0')
    const root = ssh(`${n.name}-sudo`, 'sudo', '-n', 'id', '-u')
    assert.equal(root.stdout.trim(), '0', root.stderr)
  }
})

test('DNS and routing between nodes: a pod on lab-3 (no CoreDNS there) resolves, and reaches pods on lab-1 and lab-2 and a Service', () => {
  const a = onPodNetns('shop', 'client', ['dig', '+short', `@${NET.dnsIP}`, 'kubernetes.default.svc.cluster.local'])
  assert.equal(a.stdout.trim(), NET.kubernetesSvcIP)
  const nx = onPodNetns('shop', 'client', ['dig', `@${NET.dnsIP}`, 'example.com'])
  assert.match(nx.stdout, /status: NXDOMAIN/)
  for (const p of corednsPods()) {
    const r = onPodNetns('shop', 'client', ['dig', '+short', '+time=2', `@${p.ip}`, 'web.shop.svc.cluster.local'])
    assert.match(r.stdout.trim(), /^10\.96\.\d+\.\d+$/, `CoreDNS ${p.name} on ${p.node} answers a pod on lab-3`)
  }
  const web = kubectl(['get', 'svc', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.clusterIP}']).stdout
  const http = onPodNetns(
    'shop',
    'ndots',
    ['sh', '-c', `printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 ${web} 80`],
    { ok: true },
  )
  assert.match(http.stdout, /200 OK/, 'a pod on lab-1 reaches web (on lab-2 and lab-3) through its ClusterIP')
  const corefile = kubectlJSON(['get', 'configmap', 'coredns', '-n', 'kube-system']).data.Corefile
  assert.not.match(corefile, /forward/, 'no upstream forwarder')
})

test('network safety: nothing leaves the lab, from lab-1 or from a namespaced node', () => {
  const rules = run(['ip', 'rule', 'show']).stdout
  assert.match(rules, new RegExp(`from ${NET.podCIDR.replace(/\./g, '\\.')} lookup ${NET.routeTable}`))
  const routes = run(['ip', 'route', 'show', 'type', 'unreachable']).stdout
  assert.match(routes, /unreachable 10\.244\.0\.0\/16/)
  assert.match(routes, /unreachable 10\.96\.0\.0\/12/)
  const get = run(['ip', 'route', 'get', '1.1.1.1', 'from', '10.244.0.50', 'iif', NET.cniBridge], { ok: true })
  assert.not.equal(get.code, 0)
  assert.match(get.stderr, /No route to host|unreachable/i)
  for (const n of NODES.filter((x) => !x.host)) {
    const r = run(inNode(n.name, ['ip', 'route', 'get', '1.1.1.1']), { ok: true })
    assert.not.equal(r.code, 0, `${n.name} has no route off the lab`)
    assert.match(r.stderr, /unreachable/i)
    assert.not.match(run(inNode(n.name, ['ip', 'route'])).stdout, /^default/m, `${n.name} has no default route`)
  }
  for (const pod of ['client', 'ndots']) {
    const ping = onPodNetns('shop', pod, ['ping', '-c', '1', '-W', '1', '192.0.2.1'], { ok: true })
    assert.not.equal(ping.code, 0, `a ping from ${pod} (on ${podNode('shop', pod)}) off the lab fails`)
  }
})

test('users with less than cluster-admin: view reads but cannot exec or create; no-exec changes all but pods; an expired certificate is refused; baseline rejects privileged pods', () => {
  const can = (kc: string, ...a: string[]) => as(kc, 'auth', 'can-i', ...a).stdout.trim()
  assert.is(can(P.kubeconfigView, 'list', 'pods', '-A'), 'yes')
  assert.is(can(P.kubeconfigView, 'create', 'pods/exec', '-n', 'shop'), 'no')
  assert.is(can(P.kubeconfigView, 'create', 'pods', '-n', 'shop'), 'no')
  assert.is(can(P.kubeconfigView, 'get', 'secrets', '-n', 'shop'), 'no')
  assert.is(can(P.kubeconfigNoExec, 'create', 'deployments', '-n', 'shop'), 'yes')
  assert.is(can(P.kubeconfigNoExec, 'create', 'daemonsets', '-n', 'default'), 'yes')
  assert.is(can(P.kubeconfigNoExec, 'delete', 'pods', '-n', 'shop'), 'yes')
  assert.is(can(P.kubeconfigNoExec, 'create', 'pods', '-n', 'shop'), 'no')
  assert.is(can(P.kubeconfigNoExec, 'create', 'pods/exec', '-n', 'shop'), 'no')
  const exec = as(P.kubeconfigView, 'exec', '-n', 'shop', 'client', '--', 'true')
  assert.not.equal(exec.code, 0)
  assert.match(exec.stderr, /forbidden: User "kinspect-view" cannot create resource "pods\/exec"/)
  const expired = as(P.kubeconfigExpired, 'get', 'pods')
  assert.not.equal(expired.code, 0)
  assert.match(expired.stderr, /Unauthorized|certificate has expired|expired/i)
  const pod = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'priv' },
    spec: {
      hostPID: true,
      containers: [{ name: 'c', image: 'kinspect.local/busybox:1.35', securityContext: { privileged: true } }],
    },
  })
  const psa = run(
    ['kubectl', '--kubeconfig', P.kubeconfig, 'create', '--dry-run=server', '-n', BASELINE_NS, '-f', '-'],
    { ok: true, input: pod },
  )
  assert.not.equal(psa.code, 0)
  assert.match(psa.stderr, /violates PodSecurity "baseline:latest": host namespaces \(hostPID=true\), privileged/)
})

test('env prints the exports kinspect, kubectl and ssh need', () => {
  const r = labCli('env')
  for (const [k, v] of Object.entries(labEnvVars())) assert.ok(r.stdout.includes(`export ${k}=${JSON.stringify(v)}`), k)
})

/** True when something accepts TCP connections on host:port within a second. */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 1000 })
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
    s.once('timeout', () => (s.destroy(), resolve(false)))
  })
}

test('ssh off stops every sshd and withholds the ssh files from env; status calls it off, not down; ssh on restores both', async () => {
  try {
    assert.equal(labCli('ssh', 'off').code, 0)
    for (const n of NODES) assert.not.ok(await listening(n.ip, NET.sshPort), `${n.name}:${NET.sshPort} is closed`)
    const env = labCli('env').stdout
    assert.not.match(env, /export KINSPECT_SSH_CONFIG/)
    assert.not.match(env, /export KINSPECT_KNOWN_HOSTS/)
    assert.match(env, /unset KINSPECT_SSH_CONFIG KINSPECT_KNOWN_HOSTS/)
    assert.match(env, /export KINSPECT_CONFIG=".*\.recipes-nossh"/)
    assert.not.match(fs.readFileSync(P.kinspectConfigNoSsh, 'utf8'), /^\s*(ssh|nodes|identityFile):/m)
    const st = labCli('status')
    assert.equal(st.code, 0, 'ssh off is not a fault of the lab')
    assert.match(st.stdout, /^lab-2\s+sshd\s+off \(lab ssh off\)/m)
    assert.equal(labCli('up').code, 0, 'up keeps ssh off')
    assert.not.ok(await listening(NODES[1].ip, NET.sshPort))
  } finally {
    labCli('ssh', 'on')
  }
  for (const n of NODES) assert.ok(await listening(n.ip, NET.sshPort), `${n.name} answers ssh again`)
  assert.match(labCli('env').stdout, /export KINSPECT_SSH_CONFIG/)
})

/** Kills what `what` names, checks status names it, runs up, checks it is back and the cluster kept its state. */
async function killAndRecover(what: string, kill: () => void, isBack: () => boolean): Promise<void> {
  kill()
  await sleep(500)
  const st = labCli('status')
  assert.equal(st.code, 1, `status fails while ${what} is down`)
  assert.match(st.stdout, new RegExp(`^down: .*${what.replace(/[@]/g, '.')}`, 'm'))
  const t0 = Date.now()
  const r = labCli('up')
  assert.equal(r.code, 0, `up after ${what} died:\n${r.stderr.slice(-1500)}`)
  assert.match(r.stderr, new RegExp(`restarting what is down: .*${what}`))
  assert.ok(isBack(), `${what} is back`)
  assert.equal(
    kubectl(['get', 'namespace', 'acc', '-o', 'jsonpath={.metadata.name}']).stdout,
    'acc',
    `a namespace made before ${what} died is still there`,
  )
  console.log(`    up after ${what} died: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}

const pidOf = (id: string) => Number(fs.readFileSync(component(id).pidFile, 'utf8'))
const killComponent = (id: string) => () => process.kill(pidOf(id), 'SIGKILL')
const isRunning = (id: string) => () => {
  try {
    process.kill(pidOf(id), 0)
    return true
  } catch {
    return false
  }
}

test('recovery: up after any one component died restarts it and keeps the cluster; only down makes a fresh one', async () => {
  kubectl(['create', 'namespace', 'acc'], { ok: true })
  try {
    for (const id of [
      'kube-apiserver',
      'etcd',
      onNode('kubelet', 'lab-2'),
      onNode('containerd', 'lab-1'),
      onNode('kube-proxy', 'lab-3'),
      onNode('sshd', 'lab-2'),
    ]) {
      await killAndRecover(id, killComponent(id), isRunning(id))
    }
    // A whole node: its init (and so every process in its namespaces) is gone, as after a crash.
    await killAndRecover(
      'node@lab-3',
      () => process.kill(initPid('lab-3')!, 'SIGKILL'),
      () => initPid('lab-3') !== null && workloadsReady(),
    )
    // CoreDNS's process: the kubelet restarts the container; up waits for it to be Ready again.
    const dns = corednsPods()[0]
    const pid = run(inNode(dns.node, ['pgrep', '-x', 'coredns']))
      .stdout.trim()
      .split('\n')[0]
    run(inNode(dns.node, ['kill', '-9', pid]))
    const r = labCli('up')
    assert.equal(r.code, 0, r.stderr.slice(-1500))
    await waitFor('both CoreDNS pods Ready', () => workloadsReady(), 60_000, 1000)
  } finally {
    kubectl(['delete', 'namespace', 'acc', '--wait=false'], { ok: true })
  }
})

function leftovers(): string[] {
  const found: string[] = []
  const procs = run(['ps', '-eo', 'args']).stdout.split('\n')
  for (const p of procs)
    if (p.includes(CACHE_DIR) || p.includes(`${RUN_DIR}/`) || p.includes(`${LAB_DIR}/`)) found.push(`process: ${p}`)
  for (const l of [NET.hostIf, NET.cniBridge])
    if (run(['ip', 'link', 'show', l], { ok: true }).code === 0) found.push(`interface ${l}`)
  if (run(['ip', '-o', 'link', 'show', 'type', 'veth']).stdout.trim()) found.push('veth interfaces')
  if (run(['ip', 'rule', 'show']).stdout.includes(`lookup ${NET.routeTable}`)) found.push('ip rule')
  if (run(['ip', 'route', 'show', 'type', 'unreachable']).stdout.includes('10.244.0.0/16'))
    found.push('unreachable route')
  const ipt = run(['iptables-save']).stdout
  for (const m of ipt.match(/^:(KUBE-\S+|KINSPECT-\S+|CNI-\S+)/gm) ?? []) found.push(`iptables chain ${m}`)
  if (run(['nft', 'list', 'tables']).stdout.includes('kube-proxy')) found.push('nft table kube-proxy')
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8')
  for (const root of [LAB_DIR, RUN_DIR, path.join(CACHE_DIR, 'containerd-root'), '/run/netns/cni-'])
    if (mounts.includes(` ${root}`)) found.push(`mount under ${root}`)
  if (fs.existsSync('/run/netns') && fs.readdirSync('/run/netns').some((f) => f.startsWith('cni-'))) found.push('netns')
  for (const n of NODES) {
    const root = nodePaths(n.name).cgroupRoot
    for (const h of fs.readdirSync('/sys/fs/cgroup')) {
      const d = n.host ? path.join('/sys/fs/cgroup', h, 'kubepods') : path.join('/sys/fs/cgroup', h, root)
      if (fs.existsSync(d)) found.push(`cgroup ${d}`)
    }
  }
  for (const u of ['kinspect-dash', 'kinspect-ash', 'kinspect-sudo'])
    if (run(['id', u], { ok: true }).code === 0) found.push(`user ${u}`)
  if (fs.existsSync('/etc/sudoers.d/kinspect-lab')) found.push('sudoers file')
  return found
}

test('down leaves nothing behind; up brings all three nodes back', () => {
  const saved = JSON.parse(fs.readFileSync(path.join(LAB_DIR, 'sysctl.orig.json'), 'utf8')) as Record<string, string>
  const d = labCli('down')
  assert.equal(d.code, 0, d.stderr)
  assert.equal(leftovers(), [])
  for (const [k, v] of Object.entries(saved))
    assert.equal(fs.readFileSync(`/proc/sys/${k}`, 'utf8').trim(), v, `sysctl ${k} restored`)
  const t0 = Date.now()
  const u = labCli('up')
  const secs = (Date.now() - t0) / 1000
  assert.equal(u.code, 0, u.stderr.slice(-2000))
  console.log(`    lab up from down: ${secs.toFixed(1)} s (binaries and images cached)`)
  assert.ok(workloadsReady())
})

test.run()
