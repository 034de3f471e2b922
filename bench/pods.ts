// Listing benchmark: median of a warm `kube.pods()` vs spawning `kubectl get pods -o json`, over 100 pods.
// Creates namespace bench-pods with a 100-replica pause Deployment in the lab, measures, then deletes it.
// Usage: node --import tsx bench/pods.ts [RUNS]   (default 20; needs the lab: npm run lab -- up)
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { performance } from 'node:perf_hooks'
import { labPaths } from '../test/lab/layout.ts'
import { Kube, loadKubeconfig } from '../src/kube/index.ts'
import { renderTable } from '../src/render/table.ts'
import { median } from './common.ts'

const KC = labPaths().kubeconfig
const NS = 'bench-pods'
const PODS = 100
const RUNS = Math.min(100, Math.max(1, Number(process.argv[2] ?? 20)))
const WAIT_CREATE_MS = 180_000
const WAIT_DELETE_MS = 120_000

const manifest = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pause, namespace: ${NS}}
spec:
  replicas: ${PODS}
  selector: {matchLabels: {app: bench-pause}}
  template:
    metadata: {labels: {app: bench-pause}}
    spec:
      terminationGracePeriodSeconds: 0
      enableServiceLinks: false
      automountServiceAccountToken: false
      containers:
      - {name: pause, image: kinspect.local/pause:3.10, imagePullPolicy: Never}
`

function kubectl(args: string[], input?: string, timeoutMs = 60_000) {
  const r = spawnSync('kubectl', ['--kubeconfig', KC, ...args], { input, encoding: 'utf8', timeout: timeoutMs })
  if (r.status !== 0)
    throw new Error(`kubectl ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`)
  return r.stdout
}

/** ms from spawn to exit, with the stdout size (to check the command listed the pods). */
function timeKubectl(): Promise<{ ms: number; out: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn('kubectl', ['--kubeconfig', KC, 'get', 'pods', '-n', NS, '-o', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve({ ms: performance.now() - t0, out }) : reject(new Error(`kubectl exited ${code}`)),
    )
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const f1 = (x: number) => x.toFixed(1)

async function main() {
  if (!fs.existsSync(KC)) {
    console.error(`no lab kubeconfig at ${KC}; start the lab first (npm run lab -- up)`)
    process.exit(2)
  }
  const kube = new Kube(loadKubeconfig({ kubeconfig: KC }), { namespace: NS })
  let cleaned = false
  const cleanup = async () => {
    if (cleaned) return
    cleaned = true
    console.log(`# deleting namespace ${NS}`)
    try {
      kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=false'])
      const t0 = Date.now()
      while (Date.now() - t0 < WAIT_DELETE_MS) {
        const r = spawnSync('kubectl', ['--kubeconfig', KC, 'get', 'namespace', NS], {
          encoding: 'utf8',
          timeout: 30_000,
        })
        if (r.status !== 0 && /NotFound/.test(r.stderr))
          return console.log(`# ${NS} deleted in ${Math.round((Date.now() - t0) / 1000)}s`)
        await sleep(2000)
      }
      console.log(`# ${NS} still terminating after ${WAIT_DELETE_MS / 1000}s; it will finish on its own`)
    } finally {
      kube.close()
    }
  }
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)))
  try {
    console.log(`# creating ${PODS} pause pods in namespace ${NS}`)
    kubectl(['apply', '-f', '-'], manifest)
    const t0 = Date.now()
    let pods = await kube.pods()
    while (pods.length < PODS && Date.now() - t0 < WAIT_CREATE_MS) {
      await sleep(2000)
      pods = await kube.pods()
    }
    const running = () => pods.filter((p) => p.status?.phase === 'Running').length
    while (running() < PODS && Date.now() - t0 < WAIT_CREATE_MS) {
      await sleep(3000)
      pods = await kube.pods()
    }
    console.log(`# ${pods.length} pods exist (${running()} Running) after ${Math.round((Date.now() - t0) / 1000)}s`)
    if (pods.length < PODS)
      throw new Error(`only ${pods.length}/${PODS} pods were created within ${WAIT_CREATE_MS / 1000}s`)

    await kube.pods() // warm: client-node loaded, TLS connection open
    const ours: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now()
      const l = await kube.pods()
      ours.push(performance.now() - t)
      if (l.length < PODS) throw new Error(`kube.pods() returned ${l.length} pods`)
    }
    const theirs: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const r = await timeKubectl()
      theirs.push(r.ms)
      if (i === 0 && JSON.parse(r.out).items.length < PODS) throw new Error('kubectl listed fewer pods than expected')
    }
    const row = (what: string, xs: number[]): string[] => [
      what,
      f1(median(xs)),
      f1(Math.min(...xs)),
      f1(Math.max(...xs)),
      String(xs.length),
    ]
    console.log(
      renderTable(
        ['WHAT', 'MEDIAN ms', 'MIN ms', 'MAX ms', 'RUNS'],
        [row('kube.pods() warm', ours), row('kubectl get pods -o json', theirs)],
        { color: false },
      ),
    )
    const ratio = median(theirs) / median(ours)
    console.log(
      `ratio kubectl / kube.pods() = ${ratio.toFixed(1)} (kube.pods() is ${ratio >= 1 ? `${ratio.toFixed(1)}x faster` : `${(1 / ratio).toFixed(1)}x slower`}; ${pods.length} pods)`,
    )
  } finally {
    await cleanup()
  }
}

main().catch((e) => {
  console.error(`bench/pods: ${e.message}`)
  process.exitCode = 1
})
