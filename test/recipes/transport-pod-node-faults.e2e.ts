// The fault cases of the recipes that read the nodes themselves (conntrack, oom, image-pull, node), with SSH unavailable
// (`lab ssh off`, once for the file): the same findings fail with the same evidence as over SSH, read through node
// pods, and no kinspect pod is left. node-notready stops lab-2's kubelet, so nothing can exec into a pod there: the
// API's findings stand, lab-2's node checks are NOT SEEN with the node and why, lab-1 and lab-3 are read, and the exit
// code follows the findings (1, not 2). Each scenario is switched on once and always off again; ssh always on again.
// conntrack-full comes after the others: right after it, the kubelets may still be reconnecting to the API server.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import { Writable } from 'node:stream'
import { runRecipe, type ReportData } from '../../src/recipes/index.ts'
import { headlessShell } from '../../src/repl/index.ts'
import { labEnvVars, NODE } from '../lab/layout.ts'
import { labSession, kubectl } from '../net/labkit.ts'
import { runThroughPods } from './faultchecks.ts'
import { failures, kinspectCli, kinspectPods, kinspectRun, lab, NOSSH, restoreOnSignal, stepFindings } from './lab.ts'
import type { TriageData } from '../../src/triage/types.ts'

const SCENARIOS = ['conntrack-full', 'oomkill', 'image-missing', 'node-notready']
restoreOnSignal(SCENARIOS)

async function withFault(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    lab('scenario', name, 'on')
    await fn()
  } finally {
    lab('scenario', name, 'off')
  }
}

const t0 = Date.now()
test.before(() => {
  assert.equal(kinspectPods(), [], 'kinspect pods left from an earlier run')
  lab('ssh', 'off')
})

test.after(() => {
  lab('ssh', 'on')
  console.log(`# transport-pod-node-faults: ${Math.round((Date.now() - t0) / 1000)} s`)
})

const sys = (k: string) => Number(fs.readFileSync(`/proc/sys/net/netfilter/${k}`, 'utf8').trim())
const sink = () =>
  new Writable({
    write(_c, _e, cb) {
      cb()
    },
  })

test('ssh off, triage --nodes: every node of shop is read through a node pod, and the report says so (transport "pod", per node); no pod left', async () => {
  const r = await kinspectCli(['triage', '-n', 'shop', '--nodes', '-o', 'json'], NOSSH)
  const report = JSON.parse(r.out) as TriageData
  assert.is(r.code, 0, r.err)
  assert.equal([report.nodeChecks.ran, report.nodeChecks.transport], [true, 'pod'])
  assert.equal(report.nodeChecks.nodes.map((n) => [n.node, n.status, n.via]).sort(), [
    ['lab-1', 'read', 'pod'],
    ['lab-2', 'read', 'pod'],
    ['lab-3', 'read', 'pod'],
  ])
  const text = await kinspectCli(['triage', '-n', 'shop', '--nodes'], NOSSH)
  assert.match(text.out, /^Node checks over pod: read lab-1, lab-2, lab-3$/m)
  assert.equal(kinspectPods(), [], 'triage deleted its node pods')
})

test("ssh off, oomkill on: shop/memhog's kill, its cgroup's peak at the 32 MiB limit and the kernel's CONSTRAINT_MEMCG line, read on lab-2 through a node pod", async () => {
  await withFault('oomkill', async () => {
    const uid = kubectl('get', 'pod', 'memhog', '-n', 'shop', '-o', 'jsonpath={.metadata.uid}').trim()
    const report = await runThroughPods('oom', [], 1)
    assert.equal(
      stepFindings(report, 'The kill, and restarts over time').map((f) => f.severity),
      ['fail'],
    )
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
  })
})

test("ssh off, image-missing on: the pulls are classified from the kubelet's messages, and lab-2's runtime, listed through a node pod, has no image named missing", async () => {
  await withFault('image-missing', async () => {
    const report = await runThroughPods('image-pull', [], 1)
    assert.equal(
      stepFindings(report, "The kubelet's message, classified").map((f) => f.severity),
      ['fail', 'fail'],
    )
    const onNode = stepFindings(report, 'Is the image on the node?')
    assert.match(onNode[0].message, /^lab-2 has no image named missing \(\d+ images in its runtime\)$/)
    assert.match(onNode[0].evidence!.output, 'kinspect.local/busybox')
  })
})

test('ssh off, conntrack-full on: through a node pod opened before the fault, the full table fails with count/max and rising drops, the kernel\'s "table full" lines, the top destination on lo; a new process is bounded and honest', async () => {
  // As over SSH, an operator's session is open before the table fills: its node pod's agent and its API connections
  // are tracked already. Every node command goes through the pod's one long-lived exec.
  const session = await labSession({ ...process.env, ...labEnvVars(), ...NOSSH })
  try {
    await session.node(NODE).$`true`
    assert.is(session.node(NODE).via, 'pod')
    await Promise.all([
      session.kube.pods(undefined, { allNamespaces: true }),
      session.kube.services(undefined, { allNamespaces: true }),
      session.kube.nodes(),
    ])
    await withFault('conntrack-full', async () => {
      const full = Date.now()
      while (sys('nf_conntrack_count') < 0.98 * sys('nf_conntrack_max') && Date.now() - full < 60_000)
        await new Promise((r) => setTimeout(r, 500))
      const max = sys('nf_conntrack_max')
      const report = (
        await runRecipe(
          'conntrack',
          { node: NODE, interval: '3s' },
          { session, shell: headlessShell, output: sink(), format: 'json' },
        )
      ).toJSON() as ReportData
      assert.is(report.exitCode, 1, failures(report).join('\n'))
      assert.equal(report.notSeen, [])
      const fill = stepFindings(report, 'Table fill and drop counters').filter((f) => f.severity === 'fail')
      assert.is(fill.length, 1, JSON.stringify(fill))
      const m =
        /^lab-1: the conntrack table is full: (\d+) of (\d+) entries \((\d+)%\), and drop rose by (\d+) in 3 s \(\d+ since boot\): new connections are being dropped now$/.exec(
          fill[0].message,
        )
      assert.ok(m, fill[0].message)
      assert.is(Number(m![2]), max, 'nf_conntrack_max as read by hand')
      assert.match(
        fill[0].evidence!.command,
        /^ssh lab-1 'cat \/proc\/sys\/net\/netfilter\/nf_conntrack_count \/proc\/sys\/net\/netfilter\/nf_conntrack_max; conntrack -S'  # twice, 3 s apart$/,
      )
      assert.match(fill[0].evidence!.output, new RegExp(`^nf_conntrack_max +${max} → ${max} *$`, 'm'))
      const klog = stepFindings(report, 'The kernel log: table full, dropping packet')
      assert.is(klog[0].severity, 'fail', JSON.stringify(klog))
      assert.match(
        klog[0].evidence!.output,
        /^\[\s*\d+\.\d+\] nf_conntrack: (nf_conntrack: )?table full, dropping packet$/m,
      )
      const top = stepFindings(report, 'Top destinations and sources')[0]
      assert.is(top.severity, 'warn', top.message)
      assert.match(top.message, /^lab-1: top destination 127\.0\.0\.1:\d+\/tcp \(this node, lo[;)]/)
      assert.match(top.evidence!.output, /listening: connfill pid \d+$/m)
      assert.match(
        stepFindings(report, 'Raising the limit')[0].message,
        new RegExp(`^lab-1: the table holds \\d+ of ${max} entries and drops are rising`),
      )

      // A new process while the table is full: its API connections may be dropped, so either lab-1 answers (the
      // table-full finding, exit 1) or lab-1 is NOT SEEN with why and nothing is claimed about it (exit 2).
      const fresh = await kinspectRun('conntrack', ['--node', NODE, '--interval', '3s', '-o', 'json'], NOSSH)
      assert.ok(fresh.report, fresh.err)
      assert.equal(
        fresh.report!.steps.filter((s) => s.status === 'error').map((s) => `${s.title}: ${s.error?.message}`),
        [],
      )
      const freshFill = stepFindings(fresh.report!, 'Table fill and drop counters').filter((f) => f.severity === 'fail')
      console.log(
        `# new process during conntrack-full: exit ${fresh.code}; ${freshFill.length ? 'lab-1 reached' : 'lab-1 NOT SEEN'}`,
      )
      if (freshFill.length) assert.is(fresh.code, 1, fresh.err)
      else {
        assert.is(fresh.code, 2, fresh.err)
        const lab1 = fresh.report!.notSeen.filter((n) => /lab-1/.test(n.what))
        assert.ok(lab1.length > 0 && lab1[0].reason.trim() !== '', JSON.stringify(fresh.report!.notSeen))
        assert.equal(failures(fresh.report!), [])
      }
    })
  } finally {
    const closed = await session.shutdown()
    assert.equal(closed.remaining, [], 'the session deleted its node pod')
  }
  assert.equal(kinspectPods(), [])
})

test("ssh off, node-notready on (lab-2's kubelet stopped): lab-2 is NotReady from the API, its node checks are NOT SEEN naming lab-2 and why, lab-1 and lab-3 are read; exit 1", async () => {
  await withFault('node-notready', async () => {
    const report = await runThroughPods('node', [], 1, ['lab-2'])
    const ready = stepFindings(report, 'Conditions').filter((f) => f.severity === 'fail')
    assert.is(ready.length, 1, JSON.stringify(ready))
    assert.match(
      ready[0].message,
      /^lab-2 is NotReady: Ready=Unknown \(NodeStatusUnknown: Kubelet stopped posting node status\.\); the kubelet stopped posting its status/,
    )
    assert.is(ready[0].evidence!.command, 'kubectl describe node lab-2  # Conditions')
    const kubelet = stepFindings(report, 'Is the kubelet running?')
    for (const n of ['lab-1', 'lab-3'])
      assert.ok(
        kubelet.some((f) => f.severity === 'ok' && f.message.startsWith(`the kubelet runs on ${n}`)),
        `${n}: ${JSON.stringify(kubelet)}`,
      )
    // Nothing is claimed about lab-2's kubelet: it is named only as not seen.
    assert.equal(
      kubelet.filter((f) => f.message.includes('lab-2') && f.severity !== 'not-seen').map((f) => f.message),
      [],
      JSON.stringify(kubelet),
    )
    const lab2 = report.notSeen.filter((n) => n.what.includes('lab-2'))
    assert.ok(lab2.length >= 1, JSON.stringify(report.notSeen))
    assert.equal(
      report.notSeen.filter((n) => !n.what.includes('lab-2')).map((n) => n.what),
      [],
      'only lab-2 is NOT SEEN',
    )
    assert.match(lab2[0].what, 'the kubelet process on lab-2')
    // why: no SSH, and the node pod was not even tried on a node whose kubelet stopped reporting
    assert.match(lab2[0].reason, 'is not Ready (Ready=Unknown NodeStatusUnknown')
    assert.match(lab2[0].reason, 'so a node pod cannot start there; none was created')
    console.log(`# lab-2 NOT SEEN: ${lab2.map((n) => `${n.what}: ${n.reason}`).join(' | ')}`)
  })
})

test.run()
