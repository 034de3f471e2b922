// lab up / down / status / env: a real three-node Kubernetes cluster on this machine.
// The parts: prepare.ts (root, packages, keys and configs), health.ts (is it up, status), down.ts, kubectl.ts.
import fs from 'node:fs'
import path from 'node:path'
import { LAB_DIR, NODES, labEnvVars, labPaths, nodePaths } from './layout.ts'
import { accessManifest } from './access.ts'
import { ensureBinaries } from './build.ts'
import { ETCD_URL, NODE_DAEMONS, onNode, start } from './components.ts'
import { reconcileFanout } from './fanout.ts'
import { setupHostNetwork } from './host.ts'
import { ensureImages } from './images.ts'
import { corednsManifest, metricsServerManifest, shopManifest } from './manifests.ts'
import { ensureNodeNamespaces, inNode } from './nodes.ts'
import { sshIsOff } from './sshswitch.ts'
import { progress, succeeds, waitFor } from './sh.ts'
import { kubectl } from './kubectl.ts'
import { downComponents, healthy, notReadyNodes, status, waitHealthy } from './health.ts'
import { ensureDeps, requireRoot, writeKeysAndConfigs } from './prepare.ts'

export { kubectl, kubectlJSON } from './kubectl.ts'
export { downComponents, healthy, status, waitHealthy, workloadsReady } from './health.ts'
export { down } from './down.ts'

const P = labPaths()

async function httpOK(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) })
    return r.ok
  } catch {
    return false
  }
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
