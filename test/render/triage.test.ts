// The triage report as text: the ranked table with effects under their cause, NOT SEEN checks with what to grant,
// node checks, and the result line for each exit status; and as JSON.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { analyze, TriageReport } from '../../src/triage/index.ts'
import { renderTriage } from '../../src/render/triage.ts'
import { installPresenters } from '../../src/render/presenters.ts'
import type { CheckStatus, TriageData } from '../../src/triage/types.ts'
import { labSnapshot } from '../triage/lab-snapshot.ts'

const seen: CheckStatus[] = [
  { check: 'pods in shop', status: 'seen', count: 6 },
  { check: 'services in shop', status: 'seen', count: 4 },
  { check: 'deployments in shop', status: 'seen', count: 2 },
  { check: 'nodes', status: 'seen', count: 3 },
]
const report = (over: Partial<TriageData>): TriageData => ({
  context: 'kinspect-lab',
  scope: { namespaces: ['shop'] },
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 812,
  rows: [],
  checks: seen,
  nodeChecks: {
    ran: false,
    reason: 'off: --nodes reads conntrack and kube-proxy rules on the nodes over SSH or a node pod',
    nodes: [],
  },
  status: 'ok',
  exitCode: 0,
  ...over,
})

test('three faults: one ranked table, the exact next commands, then node checks and the result', () => {
  const rows = analyze(labSnapshot('three-faults', { namespaces: ['shop'] }))
  const text = renderTriage(report({ rows, status: 'problems', exitCode: 1 }))
  const lines = text.split('\n')
  assert.is(lines[0], 'Triage · context kinspect-lab · namespace shop · 0.8 s')
  assert.match(lines[2], /^# +SEVERITY +OBJECT +SYMPTOM +EVIDENCE +NEXT$/)
  assert.match(
    lines[3],
    /^1 +FAIL +Service kube-system\/kube-dns +cluster DNS down: no ready endpoint +kube-system\/kube-dns has no ready endpoint: Deployment coredns … +kinspect run dns --pod shop\/\S+$/,
  )
  assert.match(
    lines[4],
    /^2 +FAIL +Service shop\/web-badport +targetPort matches no container port +port http 80\/TCP -> targetPort 9090: the 2 selected pods declar… +kinspect run svc --service shop\/web-badport$/,
  )
  assert.match(
    lines[5],
    /^3 +FAIL +Pod shop\/crasher-\S+ +CrashLoopBackOff +last run exited 3 \(Error\) \d+s ago; \d+ restarts? +kinspect run crashloop --pod shop\/crasher-\S+$/,
  )
  assert.is(
    lines[7],
    'Node checks: off: --nodes reads conntrack and kube-proxy rules on the nodes over SSH or a node pod',
  )
  assert.is(lines[8], 'Result: 3 problems (looked at 6 pods, 4 Services, 2 workloads, 3 nodes; exit 1)')
})

test('effects under their cause, +N for replicas; NOT SEEN with the grant; node reads; exit 2 and exit 0 lines', () => {
  const rows = analyze(labSnapshot('metrics-unavailable'))
  const t = renderTriage(
    report({
      scope: { allNamespaces: true },
      rows: [{ ...rows[0], also: ['Pod x/y'] }],
      status: 'problems',
      exitCode: 1,
      checks: [
        ...seen,
        {
          check: 'events in shop',
          status: 'not-seen',
          reason: '403 Forbidden: events is forbidden',
          grant: 'list events in namespace shop (check: kubectl auth can-i list events -n shop)',
        },
      ],
    }),
  )
  assert.match(
    t,
    /\n1 +FAIL +Service kube-system\/metrics-server \(\+1 more\) +no ready endpoints +selector k8s-app=kinspect-lab-nothing matches no pod in kube-sy… +kinspect run svc --service kube-system\/metrics-server\n +↳ APIService v1beta1\.metrics\.k8s\.io +metrics API unavailable +Available=False \(MissingEndpoints\): endpoints for service\/metri…\n/,
  )
  assert.ok(
    t.split('\n').every((l) => l.length < 260),
    'evidence is clipped to one short line (-o json has all of it)',
  )
  assert.match(
    t,
    'NOT SEEN events in shop: 403 Forbidden: events is forbidden\n         grant: list events in namespace shop (check: kubectl auth can-i list events -n shop)',
  )
  assert.match(t, 'Result: 1 problem, 1 check(s) not seen')
  const nodes = renderTriage(
    report({
      exitCode: 2,
      status: 'incomplete',
      nodeChecks: {
        ran: true,
        transport: 'ssh',
        nodes: [
          { node: 'lab-1', status: 'read' },
          { node: 'lab-2', status: 'not-read', reason: 'SSH: connect ECONNREFUSED' },
        ],
      },
    }),
  )
  assert.match(
    nodes,
    'Node checks over ssh: read lab-1\nNOT SEEN node lab-2: SSH: connect ECONNREFUSED\nResult: nothing found, but 1 check(s) could not look (exit 2)',
  )
  assert.match(
    renderTriage(report({})),
    /Result: nothing wrong in namespace shop \(looked at 6 pods, 4 Services, 2 workloads, 3 nodes; exit 0\)$/,
  )
})

test('a TriageReport prints as the table in the shell and as plain data in JSON', () => {
  installPresenters()
  const r = new TriageReport(
    report({ rows: analyze(labSnapshot('svc-targetport', { namespaces: ['shop'] })), status: 'problems', exitCode: 1 }),
  )
  assert.match(inspect(r, { colors: false }), /^Triage · context kinspect-lab/)
  const j = JSON.parse(JSON.stringify(r))
  assert.equal(Object.keys(j), [
    'context',
    'scope',
    'startedAt',
    'durationMs',
    'rows',
    'checks',
    'nodeChecks',
    'status',
    'exitCode',
  ])
  assert.equal(Object.keys(j.rows[0]), [
    'rank',
    'severity',
    'code',
    'object',
    'kind',
    'namespace',
    'name',
    'symptom',
    'evidence',
    'next',
    'also',
    'effects',
    'events',
  ])
  assert.equal(j.rows[0].next, {
    recipe: 'svc',
    params: { service: 'shop/web-badport' },
    command: 'kinspect run svc --service shop/web-badport',
  })
})

test.run()
