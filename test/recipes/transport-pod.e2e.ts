// The shipped recipes that look inside nodes, with SSH unavailable (`lab ssh off`: every sshd stopped, the lab's
// no-SSH config that allows node pods): each reaches every node through a node pod and says what it says over SSH on
// the healthy lab (nothing NOT SEEN, nothing failing); kube-proxy-drift still names lab-2, and only lab-2, with
// stale-rules on; and no kinspect pod is left after any run. SSH and the scenario are turned back on whatever happens.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { failures, kinspectPods, kinspectRun, lab, NOSSH, restoreOnSignal, stepFindings } from './lab.ts'

restoreOnSignal(['stale-rules'])

/** The recipes that run commands on nodes, with the parameters the lab needs, and a step that must name every node. */
const CASES: { name: string; args: string[]; step: string; each: RegExp }[] = [
  { name: 'node', args: [], step: 'Is the kubelet running?', each: /^the kubelet runs on (lab-\d)/ },
  {
    name: 'conntrack',
    args: ['--interval', '1s'],
    step: 'Table fill and drop counters',
    each: /^(lab-\d): \d+ of \d+ entries/,
  },
  {
    name: 'kube-proxy-drift',
    args: ['--service', 'shop/web'],
    step: 'Rules against the slices, node by node',
    each: /^shop\/web: the rules of (lab-\[1-3\]) match/,
  },
  { name: 'dns', args: ['--pod', 'shop/client'], step: '', each: /./ },
  { name: 'svc', args: ['--service', 'shop/web', '--from', 'shop/client'], step: '', each: /./ },
  { name: 'pod-network', args: ['--pod', 'shop/client'], step: '', each: /./ },
]

test.before(() => {
  assert.equal(kinspectPods(), [], 'kinspect pods left from an earlier run')
  lab('ssh', 'off')
})

test.after(() => {
  lab('ssh', 'on')
})

for (const c of CASES) {
  test(`ssh off, ${c.name}: every node reached through a node pod; nothing NOT SEEN, nothing failing, no ERROR step; no pod left`, async () => {
    const { code, report, err } = await kinspectRun(c.name, [...c.args, '-o', 'json'], NOSSH)
    assert.ok(report, err)
    assert.equal(
      report!.steps.filter((s) => s.status === 'error' || s.status === 'skipped').map((s) => `${s.title}: ${s.status}`),
      [],
      err,
    )
    assert.equal(
      report!.notSeen.map((n) => `${n.what}: ${n.reason}`),
      [],
      'nothing NOT SEEN',
    )
    assert.equal(failures(report!), [])
    assert.is(code, 0, err)
    if (c.step) {
      const named = new Set(
        stepFindings(report!, c.step)
          .map((f) => c.each.exec(f.message)?.[1])
          .filter(Boolean),
      )
      assert.ok(
        named.size >= 1 && [...named].every((n) => /^lab-(\d|\[1-3\])$/.test(n!)),
        `${c.step}: ${[...named].join(' ')}`,
      )
      if (c.name !== 'kube-proxy-drift') assert.equal([...named].sort(), ['lab-1', 'lab-2', 'lab-3'])
    }
    // evidence written as `ssh NODE …` (the manual equivalent) says it was read through the node pod, not SSH
    const viaSsh = report!.steps
      .flatMap((s) => s.findings)
      .filter((f) => f.evidence && /^ssh lab-\d /.test(f.evidence.command))
    if (c.name === 'node' || c.name === 'conntrack') assert.ok(viaSsh.length > 0, 'evidence read on the nodes')
    assert.ok(
      viaSsh.every((f) => f.evidence!.via === 'pod'),
      JSON.stringify(viaSsh.filter((f) => f.evidence!.via !== 'pod').map((f) => f.evidence!.command)),
    )
    assert.equal(kinspectPods(), [], 'the run deleted its node pods')
  })
}

test('ssh off, stale-rules on lab-2: kube-proxy-drift names lab-2, and only lab-2, through node pods', async () => {
  try {
    lab('scenario', 'stale-rules', 'on')
    const { code, report, err } = await kinspectRun('kube-proxy-drift', ['--service', 'shop/web', '-o', 'json'], NOSSH)
    assert.ok(report, err)
    assert.is(code, 1, err)
    const fails = stepFindings(report!, 'Rules against the slices, node by node').filter((f) => f.severity === 'fail')
    assert.equal(
      fails.map((f) => /the rules of (\S+) are stale/.exec(f.message)?.[1]),
      ['lab-2'],
      JSON.stringify(fails),
    )
    assert.equal(report!.notSeen, [])
  } finally {
    lab('scenario', 'stale-rules', 'off')
  }
  assert.equal(kinspectPods(), [])
})

test.run()
