// What each lab fault on a node must make a recipe that reads the nodes themselves (oom, image-pull, conntrack, node)
// report, whatever the transport: the SSH e2e tests (test/recipes/<recipe>.e2e.ts) and the node-pod ones
// (transport-pod-node-faults.e2e.ts) check their reports with these, so both transports are held to the same findings.
// The checks of the recipes that read nodes for Services, DNS and pod networking are in faultchecks.ts.
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { NotSeenKind } from '../../src/notseen.ts'
import { Writable } from 'node:stream'
import { runRecipe } from '../../src/recipes/index.ts'
import type { ReportData } from '../../src/recipes/report.ts'
import { headlessShell } from '../../src/repl/index.ts'
import type { Session } from '../../src/session.ts'
import { NODE, RUN_DIR } from '../lab/layout.ts'
import { kubectl } from '../net/labkit.ts'
import { failures, kinspectRun, stepFindings } from './lab.ts'

/** oomkill: shop/memhog's kill (exit 137), its cgroup's peak at the 32 MiB limit on lab-2, the kernel's CONSTRAINT_MEMCG line. */
export function oomKill(report: ReportData): void {
  const uid = kubectl('get', 'pod', 'memhog', '-n', 'shop', '-o', 'jsonpath={.metadata.uid}').trim()
  assert.is(stepFindings(report, 'Pick the pods')[0].message, '1 pod with an OOMKilled container: shop/memhog')
  const kill = stepFindings(report, 'The kill, and restarts over time')
  assert.equal(
    kill.map((f) => f.severity),
    ['fail'],
  )
  assert.match(
    kill[0].message,
    /^shop\/memhog\/hog was OOMKilled \(exit 137\) \d+s ago; \d+ restarts? in \d+s \([\d.]+\/h\); the last run lasted \d+s before the kill: it needs more than its limit almost at once$/,
  )
  assert.match(kill[0].evidence!.output, /Reason: +OOMKilled\n +Exit Code: +137/)
  const usage = stepFindings(report, 'Limit against usage (metrics API)')
  assert.is(usage.length, 1)
  assert.match(usage[0].evidence!.output, 'limit:   32 MiB')
  const cg = stepFindings(report, "The cgroup's peak and limit hits (on the node)")
  assert.equal(
    cg.map((f) => f.severity),
    ['fail'],
  )
  assert.match(
    cg[0].message,
    /^shop\/memhog: the pod's memory cgroup on lab-2 peaked at 32 MiB, its limit 32 MiB; usage hit the limit \d+ times?/,
  )
  assert.match(
    cg[0].evidence!.command,
    `ssh lab-2 cat /sys/fs/cgroup/memory/kinspect-lab-2/kubepods/pod${uid}/memory.{limit_in_bytes,max_usage_in_bytes,failcnt}`,
  )
  assert.match(cg[0].evidence!.output, 'memory.limit_in_bytes 33554432')
  const kernel = stepFindings(report, "The kernel's oom-kill line")
  assert.equal(
    kernel.map((f) => f.severity),
    ['fail'],
  )
  assert.match(
    kernel[0].message,
    /^shop\/memhog: the kernel on lab-2 killed dd \(anon-rss [\d.]+ MiB\): its memory cgroup's limit was reached \(CONSTRAINT_MEMCG\)$/,
  )
  assert.match(
    kernel[0].evidence!.output,
    new RegExp(`oom-kill:constraint=CONSTRAINT_MEMCG.*oom_memcg=/kinspect-lab-2/kubepods/pod${uid}.*task=dd`),
  )
  assert.match(kernel[0].evidence!.output, /Memory cgroup out of memory: Killed process \d+ \(dd\)/)
}

/** image-missing: the pulls classified from the kubelet's messages (unreachable registry, Never); lab-2 has no such image. */
export function imageMissing(report: ReportData): void {
  assert.is(
    stepFindings(report, 'Pick the pods')[0].message,
    '2 pods waiting on an image: shop/image-missing, shop/image-never',
  )
  const ref = stepFindings(report, 'The image reference')
  assert.is(ref[0].message, 'shop/image-missing/app: kinspect/missing:1.0 from registry.invalid')
  const policy = stepFindings(report, 'Pull policy')
  assert.equal(
    policy.map((f) => f.severity),
    ['info', 'fail'],
  )
  assert.is(
    policy[1].message,
    'shop/image-never/app: imagePullPolicy Never, so the kubelet never pulls kinspect.local/missing:1.0; it must already be on lab-2',
  )
  const cls = stepFindings(report, "The kubelet's message, classified")
  assert.equal(
    cls.map((f) => f.severity),
    ['fail', 'fail'],
  )
  assert.match(
    cls[0].message,
    /^shop\/image-missing\/app: (ErrImagePull|ImagePullBackOff), registry unreachable: lookup registry\.invalid on [\d.]+:53: dial udp [\d.]+:53: connect: network is unreachable$/,
  )
  assert.match(
    cls[0].evidence!.output,
    /Failed +\(x\d+\) +Failed to pull image "registry\.invalid\/kinspect\/missing:1\.0"/,
  )
  assert.match(cls[0].remedy!, 'lab-2 cannot reach the registry host')
  assert.is(
    cls[1].message,
    'shop/image-never/app: ErrImageNeverPull, policy: Container image "kinspect.local/missing:1.0" is not present with pull policy of Never',
  )
  assert.match(cls[1].remedy!, 'imagePullPolicy is Never and lab-2 does not have kinspect.local/missing:1.0')
  const onNode = stepFindings(report, 'Is the image on the node?')
  assert.match(onNode[0].message, /^lab-2 has no image named missing \(\d+ images in its runtime\)$/)
  assert.match(onNode[0].evidence!.output, 'kinspect.local/busybox')
}

/**
 * node-notready (lab-2's kubelet stopped): lab-2 is NotReady from the API. Over SSH the node is still reached, so
 * "the kubelet is not running" fails and the other node checks ran (`node --node lab-2`); through node pods nothing can
 * exec on lab-2, so its node checks are NOT SEEN with the node and why, and lab-1 and lab-3 are read (`node`).
 */
export function nodeNotReady(report: ReportData, via: 'ssh' | 'pod'): void {
  const node = 'lab-2'
  const ready = stepFindings(report, 'Conditions').filter((f) => f.severity === 'fail')
  assert.is(ready.length, 1, JSON.stringify(ready))
  assert.match(
    ready[0].message,
    new RegExp(
      `^${node} is NotReady: Ready=Unknown \\(NodeStatusUnknown: Kubelet stopped posting node status\\.\\); the kubelet stopped posting its status`,
    ),
  )
  assert.is(ready[0].evidence!.command, `kubectl describe node ${node}  # Conditions`)
  assert.match(ready[0].evidence!.output, /^Ready +Unknown /m)
  const kubelet = stepFindings(report, 'Is the kubelet running?')
  if (via === 'ssh') {
    assert.equal(
      kubelet.map((f) => [f.severity, f.message]),
      [['fail', `the kubelet is not running on ${node}`]],
    )
    assert.is(kubelet[0].evidence!.command, `ssh ${node} pgrep -x kubelet`)
    assert.match(kubelet[0].evidence!.output, '(exit 1)')
    assert.match(kubelet[0].remedy!, 'start it')
    // SSH still works, so the other node-side checks ran and found the log, a ready runtime and resources.
    assert.match(stepFindings(report, "The kubelet's log")[0].message, new RegExp(`^kubelet log on ${node}: `))
    assert.is(stepFindings(report, 'Container runtime')[0].severity, 'ok')
    const resources = stepFindings(report, 'Disk, memory and PIDs')
    assert.ok(resources.length > 0, 'the resources step reported something')
    assert.ok(
      resources.every((f) => f.severity === 'ok'),
      JSON.stringify(resources),
    )
    const lease = stepFindings(report, 'Lease heartbeat')[0]
    assert.ok(lease.severity === 'warn' || lease.severity === 'fail', `an old lease: ${lease.message}`)
    return
  }
  for (const n of ['lab-1', 'lab-3'])
    assert.ok(
      kubelet.some((f) => f.severity === 'ok' && f.message.startsWith(`the kubelet runs on ${n}`)),
      `${n}: ${JSON.stringify(kubelet)}`,
    )
  // Nothing is claimed about lab-2's kubelet: it is named only as not seen.
  assert.equal(
    kubelet.filter((f) => f.message.includes(node) && f.severity !== 'not-seen').map((f) => f.message),
    [],
    JSON.stringify(kubelet),
  )
  const lab2 = report.notSeen.filter((n) => n.what.includes(node))
  assert.ok(lab2.length >= 1, JSON.stringify(report.notSeen))
  assert.equal(
    report.notSeen.filter((n) => !n.what.includes(node)).map((n) => n.what),
    [],
    'only lab-2 is NOT SEEN',
  )
  assert.match(lab2[0].what, `the kubelet process on ${node}`)
  // why: no SSH, and the node pod was not even tried on a node whose kubelet stopped reporting
  assert.match(lab2[0].reason, 'is not Ready (Ready=Unknown NodeStatusUnknown')
  assert.match(lab2[0].reason, 'so a node pod cannot start there; none was created')
  console.log(`# lab-2 NOT SEEN: ${lab2.map((n) => `${n.what}: ${n.reason}`).join(' | ')}`)
}

/** A netfilter counter of this machine (lab-1, the node conntrack-full fills). */
export const sys = (k: string) => Number(fs.readFileSync(`/proc/sys/net/netfilter/${k}`, 'utf8').trim())

/** The kernel's conntrack drops since boot, by hand (conntrack -S). */
export const dropsByHand = () =>
  spawnSync('conntrack', ['-S'], { encoding: 'utf8' })
    .stdout.split('\n')
    .reduce((n, l) => n + Number(/\bdrop=(\d+)/.exec(l)?.[1] ?? 0), 0)

/** Waits until the table is really full: the scenario returns once drop > 0, which historic drops satisfy at once. */
export async function tableFull(timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    if (sys('nf_conntrack_count') >= 0.98 * sys('nf_conntrack_max')) return
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(
    `the conntrack table did not fill within ${timeoutMs / 1000} s: ${sys('nf_conntrack_count')}/${sys('nf_conntrack_max')}`,
  )
}

/** What conntrack-full is by hand, read before the recipe runs: the table's max, the drops so far, connfill's listener. */
export interface ConntrackByHand {
  max: number
  dropsBefore: number
  listener: { port: number; pid: number }
}

/** Reads the full table by hand (call after tableFull, before the recipe runs). */
export function conntrackByHand(): ConntrackByHand {
  const pid = Number(fs.readFileSync(path.join(RUN_DIR, 'connfill.pid'), 'utf8').trim())
  const ss = spawnSync('ss', ['-Hltnp'], { encoding: 'utf8' }).stdout
  const line = ss.split('\n').find((l) => l.includes(`pid=${pid},`))
  assert.ok(line, `connfill (pid ${pid}) listens: ${ss}`)
  const listener = { port: Number(/127\.0\.0\.1:(\d+)/.exec(line!)![1]), pid }
  return { max: sys('nf_conntrack_max'), dropsBefore: dropsByHand(), listener }
}

/**
 * conntrack-full, conntrack --node lab-1 --interval 3s through a session opened before the fault: the full table fails
 * with count/max and rising drops, the kernel's "table full" lines, connfill's loopback flows as the top destination.
 */
export function conntrackFull(report: ReportData, hand: ConntrackByHand): void {
  const { max, dropsBefore, listener } = hand
  assert.ok(dropsByHand() > dropsBefore, 'the kernel dropped packets while the recipe ran')
  assert.is(report.exitCode, 1, failures(report).join('\n'))
  assert.equal(report.notSeen, [])
  const fill = stepFindings(report, 'Table fill and drop counters').filter((f) => f.severity === 'fail')
  assert.is(fill.length, 1, JSON.stringify(fill))
  const m =
    /^lab-1: the conntrack table is full: (\d+) of (\d+) entries \((\d+)%\), and drop rose by (\d+) in 3 s \((\d+) since boot\): new connections are being dropped now$/.exec(
      fill[0].message,
    )
  assert.ok(m, fill[0].message)
  assert.is(Number(m![2]), max, 'nf_conntrack_max as read by hand')
  assert.ok(Number(m![1]) >= 0.95 * max && Number(m![3]) >= 95, fill[0].message)
  assert.ok(Number(m![4]) > 0 && Number(m![5]) >= dropsBefore, fill[0].message)
  assert.match(
    fill[0].evidence!.command,
    /^ssh lab-1 'cat \/proc\/sys\/net\/netfilter\/nf_conntrack_count \/proc\/sys\/net\/netfilter\/nf_conntrack_max; conntrack -S'  # twice, 3 s apart$/,
  )
  assert.match(fill[0].evidence!.output, new RegExp(`^nf_conntrack_max +${max} → ${max} *$`, 'm'))
  assert.match(fill[0].evidence!.output, /^nf_conntrack_count +\d+ → \d+ *$/m)
  assert.match(fill[0].evidence!.output, new RegExp(`^drop +\\d+ → \\d+ +\\(\\+${m![4]} in 3 s\\)$`, 'm'))
  assert.match(fill[0].remedy!, 'sysctl -w net.netfilter.nf_conntrack_max=N')

  const klog = stepFindings(report, 'The kernel log: table full, dropping packet')
  assert.is(klog[0].severity, 'fail', JSON.stringify(klog))
  assert.match(
    klog[0].message,
    /^lab-1: the kernel logs "nf_conntrack: table full, dropping packet": \d+ lines?, the last \d+ s ago, and drops are rising now$/,
  )
  assert.match(
    klog[0].evidence!.output,
    /^\[\s*\d+\.\d+\] nf_conntrack: (nf_conntrack: )?table full, dropping packet$/m,
  )

  // connfill's flows lead; the TIME_WAIT flows of an earlier connfill (another run within 2 min) may tie with them.
  const top = stepFindings(report, 'Top destinations and sources')[0]
  assert.is(top.severity, 'warn', top.message)
  assert.match(
    top.message,
    /^lab-1: top destination 127\.0\.0\.1:\d+\/tcp \(this node, lo[;)].*: \d+ of \d+ flows \(\d+%; (ESTABLISHED|TIME_WAIT) \d+/,
  )
  const connfillRow = new RegExp(
    `^(\\d+) +\\d+% +127\\.0\\.0\\.1:${listener.port}/tcp +ESTABLISHED (\\d+).* this node, lo; listening: connfill pid ${listener.pid}$`,
    'm',
  ).exec(top.evidence!.output)
  assert.ok(connfillRow, top.evidence!.output)
  assert.ok(Number(connfillRow![1]) >= 100, `connfill holds hundreds of the table's flows:\n${top.evidence!.output}`)
  if (top.message.includes(`:${listener.port}/tcp`))
    assert.match(top.message, `(this node, lo; listening: connfill pid ${listener.pid})`)

  const proxy = stepFindings(report, "kube-proxy's conntrack settings")[0]
  assert.match(proxy.message, `lab-1: kube-proxy's conntrack settings: maxPerCore 0, min 0`)
  assert.match(proxy.message, '(from /var/lib/kinspect-lab/kube-proxy.yaml)')

  const raise = stepFindings(report, 'Raising the limit')[0]
  assert.match(
    raise.message,
    new RegExp(
      `^lab-1: the table holds \\d+ of ${max} entries and drops are rising: raising nf_conntrack_max from ${max} to \\d+`,
    ),
  )
  assert.match(raise.remedy!, /^sysctl -w net\.netfilter\.nf_conntrack_max=\d+$/m)
  assert.match(raise.remedy!, /conntrack\.maxPerCore: \d+/)
}

/** Connects `session` to lab-1 and the API before the fault, as an operator's open shell is: those flows are tracked. */
export async function connectBefore(session: Session): Promise<void> {
  // step 1 lists the nodes, step 4 the pods and Services
  await session.node(NODE).$`true`
  await Promise.all([
    session.kube.pods(undefined, { allNamespaces: true }),
    session.kube.services(undefined, { allNamespaces: true }),
    session.kube.nodes(),
  ])
}

/** With conntrack-full on: waits for the full table, reads it by hand, runs conntrack in `session`, checks conntrackFull. */
export async function conntrackFullInSession(session: Session): Promise<void> {
  await tableFull()
  const hand = conntrackByHand()
  const sink = new Writable({
    write(_c, _e, cb) {
      cb()
    },
  })
  const report = (
    await runRecipe(
      'conntrack',
      { node: NODE, interval: '3s' },
      { session, shell: headlessShell, output: sink, format: 'json' },
    )
  ).toJSON() as ReportData
  conntrackFull(report, hand)
}

/**
 * conntrack-full, `kinspect run conntrack --node lab-1` started as a new process (with `env` over the lab's): bounded
 * (under 2 min), never an ERROR step; either lab-1 answers (the table-full finding, exit 1) or lab-1 is NOT SEEN with
 * why (of one of `kinds`, when given) and nothing is claimed about it (exit 2).
 */
export async function conntrackNewProcess(env: Record<string, string> = {}, kinds?: NotSeenKind[]): Promise<void> {
  const max = sys('nf_conntrack_max')
  const t0 = Date.now()
  const { code, report, err } = await kinspectRun('conntrack', ['--node', NODE, '--interval', '3s', '-o', 'json'], env)
  const took = Date.now() - t0
  assert.ok(report, err)
  const r = report!
  assert.equal(
    r.steps.filter((st) => st.status === 'error').map((st) => `${st.title}: ${st.error?.message}`),
    [],
  )
  assert.ok(took < 120_000, `the run took ${took} ms`)
  const fill = stepFindings(r, 'Table fill and drop counters').filter((f) => f.severity === 'fail')
  console.log(
    `# new process during conntrack-full: exit ${code} after ${took} ms; ${fill.length ? 'lab-1 reached' : 'lab-1 NOT SEEN'}`,
  )
  if (fill.length) {
    assert.is(code, 1, `${failures(r).join('\n')}\n${err}`)
    const m =
      /^lab-1: the conntrack table is full: (\d+) of (\d+) entries \((\d+)%\), and drop rose by (\d+) in 3 s/.exec(
        fill[0].message,
      )
    assert.ok(m, fill[0].message)
    assert.is(Number(m![2]), max, 'nf_conntrack_max as read by hand')
  } else {
    assert.is(code, 2, err)
    const lab1 = r.notSeen.filter((n) => /lab-1/.test(n.what))
    assert.ok(lab1.length > 0 && lab1[0].reason.trim() !== '', JSON.stringify(r.notSeen))
    if (kinds) assert.ok(kinds.includes(lab1[0].kind), JSON.stringify(lab1[0]))
    assert.equal(failures(r), [], 'nothing is claimed about a node that was not seen')
  }
}
