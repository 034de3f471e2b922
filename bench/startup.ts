// Start-up benchmark (issue 12, item 8): `kinspect -e 1` from the bundled dist/ (rebuilt here first, from the current
// sources) and from the sources through tsx, the time to the interactive prompt, next to `kubectl version --client`
// (the peer) and `node -e 0` (the floor), all in the same run; with the lab also a first API call, `-e` listing pods,
// next to `kubectl get pods`. Rounds are interleaved (each round runs every command
// once), so a change of machine load hits every row alike. Targets: -e 1 (dist) within 1.3x kubectl; prompt <= 150 ms.
// The prompt is timed on a stdin pipe (the REPL without a terminal): spawn to the first `> ` on stdout, then .exit.
// NODE_EXTRA_CA_CERTS, when set (as on the lab machine: the system CA bundle), makes node parse that file at every
// start, before any script runs; two more rows show kinspect and node without it, to say what that costs.
// Usage: [BEFORE=other/bin/kinspect.mjs] node --import tsx bench/startup.ts [RUNS]   (default 20)
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { labEnvVars, labPaths } from '../test/lab/layout.ts'
import { build } from '../scripts/build.ts'
import { median } from './common.ts'

const root = path.resolve(import.meta.dirname, '..')
const bin = path.join(root, 'bin', 'kinspect.mjs')
const runs = Number(process.argv[2] ?? 20)

/** The lab's environment when the lab is there, else a throw-away kubeconfig and .recipes (same parsing work). */
function benchEnv(): { env: NodeJS.ProcessEnv; what: string } {
  if (fs.existsSync(labPaths().kubeconfig))
    return { env: { ...process.env, ...labEnvVars() }, what: 'lab kubeconfig and .recipes' }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-bench-'))
  fs.writeFileSync(
    path.join(dir, 'kubeconfig'),
    `apiVersion: v1\nkind: Config\ncurrent-context: bench\nclusters:\n- name: bench\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: bench\n  user: {token: x}\ncontexts:\n- name: bench\n  context: {cluster: bench, user: bench, namespace: shop}\n`,
  )
  fs.writeFileSync(
    path.join(dir, '.recipes'),
    'context: bench\nnamespace: shop\nnodes:\n  - match: "lab-*"\n    user: root\n    port: 2222\n',
  )
  return {
    env: { ...process.env, KUBECONFIG: path.join(dir, 'kubeconfig'), KINSPECT_CONFIG: path.join(dir, '.recipes') },
    what: 'a throw-away kubeconfig (unreachable server) and .recipes',
  }
}

/** ms from spawn to the first prompt on stdout; then .exit. */
function timeToPrompt(env: NodeJS.ProcessEnv, launcher = bin): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, [launcher], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let t = -1
    child.stdout.on('data', (d) => {
      out += d
      if (t < 0 && /> $/.test(out)) {
        t = performance.now() - t0
        child.stdin.end('.exit\n')
      }
    })
    child.on('error', reject)
    child.on('exit', (code) =>
      t >= 0 ? resolve(t) : reject(new Error(`kinspect exited ${code} before its prompt: ${out}`)),
    )
  })
}

/** ms from spawn to exit of a command; `expect` (when given) must be its whole stdout, trimmed. */
function timeCommand(cmd: string, args: string[], env = process.env, expect?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = performance.now() - t0
      if (code !== 0 || (expect !== undefined && out.trim() !== expect))
        reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}, printed ${JSON.stringify(out.slice(0, 200))}`))
      else resolve(ms)
    })
  })
}

const t0 = performance.now()
await build(path.join(root, 'dist'))
const buildMs = performance.now() - t0
const { env, what } = benchEnv()
const dist = { ...env, KINSPECT_FROM_SOURCE: '0' }
const source = { ...env, KINSPECT_FROM_SOURCE: '1' }
/**
 * kubectl itself. Where `kubectl` on PATH is gcloud's dispatcher (its version ends in "-dispatcher"; with a
 * KUBECONFIG set it reads it and searches PATH before it answers, which doubled its start here), the newest
 * kubectl.X.Y beside it: the binary the dispatcher would run.
 */
function kubectlBinary(): string {
  // Without a KUBECONFIG the dispatcher names itself (with one it answers as the kubectl it chose).
  const { KUBECONFIG: _, ...bare } = process.env
  const v = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', env: bare })
  if (!/-dispatcher\b/.test(v.stdout ?? '')) return 'kubectl'
  const found = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim()
  const dir = path.dirname(fs.realpathSync(found))
  const minor = (f: string) => f.split('.').slice(1).map(Number)
  const real = fs
    .readdirSync(dir)
    .filter((f) => /^kubectl\.\d+\.\d+$/.test(f))
    .sort((a, b) => minor(a)[0] - minor(b)[0] || minor(a)[1] - minor(b)[1])
    .at(-1)
  return real ? path.join(dir, real) : 'kubectl'
}
const KUBECTL = kubectlBinary()

/** env without NODE_EXTRA_CA_CERTS. */
function withoutExtraCa(e: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _, ...rest } = e
  return rest
}

const PODS = '(await pods()).length'
const KUBECTL_PODS = ['get', 'pods', '-n', 'shop', '-o', 'name']
/** With the lab: how many pods shop has (what both must print). */
const lab = fs.existsSync(labPaths().kubeconfig)
  ? {
      pods: String(
        spawnSync(KUBECTL, KUBECTL_PODS, { env, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length,
      ),
    }
  : undefined
const rows: { name: string; f: () => Promise<number>; xs: number[] }[] = [
  { name: 'kinspect -e 1 (dist/)', f: () => timeCommand(process.execPath, [bin, '-e', '1'], dist, '1'), xs: [] },
  {
    name: 'kinspect -e 1 (source, tsx)',
    f: () => timeCommand(process.execPath, [bin, '-e', '1'], source, '1'),
    xs: [],
  },
  { name: 'kinspect to prompt (dist/)', f: () => timeToPrompt(dist), xs: [] },
  { name: 'kinspect to prompt (source, tsx)', f: () => timeToPrompt(source), xs: [] },
  // With the lab: the first API call of a process, next to kubectl's (client-node is loaded on first use).
  ...(lab
    ? [
        {
          name: 'kinspect -e pods (dist/)',
          f: () => timeCommand(process.execPath, [bin, '-e', PODS], dist, lab.pods),
          xs: [] as number[],
        },
        { name: 'kubectl get pods -o name', f: () => timeCommand(KUBECTL, KUBECTL_PODS, env), xs: [] as number[] },
      ]
    : []),
  // BEFORE=path/to/bin/kinspect.mjs adds another copy of kinspect (an older build: its dist/ is run) to the rounds.
  ...(process.env.BEFORE
    ? [
        {
          name: 'kinspect -e 1 (BEFORE)',
          f: () => timeCommand(process.execPath, [process.env.BEFORE!, '-e', '1'], dist, '1'),
          xs: [] as number[],
        },
        { name: 'kinspect to prompt (BEFORE)', f: () => timeToPrompt(dist, process.env.BEFORE), xs: [] as number[] },
        ...(lab
          ? [
              {
                name: 'kinspect -e pods (BEFORE)',
                f: () => timeCommand(process.execPath, [process.env.BEFORE!, '-e', PODS], dist, lab.pods),
                xs: [] as number[],
              },
            ]
          : []),
      ]
    : []),
  { name: 'kubectl version --client', f: () => timeCommand(KUBECTL, ['version', '--client'], env), xs: [] },
  { name: 'node -e 0 (floor)', f: () => timeCommand(process.execPath, ['-e', '0']), xs: [] },
  ...(process.env.NODE_EXTRA_CA_CERTS
    ? [
        {
          name: 'kinspect -e 1 (dist/), no NODE_EXTRA_CA_CERTS',
          f: () => timeCommand(process.execPath, [bin, '-e', '1'], withoutExtraCa(dist), '1'),
          xs: [] as number[],
        },
        {
          name: 'node -e 0, no NODE_EXTRA_CA_CERTS',
          f: () => timeCommand(process.execPath, ['-e', '0'], withoutExtraCa(process.env)),
          xs: [] as number[],
        },
      ]
    : []),
]
for (const r of rows) await r.f() // warm the file cache
for (let i = 0; i < runs; i++) for (const r of rows) r.xs.push(await r.f())

console.log(
  `# start-up, median of ${runs} interleaved runs, ${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; config: ${what}; dist/ rebuilt first (${buildMs.toFixed(0)} ms); kubectl: ${KUBECTL}`,
)
const med = new Map(rows.map((r) => [r.name, median(r.xs)]))
for (const r of rows)
  console.log(
    `${r.name.padEnd(Math.max(...rows.map((x) => x.name.length)))} median ${med.get(r.name)!.toFixed(0).padStart(5)} ms   min ${Math.min(
      ...r.xs,
    )
      .toFixed(0)
      .padStart(5)}   max ${Math.max(...r.xs)
      .toFixed(0)
      .padStart(5)}`,
  )
const e1 = med.get('kinspect -e 1 (dist/)')!
const kubectl = med.get('kubectl version --client')!
const prompt = med.get('kinspect to prompt (dist/)')!
const ratio = e1 / kubectl
console.log(`target -e 1 (dist/) <= 1.3x kubectl: ${ratio.toFixed(2)}x ${ratio <= 1.3 ? 'met' : 'NOT met'}`)
console.log(`target prompt (dist/) <= 150 ms: ${prompt.toFixed(0)} ms ${prompt <= 150 ? 'met' : 'NOT met'}`)
