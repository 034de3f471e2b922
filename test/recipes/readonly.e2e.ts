// Read-only by default, proven on the lab: every shipped recipe is run with --dry-run, and for real with the view-only
// kubeconfig (RBAC `view`, the lab's SSH access to the nodes as usual). Before and after, every object of every kind
// the API lists is read as lab-admin and the resourceVersions compared. Objects that change by themselves (Events,
// Leases) are left out; any other change must have been written by someone other than kinspect (its managedFields
// entry names the writer and when), and no object may have been created or deleted by it. kinspect writes no node
// pod here (the view user may not create pods, and a dry run creates nothing), so none is set aside.
// With the view user, what needs more than view is NOT SEEN (never ERROR) with what to grant, and the exit code follows
// the rules: 2 only when nothing could be checked.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { labEnvVars, labPaths } from '../lab/layout.ts'
import type { ReportData } from '../../src/recipes/report.ts'
import { kinspectRun } from './lab.ts'

const ENV = labEnvVars()
const VIEW = labPaths().kubeconfigView
const SHIPPED = fs
  .readdirSync(path.resolve(import.meta.dirname, '../../recipes'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => f.replace(/\.md$/, ''))
  .sort()
/** The parameters each recipe needs on the lab (the required ones, and a client where there is one). */
const ARGS: Record<string, string[]> = {
  dns: ['--pod', 'shop/client'],
  svc: ['--service', 'shop/web', '--from', 'shop/client'],
  'pod-network': ['--pod', 'shop/client'],
  conntrack: ['--interval', '1s'],
  'kube-proxy-drift': ['--service', 'shop/web'],
}
/** Kinds that change by themselves every few seconds (heartbeats, event series), and objects the API computes. */
const CHURN = new Set(['Event', 'Lease', 'NodeMetrics', 'PodMetrics', 'ComponentStatus'])
/** The name API writes from kinspect are recorded under (its User-Agent is kinspect/VERSION). */
const KINSPECT_MANAGER = /^kinspect\b/

interface Seen {
  rv: string
  kind: string
  /** managedFields: who wrote it last, and when. */
  writes: { manager: string; time: number; operation?: string; subresource?: string }[]
  owned: boolean
  /** The object without its status, resourceVersion and managedFields: what a change outside the status touches. */
  body: string
}

function kubectl(args: string[]): string {
  const r = spawnSync('kubectl', ['--kubeconfig', ENV.KUBECONFIG, '--request-timeout=60s', ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/** Every object of every listable kind (metrics and component statuses are computed, not stored), by kind/namespace/name. */
function snapshot(): Map<string, Seen> {
  const kinds = kubectl(['api-resources', '--verbs=list', '-o', 'name'])
    .split('\n')
    .filter((k) => k && !k.endsWith('.metrics.k8s.io') && k !== 'componentstatuses')
  const items = JSON.parse(kubectl(['get', kinds.join(','), '-A', '-o', 'json'])).items as any[]
  const out = new Map<string, Seen>()
  for (const o of items) {
    const key = `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`
    out.set(key, {
      rv: o.metadata.resourceVersion,
      kind: o.kind,
      writes: (o.metadata.managedFields ?? []).map((m: any) => ({
        manager: m.manager,
        time: Date.parse(m.time ?? ''),
        operation: m.operation,
        subresource: m.subresource,
      })),
      owned: (o.metadata.ownerReferences ?? []).length > 0,
      body: JSON.stringify({
        ...o,
        status: undefined,
        metadata: { ...o.metadata, resourceVersion: undefined, managedFields: undefined },
      }),
    })
  }
  return out
}

/**
 * What changed between two snapshots, with the writers of each change since `t0` (a managedFields entry's time moves
 * only when the set of fields it owns changes, so a status heartbeat names none) and whether only the status changed;
 * Events and Leases left out.
 */
function changes(before: Map<string, Seen>, after: Map<string, Seen>, t0: number) {
  const since = t0 - 2000 // managedFields times have a one-second resolution
  const changed: {
    key: string
    how: 'changed' | 'added' | 'removed'
    writers: string[]
    managers: string[]
    statusOnly: boolean
    owned: boolean
  }[] = []
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(key)
    const b = after.get(key)
    if (CHURN.has((a ?? b)!.kind)) continue
    if (a && b && a.rv === b.rv) continue
    const how = !a ? 'added' : !b ? 'removed' : 'changed'
    const writers = (b?.writes ?? [])
      .filter((w) => w.time >= since)
      .map((w) => `${w.manager}${w.subresource ? `/${w.subresource}` : ''}`)
    const managers = [...new Set((b?.writes ?? []).map((w) => w.manager))]
    changed.push({
      key,
      how,
      writers,
      managers,
      statusOnly: Boolean(a && b && a.body === b.body),
      owned: (a ?? b)!.owned,
    })
  }
  return changed
}

function run(name: string, extra: string[], kubeconfig?: string) {
  return kinspectRun(
    name,
    [...(ARGS[name] ?? []), ...extra, '-o', 'json'],
    kubeconfig ? { KUBECONFIG: kubeconfig } : {},
  )
}

const results = new Map<string, { code: number | null; report: ReportData; err: string }>()

test('every shipped recipe, with --dry-run and with the view-only user: nothing in the cluster changed', async () => {
  assert.equal(SHIPPED, [
    'conntrack',
    'crashloop',
    'dns',
    'image-pull',
    'kube-proxy-drift',
    'node',
    'oom',
    'pending',
    'pod-network',
    'rollout',
    'svc',
  ])
  const before = snapshot()
  assert.ok(before.size > 100, `the snapshot has ${before.size} objects`)
  const t0 = Date.now()
  for (const name of SHIPPED) {
    const dry = await run(name, ['--dry-run'])
    assert.ok(dry.report, `${name} --dry-run: ${dry.err}`)
    assert.equal([dry.code, dry.report!.status], [0, 'planned'], `${name} --dry-run`)
    assert.ok(
      dry.report!.steps.every((s) => s.status === 'planned' && s.findings.length === 0),
      `${name} --dry-run ran nothing`,
    )
  }
  for (const [name, extra] of [
    ...SHIPPED.map((n) => [n, []] as [string, string[]]),
    ['node', ['--node', 'lab-2']] as [string, string[]],
  ]) {
    const r = await run(name, extra, VIEW)
    assert.ok(r.report, `${name} ${extra.join(' ')} as the view user: ${r.err}`)
    results.set([name, ...extra].join(' '), { code: r.code, report: r.report!, err: r.err })
  }
  const after = snapshot()
  const diff = changes(before, after, t0)
  // No changed or new object has ever been written by kinspect.
  const byKinspect = diff.filter((d) => d.managers.some((m) => KINSPECT_MANAGER.test(m)))
  assert.equal(byKinspect, [], 'objects kinspect wrote')
  // Anything else that changed was written by the cluster's own components while the recipes ran (a controller, a
  // kubelet): a change must name such a writer since the start, or touch only the status (a kubelet's heartbeat).
  // Objects removed can name none: they must be owned by a controller (a pod it replaced), not made by hand.
  const unexplained = diff.filter((d) => (d.how === 'removed' ? !d.owned : d.writers.length === 0 && !d.statusOnly))
  assert.equal(unexplained, [], `changes no writer explains:\n${JSON.stringify(unexplained, null, 1)}`)
  const added = diff.filter((d) => d.how === 'added' && !d.owned)
  assert.equal(added, [], 'objects created (not by a controller) while the recipes ran')
})

test('as the view-only user: what needs more than view is NOT SEEN with what to grant, never ERROR; exit 2 only when nothing could be checked', () => {
  assert.is(results.size, SHIPPED.length + 1, 'the first test ran every recipe')
  for (const [what, { code, report, err }] of results) {
    assert.equal(
      report.steps.filter((s) => s.status === 'error').map((s) => `${s.title}: ${s.error?.message}`),
      [],
      `${what}: no step ends in ERROR`,
    )
    assert.is(code, report.exitCode, `${what}: the process exits with the report's code\n${err}`)
    const fail = report.summary.fail > 0
    const checked = report.summary.ok + report.summary.info + report.summary.warn + report.summary.fail > 0
    assert.is(
      report.exitCode,
      fail ? 1 : checked ? 0 : 2,
      `${what}: exit ${report.exitCode} with ${JSON.stringify(report.summary)}`,
    )
    for (const n of report.notSeen)
      assert.ok(
        n.kind !== 'forbidden' || /\(check: kubectl auth can-i /.test(n.grant ?? ''),
        `${what}: a refusal says what to grant: ${JSON.stringify(n)}`,
      )
  }
  // Nodes are cluster-scoped, so view does not show them: the node and conntrack recipes can check nothing without them.
  for (const name of ['node', 'conntrack']) {
    const { report } = results.get(name)!
    assert.equal([report.exitCode, report.status], [2, 'not-seen'], name)
    assert.equal(
      report.notSeen.map((n) => [n.step, n.what, n.kind, n.grant]),
      [[1, 'the node list', 'forbidden', 'list nodes (cluster-wide) (check: kubectl auth can-i list nodes)']],
      name,
    )
  }
  // With --node the checks on the node itself still run; the conditions and the lease are NOT SEEN.
  const one = results.get('node --node lab-2')!.report
  assert.equal(
    one.notSeen.map((n) => [n.what, n.kind]),
    [
      ['the node list', 'forbidden'],
      ['the node leases (kube-node-lease)', 'forbidden'],
    ],
  )
  assert.is(
    one.notSeen[1].grant,
    'get leases in namespace kube-node-lease (check: kubectl auth can-i get leases -n kube-node-lease)',
  )
  assert.is(
    one.steps
      .find((s) => s.title === 'Is the kubelet running?')!
      .findings[0].message.startsWith('the kubelet runs on lab-2'),
    true,
  )
  assert.is(one.exitCode, 0)
  // The recipes that read only what view shows check everything and exit 0 on the healthy lab.
  for (const name of ['crashloop', 'dns', 'image-pull', 'oom', 'pending', 'pod-network', 'rollout', 'svc']) {
    const { report } = results.get(name)!
    assert.equal([report.exitCode, report.notSeen], [0, []], `${name}: ${JSON.stringify(report.notSeen)}`)
  }
})

test.run()
