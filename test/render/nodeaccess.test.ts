// Node access as text: the consent question, phases, the end-of-session report, the gc table, the dry-run plan.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  duration,
  gcRows,
  isYes,
  renderAccessPlan,
  renderCloseReport,
  renderConsentQuestion,
  renderFleetPlan,
  renderGc,
  renderPhaseFrame,
  renderPhaseLine,
} from '../../src/render/nodeaccess.ts'
import type { GcResult } from '../../src/exec/nodepod/index.ts'
import { stripAnsi } from '../../src/ansi.ts'

test('the consent question names nodes, namespace, image, what the pod can do, the deadline, and asks y/N', () => {
  const q = renderConsentQuestion({
    pods: [
      {
        node: 'lab-2',
        namespace: 'kube-system',
        pod: 'kinspect-node-lab-2-x2x7p',
        image: 'reg/nodepod@sha256:ab',
        deadlineSeconds: 3600,
      },
      {
        node: 'lab-3',
        namespace: 'kube-system',
        pod: 'kinspect-node-lab-3-b4c5d',
        image: 'reg/nodepod@sha256:ab',
        deadlineSeconds: 3600,
        priorityClassName: 'system-node-critical',
        imagePullSecrets: ['pull'],
      },
    ],
  })
  assert.is(
    q,
    [
      'kinspect needs a node pod on lab-2, lab-3 (SSH does not reach them). This changes the cluster:',
      '  pod kube-system/kinspect-node-lab-2-x2x7p on node lab-2, image reg/nodepod@sha256:ab',
      '  pod kube-system/kinspect-node-lab-3-b4c5d on node lab-3, image reg/nodepod@sha256:ab, priorityClass system-node-critical, pull secrets pull',
      "  It is privileged and shares the node's PID, network and IPC namespaces: it can do whatever root can do on the node.",
      '  kinspect deletes it when this session ends; if kinspect is killed it ends by itself after 1h (activeDeadlineSeconds), and `kinspect gc` removes leftovers.',
      'Allow node pods for this session? [y/N] ',
    ].join('\n'),
  )
  assert.ok(
    renderConsentQuestion(
      { pods: [{ node: 'a', namespace: 'n', pod: 'p', image: 'i', deadlineSeconds: 60 }] },
      true,
    ).includes('\u001b['),
  )
  assert.equal(['y', 'Y', ' yes ', 'YES'].map(isYes), [true, true, true, true])
  assert.equal(['', 'n', 'no', 'yess', null].map(isYes), [false, false, false, false, false])
  assert.equal([duration(3600), duration(5400), duration(90), duration(604800)], ['1h', '1h30m', '1m30s', '168h'])
})

test('phases: a spinner frame while starting, plain lines for pipes and for the end', () => {
  const p = {
    node: 'lab-2',
    phase: 'starting' as const,
    pod: 'kinspect-node-lab-2-x2x7p',
    namespace: 'kube-system',
    detail: 'Pending: ContainerCreating',
    elapsedMs: 1234,
  }
  assert.is(
    renderPhaseFrame(p, 0),
    '⠋ starting kube-system/kinspect-node-lab-2-x2x7p on lab-2: Pending: ContainerCreating 1.2s',
  )
  assert.is(renderPhaseFrame(p, 11).slice(0, 1), '⠙')
  assert.is(
    renderPhaseLine({ ...p, phase: 'ready', elapsedMs: 2100 }),
    'kube-system/kinspect-node-lab-2-x2x7p ready on lab-2 (2.1s)',
  )
  assert.is(
    renderPhaseLine({ node: 'lab-2', phase: 'checking', namespace: 'kube-system', elapsedMs: 0 }),
    'checking access for a node pod on lab-2 (namespace kube-system) (0.0s)',
  )
  assert.is(
    stripAnsi(renderPhaseLine({ ...p, phase: 'failed', detail: 'ImagePullBackOff: no such image\nmore' }, true)),
    'kube-system/kinspect-node-lab-2-x2x7p on lab-2 failed: ImagePullBackOff: no such image (1.2s)',
  )
})

test('the end of a session: what was deleted, and what may be left with the way to remove it', () => {
  assert.is(renderCloseReport({ deleted: [], remaining: [] }), '')
  assert.is(
    renderCloseReport({
      deleted: ['kinspect-node-lab-1-abcde'],
      remaining: [{ name: 'kinspect-node-lab-2-fghjk', namespace: 'kube-system', why: 'still there after 15 s' }],
    }),
    'deleted node pod kinspect-node-lab-1-abcde\nnode pod kube-system/kinspect-node-lab-2-fghjk may be left: still there after 15 s; `kinspect gc` removes it (it ends by its deadline anyway)',
  )
})

const gcResult: GcResult = {
  entries: [
    {
      namespace: 'kube-system',
      name: 'kinspect-node-lab-1-aaaaa',
      node: 'lab-1',
      session: 's1',
      leftover: true,
      reason: 'its session (pid 4242 on laptop) is gone',
    },
    {
      namespace: 'kube-system',
      name: 'kinspect-node-lab-2-bbbbb',
      node: 'lab-2',
      session: 's2',
      leftover: false,
      reason: 'live session on laptop (heartbeat 20 s ago)',
    },
    {
      namespace: 'kube-system',
      name: 'kinspect-node-lab-3-ccccc',
      node: 'lab-3',
      session: 's3',
      leftover: true,
      reason: 'past its deadline (3600 s, created 2 h ago)',
    },
  ],
  deleted: ['kube-system/kinspect-node-lab-1-aaaaa'],
  failed: [{ namespace: 'kube-system', name: 'kinspect-node-lab-3-ccccc', why: 'forbidden' }],
}

test('gc: a table of every kinspect pod with what was done and why; a summary line', () => {
  const text = renderGc(gcResult)
  const lines = text.split('\n')
  assert.match(lines[0], /^NAMESPACE\s+POD\s+NODE\s+SESSION\s+ACTION\s+WHY$/)
  assert.match(
    lines[1],
    /^kube-system\s+kinspect-node-lab-1-aaaaa\s+lab-1\s+s1\s+deleted\s+its session \(pid 4242 on laptop\) is gone$/,
  )
  assert.match(lines[2], /\s+kept\s+live session on laptop/)
  assert.match(lines[3], /\s+delete failed: forbidden\s+past its deadline/)
  assert.is(lines[4], '1 deleted, 1 could not be deleted, 1 kept')
  const dry = renderGc(gcResult, { dryRun: true })
  assert.equal(
    gcRows(gcResult, true).map((r) => (r[4] as { text: string }).text),
    ['would delete', 'kept', 'would delete'],
  )
  assert.is(dry.split('\n').at(-1), '2 leftovers would be deleted (--dry-run: nothing was deleted)')
  assert.is(
    renderGc({ entries: [], deleted: [], failed: [] }),
    'no kinspect node pods in the cluster\n0 deleted, 0 kept',
  )
})

test('dry-run plan: the steps that reach nodes, and per node SSH or a node pod that would be created, with why', () => {
  const base = { pods: 'ask' as const, namespace: 'kube-system', image: 'reg/nodepod@sha256:ab', deadlineSeconds: 3600 }
  const text = renderAccessPlan({
    steps: [3, 4],
    nodes: [
      { ...base, node: 'lab-1', expect: 'ssh-then-pod', why: 'a .recipes nodes rule matches it' },
      { ...base, node: 'lab-2', expect: 'pod', why: 'no ssh config entry, key or agent applies to lab-2' },
      {
        ...base,
        node: 'lab-3',
        expect: 'none',
        why: 'no ssh config entry, key or agent applies to lab-3; nodeAccess pods is never for lab-3',
      },
    ],
  })
  assert.is(
    text,
    [
      'Node access',
      '  steps 3, 4 run commands on nodes',
      '  lab-1: SSH; a node pod would be created if SSH does not connect — a .recipes nodes rule matches it',
      '  lab-2: a node pod would be created — no ssh config entry, key or agent applies to lab-2',
      '  lab-3: unreachable — no ssh config entry, key or agent applies to lab-3; nodeAccess pods is never for lab-3',
      '  node pods: privileged, host namespaces, in kube-system, image reg/nodepod@sha256:ab, deadline 1h; created after asking once, deleted when the run ends',
    ].join('\n'),
  )
  assert.match(
    renderAccessPlan({ steps: [2], nodes: [], error: 'nodes is forbidden' }),
    'the nodes could not be listed (nodes is forbidden)',
  )
})

test("the DaemonSet's consent question: one object, its namespace, image, node count and names, deadline", () => {
  const nodes = Array.from({ length: 12 }, (_, i) => `node-${i + 1}`)
  const q = renderConsentQuestion({
    pods: [
      {
        node: '12 nodes',
        namespace: 'kube-system',
        pod: 'kinspect-fleet-x7k2q',
        image: 'reg/nodepod:1',
        deadlineSeconds: 1800,
        daemonSet: { nodes },
      },
    ],
  })
  assert.is(
    q,
    [
      'kinspect needs a DaemonSet on 12 nodes (SSH does not reach them; one pod per node). This changes the cluster:',
      '  daemonset kube-system/kinspect-fleet-x7k2q, image reg/nodepod:1',
      '  nodes: node-1, node-2, node-3, node-4, node-5, node-6, node-7, node-8 and 4 more',
      "  Its pods are privileged and share each node's PID, network and IPC namespaces: they can do whatever root can do on the nodes.",
      '  kinspect deletes it when this session ends; if kinspect is killed its containers exit after 30m, and `kinspect gc` deletes the DaemonSet.',
      'Allow node pods (and this DaemonSet) for this session? [y/N] ',
    ].join('\n'),
  )
})

test('kinspect fleet --dry-run: each node, the DaemonSet that would be made, and that nothing ran', () => {
  const e = (node: string, expect: 'ssh' | 'pod', why: string) => ({
    node,
    expect,
    why,
    pods: 'ask' as const,
    namespace: 'kube-system',
    image: 'reg/nodepod:1',
    deadlineSeconds: 3600,
  })
  const out = renderFleetPlan({
    above: 2,
    entries: [
      e('lab-1', 'ssh', 'key k'),
      e('lab-2', 'pod', 'no ssh'),
      e('lab-3', 'pod', 'no ssh'),
      e('lab-4', 'pod', 'no ssh'),
    ],
    daemonSets: [
      {
        nodes: ['lab-2', 'lab-3', 'lab-4'],
        namespace: 'kube-system',
        image: 'reg/nodepod:1',
        deadlineSeconds: 3600,
        pods: 'ask',
      },
    ],
  })
  assert.is(
    out,
    [
      'Fleet node access (4 nodes; a DaemonSet above 2 nodes without SSH)',
      '  lab-1: SSH — key k',
      "  lab-2: the fleet's DaemonSet — no ssh",
      "  lab-3: the fleet's DaemonSet — no ssh",
      "  lab-4: the fleet's DaemonSet — no ssh",
      '  a DaemonSet would be created in kube-system for 3 nodes: image reg/nodepod:1, privileged, host namespaces, containers exit after 1h; created after asking once, deleted when the run ends',
      '  --dry-run: nothing was created and the command did not run',
    ].join('\n'),
  )
  // below the threshold: node pods, no DaemonSet line
  const small = renderFleetPlan({ above: 10, entries: [e('lab-2', 'pod', 'no ssh')], daemonSets: [] })
  assert.match(small, /lab-2: a node pod would be created — no ssh/)
  assert.not.match(small, /DaemonSet would be created/)
})

test.run()
