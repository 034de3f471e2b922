// A fleet over the lab's three real nodes without SSH (nodeAccess transports: [pod]), peers in the same run:
// - cold: a new session's first `fleet(['lab-1','lab-2','lab-3']).$`true`` through one DaemonSet (fleet.daemonSetAbove
//   2: create, 3 pods ready, probe, agent) vs through a node pod per node (daemonSetAbove 100), rounds interleaved;
//   and each session's end (the deletion, waited for until the pods are gone);
// - warm: the same fleet again with the pods up, vs a `kubectl exec POD -- true` loop over the three pods (one
//   process per node, one after the other, as a shell loop does) and the same three `kubectl exec` processes at once.
// Usage (holds the lab: run under the lock): flock /tmp/kinspect-lab-e2e.lock node --import tsx bench/fleetds.ts [ROUNDS] [WARM_N]
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { loadConfig } from '../src/config.ts'
import { bindFleet } from '../src/fleet/index.ts'
import { Session } from '../src/session.ts'
import { CONTEXT, labEnvVars, labPaths } from '../test/lab/layout.ts'
import { IMAGES } from '../test/lab/manifests.ts'
import { countArg } from './common.ts'

const ROUNDS = countArg(2, 3, 1, 10)
const WARM = countArg(3, 10, 1, 100)
const NODES = ['lab-1', 'lab-2', 'lab-3']
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-bench-fleetds-'))
const KC = labPaths().kubeconfig

function configFile(name: string, above: number): string {
  const f = path.join(tmp, `${name}.recipes`)
  fs.writeFileSync(
    f,
    `context: ${CONTEXT}\nfleet:\n  daemonSetAbove: ${above}\nnodeAccess:\n  transports: [pod]\n  pods: always\n  image: ${IMAGES.nodePod}\n`,
  )
  return f
}
const CONFIGS = { daemonset: configFile('ds', 2), pods: configFile('pods', 100) }

async function open(kind: keyof typeof CONFIGS): Promise<Session> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...labEnvVars(),
    KINSPECT_CONFIG: CONFIGS[kind],
    HOME: tmp,
  }
  delete env.KINSPECT_SSH_CONFIG
  delete env.KINSPECT_KNOWN_HOSTS
  delete env.SSH_AUTH_SOCK
  const s = await Session.create({ config: loadConfig({ cwd: tmp, env }), env })
  await s.load()
  return s
}

function run(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    c.stderr.on('data', (d) => (err += d))
    c.on('error', reject)
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${argv.join(' ')}: ${code} ${err}`))))
  })
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`)

async function fleetTrue(s: Session, via: string): Promise<number> {
  const t0 = performance.now()
  const r = await bindFleet(s)(NODES).timeout(120_000).$`true`
  const ms = performance.now() - t0
  if (!r.ok || r.results.some((x) => x.transport !== via))
    throw new Error(
      `fleet over ${via}: ${JSON.stringify(r.results.map((x) => [x.node, x.transport, x.error, x.message]))}`,
    )
  return ms
}

const cold = { daemonset: [] as number[], pods: [] as number[] }
const close = { daemonset: [] as number[], pods: [] as number[] }
const warm = { daemonset: [] as number[], pods: [] as number[], loop: [] as number[], parallel: [] as number[] }

for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? (['pods', 'daemonset'] as const) : (['daemonset', 'pods'] as const)
  for (const kind of order) {
    const s = await open(kind)
    try {
      cold[kind].push(await fleetTrue(s, kind === 'daemonset' ? 'daemonset' : 'pod'))
      if (round === 0) {
        // warm, with the pods up; the kubectl peers exec into the same pods
        const names = JSON.parse(
          await new Promise<string>((resolve, reject) => {
            const c = spawn(
              'kubectl',
              [
                '--kubeconfig',
                KC,
                'get',
                'pods',
                '-n',
                'kube-system',
                '-l',
                'app.kubernetes.io/managed-by=kinspect',
                '-o',
                'json',
              ],
              { stdio: ['ignore', 'pipe', 'inherit'] },
            )
            let out = ''
            c.stdout.on('data', (d) => (out += d))
            c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error('kubectl get pods'))))
          }),
        ).items.map((p: { metadata: { name: string } }) => p.metadata.name) as string[]
        const exec = (pod: string) =>
          run(['kubectl', '--kubeconfig', KC, 'exec', '-n', 'kube-system', pod, '-c', 'node', '--', 'true'])
        for (let i = 0; i < WARM; i++) {
          warm[kind].push(await fleetTrue(s, kind === 'daemonset' ? 'daemonset' : 'pod'))
          if (kind === 'daemonset') {
            let t0 = performance.now()
            for (const p of names) await exec(p)
            warm.loop.push(performance.now() - t0)
            t0 = performance.now()
            await Promise.all(names.map(exec))
            warm.parallel.push(performance.now() - t0)
          }
        }
      }
    } finally {
      const t0 = performance.now()
      const r = await s.shutdown()
      close[kind].push(performance.now() - t0)
      if (r.remaining.length) console.error(`left: ${JSON.stringify(r.remaining)}`)
    }
  }
}

console.log(
  `fleet \`true\` on ${NODES.join(', ')} without SSH (medians; cold: ${ROUNDS} rounds interleaved, warm: N=${WARM}; load ${os.loadavg()[0].toFixed(1)})`,
)
console.log(
  '| | one DaemonSet | a node pod per node | `kubectl exec` loop (3 processes, in turn) | 3 `kubectl exec` at once |',
)
console.log('|---|---|---|---|---|')
console.log(
  `| cold (new session: pods made, ready, probed) | ${fmt(med(cold.daemonset))} | ${fmt(med(cold.pods))} | — | — |`,
)
console.log(
  `| warm (pods up) | ${fmt(med(warm.daemonset))} | ${fmt(med(warm.pods))} | ${fmt(med(warm.loop))} | ${fmt(med(warm.parallel))} |`,
)
console.log(
  `| session end (deleted, waited until gone) | ${fmt(med(close.daemonset))} | ${fmt(med(close.pods))} | — | — |`,
)
fs.rmSync(tmp, { recursive: true, force: true })
