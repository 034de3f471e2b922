// recipes/conntrack.md on the lab: with conntrack-full on (nf_conntrack_max lowered to count+600 and filled by
// connfill's loopback flows) it fails on the full table with count/max and rising drops as evidence, the kernel's
// "table full" lines, and names 127.0.0.1:<connfill's port> as the top destination. With the fault off it reports
// nothing failing: the drop counter is cumulative, so the drops of the fault are historic then (warn at most).
//
// While the table is full the node drops NEW connections, SSH and API ones included. So the first fault run uses a
// session connected before the fault (like an operator's open shell): its SSH and API connections are tracked
// already and keep working. The second starts kinspect as a new process while the table is full: the node's
// findings stand, the API calls are bounded (5 s for the names; NOT SEEN when the API does not answer, and not asked
// again), the flows are listed by address, and it exits 1. Both are checked by faultchecks-node.ts, as the node-pod
// runs (transport-pod-node-faults.e2e.ts) are. The fault is always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { labSession } from '../net/labkit.ts'
import {
  connectBefore,
  conntrackFullInSession,
  conntrackNewProcess,
  dropsByHand,
  tableFull,
} from './faultchecks-node.ts'
import { failures, kinspectRun, scenario, stepFindings } from './lab.ts'

test.after(async () => {
  await scenario('conntrack-full', 'off') // ALWAYS leave the lab healthy, even when an assertion failed
})

test('conntrack-full on: the full table fails with count/max and rising drops; "table full" in the kernel log; top destination 127.0.0.1:<connfill>', async () => {
  const session = await labSession()
  try {
    // Connect before the fault: SSH to the node and API connections.
    await connectBefore(session)
    await scenario('conntrack-full', 'on')
    await conntrackFullInSession(session)
  } finally {
    await scenario('conntrack-full', 'off')
    await session.close()
  }
})

test('conntrack-full on, kinspect started as a new process: bounded, what it cannot reach is NOT SEEN (never ERROR), exit by the rules', async () => {
  // A full table drops new connections on lab-1, kinspect's own SSH and API connections included (the lab runs on
  // this machine). Whether a new process gets through depends on whether its SYN finds a free entry (early_drop
  // frees some): either the node answers and the table-full findings stand (exit 1), or lab-1 is NOT SEEN with why
  // (exit 2: nothing could be checked). Never an ERROR step, never a hang.
  try {
    await scenario('conntrack-full', 'on')
    await tableFull()
    // why, when lab-1 is NOT SEEN: the transports tried (SSH timed out or was refused)
    await conntrackNewProcess({}, ['timeout', 'unreachable'])
  } finally {
    await scenario('conntrack-full', 'off')
  }
})

test('conntrack-full off: nothing fails (exit 0); the drops of the fault are historic now: warn, not fail', async () => {
  assert.ok(dropsByHand() > 0, 'the fault left drops in the counters')
  const { code, report, err } = await kinspectRun('conntrack', ['-o', 'json'])
  assert.ok(report, err)
  assert.equal(failures(report!), [])
  assert.is(code, 0, err)
  // Every node is checked; the fault was on lab-1 (lab-2 and lab-3 have tables of their own).
  const fill = stepFindings(report!, 'Table fill and drop counters').find((f) => f.message.startsWith('lab-1: '))!
  assert.is(fill.severity, 'warn', fill.message)
  assert.match(
    fill.message,
    /^lab-1: \d+ of \d+ entries \(\d+%\) in use; drop=\d+ since boot but not rising in the last 5 s: the kernel could not create entries at some point \(historic drops; usually a full table: the kernel log, next step, says whether and when\)$/,
  )
  // The nodes of the lab share one kernel, so its log is the same on every node: look at lab-1's finding.
  const klog = stepFindings(report!, 'The kernel log: table full, dropping packet').find((f) =>
    f.message.startsWith('lab-1: '),
  )!
  assert.is(klog.severity, 'warn', klog.message)
  assert.match(klog.message, /drops are not rising now \(historic\)$/)
  assert.is(stepFindings(report!, 'Pick the nodes')[0].message, 'checking lab-[1-3]')
})

test.run()
