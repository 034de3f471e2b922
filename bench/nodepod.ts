// Node access through the API, peers measured in the same run on lab-1:
// - warm `run(['true'])` over the node pod transport (through the pod's agent, and as one exec per command) vs a
//   `kubectl exec` process into the same pod (and, for reference, a bare exec of `true` into that pod: the API
//   server + kubelet + runtime floor);
// - vs `kubectl debug node/lab-1 --profile=sysadmin --image=<lab image> --attach -- true`, its pod start included
//   (the debug pods it leaves behind are deleted after each call, outside the timing; pods it did not make are left);
// - the first command on a node with a fresh session, pod creation included;
// - where an agent command's time goes: the wrapper's processes alone (nsenter + timeout + true, looped in the pod),
//   and the same agent under busybox sh on this machine (lab-1 is this machine) without the API: the difference to
//   the former is sh's own cost, to the agent through the API the streaming round trip.
// Usage: node --import tsx bench/nodepod.ts [N] [DEBUG_N]   (default 30 and 5; needs the lab)
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { labPaths, NODE } from '../test/lab/layout.ts'
import { IMAGES } from '../test/lab/manifests.ts'
import { Kube, loadKubeconfig, kubeNodePodApi } from '../src/kube/index.ts'
import {
  AgentDecoder,
  NodePods,
  NodePodExec,
  agentCommand,
  encodeControl,
  encodeRequest,
} from '../src/exec/nodepod/index.ts'
import { countArg } from './common.ts'

const N = countArg(2, 30, 1, 500)
const DEBUG_N = countArg(3, 5, 1, 50)
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
async function measure(
  methods: { name: string; once: () => Promise<unknown> }[],
  n: number,
): Promise<{ name: string; ms: number[] }[]> {
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
  const out = await run([
    ...kubectl,
    'get',
    'pods',
    '-A',
    '-l',
    'app.kubernetes.io/managed-by=kubectl-debug',
    '-o',
    'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}',
  ])
  return out.split('\n').filter(Boolean)
}
async function deleteDebugPods(keep: string[]): Promise<void> {
  for (const p of (await debugPods()).filter((x) => !keep.includes(x))) {
    const [ns, name] = p.split('/')
    await run([...kubectl, 'delete', 'pod', '-n', ns, name, '--grace-period=1', '--wait=true'])
  }
}

// The agent under busybox sh on this machine, fed through pipes: per-command ms of `true` in the node's namespaces.
async function localAgent(n: number): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-bench-agent-'))
  const cmd = agentCommand({ nsenter: '/usr/bin/nsenter', target: '1' }, dir)
  const child = spawn('busybox', ['sh', ...cmd.slice(1)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const dec = new AgentDecoder()
  let wake: (() => void) | undefined
  let answers = 0
  child.stdout.on('data', (c: Buffer) => {
    for (const e of dec.push(c)) if (e.type === 'hello' || e.type === 'answer') (answers++, wake?.())
  })
  const next = (k: number) =>
    new Promise<void>((r) => {
      wake = () => answers >= k && r()
      wake()
    })
  try {
    await next(1)
    const ms: number[] = []
    for (let i = 0; i <= n; i++) {
      const t0 = performance.now()
      const got = next(answers + 1)
      child.stdin.write(encodeRequest({ id: `b${i}`, from: 'node', seconds: 30, argv: ['true'] }))
      await got
      if (i) ms.push(performance.now() - t0) // the first one warms up
    }
    child.stdin.write(encodeControl('Q'))
    return ms
  } finally {
    child.stdin.end()
    await new Promise((r) => setTimeout(r, 200))
    if (child.exitCode === null) child.kill()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const kube = new Kube(loadKubeconfig({ kubeconfig: KC }))
  const api = kubeNodePodApi(kube)
  const rows: { name: string; ms: number[] }[] = []
  const pods = new NodePods(api, { image: IMAGES.nodePod })
  const others = await debugPods() // kubectl-debug pods someone else left: not ours to delete
  const notes: string[] = []
  let loopMs = 0
  try {
    const exec = new NodePodExec(pods, NODE, { onNote: (n) => notes.push(n) })
    const oneShot = new NodePodExec(pods, NODE, { agent: false })
    const ref = await pods.ensure(NODE)
    rows.push(
      ...(await measure(
        [
          { name: "node pod transport: run(['true']) (agent)", once: () => exec.run(['true']) },
          {
            name: 'kubectl exec POD -- true (a process)',
            once: () => run([...kubectl, 'exec', '-n', ref.namespace, ref.name, '-c', 'node', '--', 'true']),
          },
          { name: '  (one exec per command: agent: false)', once: () => oneShot.run(['true']) },
          {
            name: '  (floor: bare exec of true, no wrapper)',
            once: () => kube.exec({ namespace: ref.namespace, pod: ref.name, container: 'node', command: ['true'] }),
          },
        ],
        N,
      )),
    )
    // The wrapper's processes alone, looped inside the pod (one command; its time divided by the loop count).
    const LOOP = 200
    const loop = await exec.run(
      [
        'sh',
        '-c',
        `i=0; while [ $i -lt ${LOOP} ]; do nsenter -t 1 -m -u -i -n -p -- timeout -k 2 30 true; i=$((i+1)); done`,
      ],
      { tool: 'image', timeoutMs: 120_000 },
    )
    loopMs = loop.durationMs / LOOP
    rows.push({ name: '  (the same agent, busybox sh here, no API)', ms: await localAgent(N) })
    // kubectl debug: one new pod per command; its leftovers are removed after each call (not timed).
    const debug: number[] = []
    for (let i = 0; i < DEBUG_N; i++) {
      const t0 = performance.now()
      await run(
        [
          ...kubectl,
          'debug',
          `node/${NODE}`,
          '--profile=sysadmin',
          `--image=${IMAGES.nodePod}`,
          '--image-pull-policy=Never',
          '--attach',
          '--quiet',
          '--',
          'true',
        ],
        120_000,
      )
      debug.push(performance.now() - t0)
      await deleteDebugPods(others)
    }
    rows.push({ name: `kubectl debug node/${NODE} --profile=sysadmin -- true`, ms: debug })
    // First command with a fresh session: access review, pod creation, start, probe, agent, the command.
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
    await deleteDebugPods(others).catch((e) => console.error(`could not delete kubectl-debug pods: ${e.message}`))
    kube.close()
  }
  console.log(
    `\`true\` on ${NODE}; warm methods N=${N} each, interleaved after one warm-up call; kubectl debug and first command N=${DEBUG_N}\n`,
  )
  console.log(`${'method'.padEnd(52)} ${'median ms'.padStart(10)} ${'p90 ms'.padStart(8)}`)
  for (const r of rows)
    console.log(`${r.name.padEnd(52)} ${pct(r.ms, 50).toFixed(1).padStart(10)} ${pct(r.ms, 90).toFixed(1).padStart(8)}`)
  console.log(`${'  (nsenter + timeout + true, looped in the pod)'.padEnd(52)} ${loopMs.toFixed(1).padStart(10)}`)
  const med = (name: string) => pct(rows.find((r) => r.name.startsWith(name))!.ms, 50)
  const agent = med('node pod transport')
  const local = med('  (the same agent')
  console.log(
    `\nwhere an agent command goes: wrapper processes ${loopMs.toFixed(1)} ms, the agent's sh ${(local - loopMs).toFixed(1)} ms, the API round trip ${(agent - local).toFixed(1)} ms`,
  )
  console.log(`kubectl exec / node pod: ${(med('kubectl exec') / agent).toFixed(1)}x (target >= 5x)`)
  console.log(`kubectl debug / node pod: ${(med('kubectl debug') / agent).toFixed(1)}x (target >= 20x)`)
  console.log(`first command: ${(med('first command') / 1000).toFixed(2)} s (target <= 3 s)`)
  if (notes.length) console.log(`\nnotes:\n${notes.join('\n')}`)
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
