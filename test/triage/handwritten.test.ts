// Shapes the lab cannot produce (hand-written, test/fixtures/triage-lab-cannot-produce/): memory pressure with a pod
// it evicted, a StatefulSet and a DaemonSet short of ready pods, a quota refusing a Deployment's pods, a stale lease,
// and Warning events on a kind no analyzer judges (recent ones count, old ones do not).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { analyze } from '../../src/triage/index.ts'
import type { Snapshot } from '../../src/triage/types.ts'

const raw = JSON.parse(
  fs.readFileSync(path.resolve(import.meta.dirname, '../fixtures/triage-lab-cannot-produce/snapshot.json'), 'utf8'),
)
const snap: Snapshot = { ...raw, now: Date.parse(raw.now), scope: { allNamespaces: true }, metricsAPI: null }

test('memory pressure takes the pod it evicted; the StatefulSet, DaemonSet, quota and PVC each get a row; a stale lease', () => {
  const rows = analyze(snap)
  assert.equal(
    rows.map((r) => [r.rank, r.severity, r.object, r.symptom]),
    [
      [1, 'fail', 'Node lab-3', 'MemoryPressure'],
      [2, 'fail', 'Node lab-1', 'stale lease'],
      [3, 'fail', 'DaemonSet batch/log-agent', '1 of 3 daemon pods unavailable'],
      [4, 'fail', 'Deployment batch/api', 'cannot create pods (FailedCreate)'],
      [5, 'fail', 'StatefulSet batch/db', '2 of 3 replicas not ready'],
      [6, 'warn', 'PersistentVolumeClaim batch/data-db-2', 'Warning ProvisioningFailed'],
    ],
  )
  const [pressure, lease, ds, quota, sts, pvc] = rows
  assert.is(pressure.evidence, 'MemoryPressure: kubelet has insufficient memory available')
  assert.equal(
    pressure.effects.map((e) => [e.object, e.symptom]),
    [['Pod batch/report-28437120-x9k2p', 'Evicted']],
  )
  assert.match(pressure.effects[0].evidence, /^The node was low on resource: memory\./)
  assert.is(pressure.next.command, 'kinspect run node --node lab-3')
  assert.is(
    lease.evidence,
    'Ready=True, but the lease was last renewed 65s ago, longer than its 40s: the kubelet stopped heartbeating and the node will turn NotReady',
  )
  assert.is(ds.next.command, 'kubectl rollout status daemonset/log-agent -n batch')
  assert.match(quota.evidence, /exceeded quota: batch-quota, requested: requests\.memory=512Mi/)
  assert.is(quota.next.command, 'kinspect run rollout --deployment batch/api')
  assert.is(sts.evidence, '1/3 ready, 2 updated (revision db-7b9c5d6f4 -> db-7b9c5d6f4)')
  assert.is(sts.next.command, 'kubectl rollout status statefulset/db -n batch')
  assert.is(pvc.evidence, 'ProvisioningFailed x6, last 90s ago: storageclass.storage.k8s.io "fast-ssd" not found')
  assert.is(pvc.next.command, 'kubectl events -n batch --for persistentvolumeclaim/data-db-2')
  assert.ok(!rows.some((r) => r.object.includes('old-claim')), 'an event two hours old is history')
})

test.run()
