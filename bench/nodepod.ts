// Node access through the API, peers measured in the same run on lab-1:
// - warm `run(['true'])` over the node pod transport vs a `kubectl exec` process into the same pod
//   (and, for reference, a bare exec of `true` into that pod: the API server + kubelet + runtime floor);
// - vs `kubectl debug node/lab-1 --profile=sysadmin --image=<lab image> --attach -- true`, its pod start included
//   (the debug pods it leaves behind are deleted after each call, outside the timing);
// - the first command on a node with a fresh session, pod creation included.
// Usage: node --import tsx bench/nodepod.ts [N] [DEBUG_N]   (default 30 and 5; needs the lab)
import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { labPaths, NODE } from '../test/lab/layout.ts'
import { IMAGES } from '../test/lab/manifests.ts'
import { Kube, loadKubeconfig, kubeNodePodApi } from '../src/kube/index.ts'
import { NodePods, NodePodExec } from '../src/exec/nodepod/index.ts'

const N = Math.min(Math.max(Number(process.argv[2] ?? 30) || 30, 1), 500)
const DEBUG_N = Math.min(Math.max(Number(process.argv[3] ?? 5) || 5, 1), 50)
const KC = labPaths().kubeconfig
const kubectl = ['kubectl', '--kubeconfig', KC]

// Runs a process to completion (bounded); rejects on a non-zero exit.
function run(argv: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (b) => (out += b))
    child.stderr.on('data', (b) => (err += b))
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(t)
      code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')} exited ${code}: ${err.trim()}`))
    })
  })
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
const pct = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]

// Interleaves the methods (rotating order each round) so load drift on the machine hits them alike.
async function measure(methods: { name: string; once: () => Promise<unknown> }[], n: number): Promise<{ name: string; ms: number[] }[]> {
  for (const m of methods) await m.once() // warm-up
  const ms = methods.map(() => [] as number[])
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < methods.length; k++) {
      const j = (i + k) % methods.length
      const t0 = performance.now()
      await methods[j].once()
      ms[j].push(performance.now() - t0)
    }
  }
  return methods.map((m, j) => ({ name: m.name, ms: ms[j] }))
}

async function debugPods(): Promise<string[]> {
  const out = await run([...kubectl, 'get', 'pods', '-A', '-l', 'app.kubernetes.io/managed-by=kubectl-debug', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}'])
  return out.split('\n').filter(Boolean)
}
async function deleteDebugPods(): Promise<void> {
  for (const p of await debugPods()) {
    const [ns, name] = p.split('/')
    await run([...kubectl, 'delete', 'pod', '-n', ns, name, '--grace-period=1', '--wait=true'])
  }
}

async function main(): Promise<void> {
  const kube = new Kube(loadKubeconfig({ kubeconfig: KC }))
  const api = kubeNodePodApi(kube)
  const rows: { name: string; ms: number[] }[] = []
  const pods = new NodePods(api, { image: IMAGES.nodePod })
  try {
    if ((await debugPods()).length) throw new Error('kubectl-debug pods exist before the run; delete them first')
    const exec = new NodePodExec(pods, NODE)
    const ref = await pods.ensure(NODE)
    rows.push(
      ...(await measure(
        [
          { name: "node pod transport: run(['true'])", once: () => exec.run(['true']) },
          { name: 'kubectl exec POD -- true (a process)', once: () => run([...kubectl, 'exec', '-n', ref.namespace, ref.name, '-c', 'node', '--', 'true']) },
          { name: '  (floor: bare exec of true, no wrapper)', once: () => kube.exec({ namespace: ref.namespace, pod: ref.name, container: 'node', command: ['true'] }) },
        ],
        N,
      )),
    )
    // kubectl debug: one new pod per command; its leftovers are removed after each call (not timed).
    const debug: number[] = []
    for (let i = 0; i < DEBUG_N; i++) {
      const t0 = performance.now()
      await run([...kubectl, 'debug', `node/${NODE}`, '--profile=sysadmin', `--image=${IMAGES.nodePod}`, '--image-pull-policy=Never', '--attach', '--quiet', '--', 'true'], 120_000)
      debug.push(performance.now() - t0)
      await deleteDebugPods()
    }
    rows.push({ name: `kubectl debug node/${NODE} --profile=sysadmin -- true`, ms: debug })
    // First command with a fresh session: access review, pod creation, start, probe, the command.
    const first: number[] = []
    for (let i = 0; i < DEBUG_N; i++) {
      const fresh = new NodePods(api, { image: IMAGES.nodePod })
      try {
        const t0 = performance.now()
        await new NodePodExec(fresh, NODE).run(['true'])
        first.push(performance.now() - t0)
      } finally {
        await fresh.close()
      }
    }
    rows.push({ name: 'first command on a node (pod creation included)', ms: first })
  } finally {
    await pods.close()
    await deleteDebugPods().catch((e) => console.error(`could not delete kubectl-debug pods: ${e.message}`))
    kube.close()
  }
  console.log(`\`true\` on ${NODE}; warm methods N=${N} each, interleaved after one warm-up call; kubectl debug and first command N=${DEBUG_N}\n`)
  console.log(`${'method'.padEnd(52)} ${'median ms'.padStart(10)} ${'p90 ms'.padStart(8)}`)
  for (const r of rows) console.log(`${r.name.padEnd(52)} ${pct(r.ms, 50).toFixed(1).padStart(10)} ${pct(r.ms, 90).toFixed(1).padStart(8)}`)
  const med = (i: number) => pct(rows[i].ms, 50)
  console.log(`\nkubectl exec / node pod: ${(med(1) / med(0)).toFixed(1)}x (target >= 5x)`)
  console.log(`kubectl debug / node pod: ${(med(3) / med(0)).toFixed(1)}x (target >= 20x)`)
  console.log(`first command: ${(med(4) / 1000).toFixed(2)} s (target <= 3 s)`)
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
