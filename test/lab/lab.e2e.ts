// The lab itself: what "up" promises (pods, SSH with host-key checking, DNS from a pod's netns),
// its network safety, and that "down" leaves nothing behind. Runs last: it takes the lab down and up.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { CACHE_DIR, LAB_DIR, NET, NODE, RUN_DIR, labEnvVars, labPaths } from './layout.ts'
import { kubectlJSON, workloadsReady } from './lab.ts'
import { podPid } from './scenarios.ts'
import { run } from './sh.ts'

const P = labPaths()
const labCli = (...args: string[]) => run([process.execPath, '--import', 'tsx', path.join(import.meta.dirname, 'cli.ts'), ...args], { ok: true, timeout: 600_000 })

test('up on a running lab is a no-op that ends with a status table', () => {
  const r = labCli('up')
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /lab is already up/)
  assert.match(r.stdout, /kube-apiserver\s+running/)
  assert.match(r.stdout, /lab-1\s+Ready/)
})

test('every workload is Running and Ready', () => {
  const pods = kubectlJSON(['get', 'pods', '-A']).items as any[]
  const names = pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
  for (const want of ['shop/client', 'shop/distroless', 'shop/ndots']) assert.ok(names.includes(want), `${want} exists`)
  assert.equal(pods.filter((p) => p.metadata.labels?.['k8s-app'] === 'kube-dns').length, 2)
  assert.equal(pods.filter((p) => p.metadata.labels?.app === 'web').length, 2)
  for (const p of pods.filter((p) => ['shop', 'kube-system'].includes(p.metadata.namespace) && !p.metadata.deletionTimestamp)) {
    assert.equal(p.status.phase, 'Running', `${p.metadata.name} phase`)
  }
  assert.ok(workloadsReady())
})

test('ssh to the node works with strict host-key checking, and a wrong key is refused', () => {
  const ok = run(['ssh', '-F', P.sshConfig, NODE, 'true'], { ok: true })
  assert.equal(ok.code, 0, ok.stderr)
  const cfg = fs.readFileSync(P.sshConfig, 'utf8')
  assert.match(cfg, /StrictHostKeyChecking yes/)
  const bogus = path.join(LAB_DIR, 'bogus_known_hosts')
  const other = fs.readFileSync(`${P.identity}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')
  fs.writeFileSync(bogus, `[${NODE}]:${NET.sshPort},[${NET.nodeIP}]:${NET.sshPort} ${other}\n`)
  const bad = run(['ssh', '-F', P.sshConfig, '-o', `UserKnownHostsFile=${bogus}`, NODE, 'true'], { ok: true })
  fs.rmSync(bogus)
  assert.not.equal(bad.code, 0)
  assert.match(bad.stderr, /HOST IDENTIFICATION HAS CHANGED|Host key verification failed/)
})

test('dig from a pod netns answers from the kube-dns ClusterIP; names outside the cluster get NXDOMAIN', () => {
  const pid = String(podPid('shop', 'client'))
  const a = run(['nsenter', '-t', pid, '-n', 'dig', '+short', `@${NET.dnsIP}`, 'kubernetes.default.svc.cluster.local'])
  assert.equal(a.stdout.trim(), NET.kubernetesSvcIP)
  const nx = run(['nsenter', '-t', pid, '-n', 'dig', `@${NET.dnsIP}`, 'example.com'])
  assert.match(nx.stdout, /status: NXDOMAIN/)
  const corefile = kubectlJSON(['get', 'configmap', 'coredns', '-n', 'kube-system']).data.Corefile
  assert.not.match(corefile, /forward/, 'no upstream forwarder')
})

test('network safety: pod traffic for anywhere else is unreachable; lab ranges are unreachable aggregates', () => {
  const rules = run(['ip', 'rule', 'show']).stdout
  assert.match(rules, new RegExp(`from ${NET.podCIDR.replace(/\./g, '\\.')} lookup ${NET.routeTable}`))
  const routes = run(['ip', 'route', 'show', 'type', 'unreachable']).stdout
  assert.match(routes, /unreachable 10\.244\.0\.0\/16/)
  assert.match(routes, /unreachable 10\.96\.0\.0\/12/)
  const get = run(['ip', 'route', 'get', '1.1.1.1', 'from', '10.244.0.50', 'iif', NET.cniBridge], { ok: true })
  assert.not.equal(get.code, 0)
  assert.match(get.stderr, /No route to host|unreachable/i)
  const pid = String(podPid('shop', 'client'))
  const ping = run(['nsenter', '-t', pid, '-n', 'ping', '-c', '1', '-W', '1', '192.0.2.1'], { ok: true })
  assert.not.equal(ping.code, 0)
})

test('env prints the exports kinspect, kubectl and ssh need', () => {
  const r = labCli('env')
  for (const [k, v] of Object.entries(labEnvVars())) assert.ok(r.stdout.includes(`export ${k}=${JSON.stringify(v)}`), k)
})

function leftovers(): string[] {
  const found: string[] = []
  const procs = run(['ps', '-eo', 'args']).stdout.split('\n')
  for (const p of procs) if (p.includes(CACHE_DIR) || p.includes(`${RUN_DIR}/containerd.sock`) || p.includes(`${LAB_DIR}/ssh/sshd_config`)) found.push(`process: ${p}`)
  for (const l of [NET.hostIf, NET.cniBridge]) if (run(['ip', 'link', 'show', l], { ok: true }).code === 0) found.push(`interface ${l}`)
  if (run(['ip', '-o', 'link', 'show', 'type', 'veth']).stdout.trim()) found.push('veth interfaces')
  if (run(['ip', 'rule', 'show']).stdout.includes(`lookup ${NET.routeTable}`)) found.push('ip rule')
  if (run(['ip', 'route', 'show', 'type', 'unreachable']).stdout.includes('10.244.0.0/16')) found.push('unreachable route')
  const ipt = run(['iptables-save']).stdout
  for (const m of ipt.match(/^:(KUBE-\S+|KINSPECT-\S+|CNI-\S+)/gm) ?? []) found.push(`iptables chain ${m}`)
  if (run(['nft', 'list', 'tables']).stdout.includes('kube-proxy')) found.push('nft table kube-proxy')
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8')
  for (const root of [LAB_DIR, RUN_DIR, path.join(CACHE_DIR, 'containerd-root'), '/run/netns/cni-']) if (mounts.includes(` ${root}`)) found.push(`mount under ${root}`)
  if (fs.existsSync('/run/netns') && fs.readdirSync('/run/netns').some((f) => f.startsWith('cni-'))) found.push('netns')
  return found
}

test('down leaves nothing behind; up brings it all back', () => {
  const saved = JSON.parse(fs.readFileSync(path.join(LAB_DIR, 'sysctl.orig.json'), 'utf8')) as Record<string, string>
  const d = labCli('down')
  assert.equal(d.code, 0, d.stderr)
  assert.equal(leftovers(), [])
  for (const [k, v] of Object.entries(saved)) assert.equal(fs.readFileSync(`/proc/sys/${k}`, 'utf8').trim(), v, `sysctl ${k} restored`)
  const t0 = Date.now()
  const u = labCli('up')
  assert.equal(u.code, 0, u.stderr.slice(-2000))
  console.log(`    lab up from down: ${((Date.now() - t0) / 1000).toFixed(1)} s (binaries and images cached)`)
  assert.ok(workloadsReady())
})

test.run()
