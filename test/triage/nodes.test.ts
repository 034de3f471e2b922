// Node reads over a transport the user allowed, on outputs captured from the lab: kube-proxy rules read once per node
// for every Service and compared with the EndpointSlices (stale-rules, captured on lab-2), conntrack fill
// (conntrack-full), a node that cannot be read, a node that does not answer in time; then the symptoms they make.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExecOutput, NodeHandle, type Exec } from '../../src/exec/index.ts'
import type { EndpointSlice, Pod, Service } from '../../src/kube/types.ts'
import { analyzeNodeReads } from '../../src/triage/analyze/nodereads.ts'
import { readNodes, sshNodeReads, type NodeReads } from '../../src/triage/nodes.ts'
import { nodeChecksOf } from '../../src/triage/index.ts'
import { labFx } from '../net/fake.ts'
import { capture } from './lab-snapshot.ts'

// The stale-rules capture holds the slices of shop: triage with scope shop reads the rules of shop's Services.
const services = (JSON.parse(labFx('kubectl-services.json')).items as Service[]).filter(
  (s) => s.metadata.namespace === 'shop',
)
const slices = JSON.parse(labFx('kubectl-endpointslices-stale.json')).items as EndpointSlice[]
// Pods of the three-node lab (the triage capture of the healthy lab), for a client pod on the node.
const pods = capture('healthy').lists.pods as Pod[]

/** A node answering from captured outputs; `hang` commands never answer. */
function node(
  name: string,
  answers: Record<string, { stdout?: string; stderr?: string; exitCode?: number }>,
  calls: string[],
  hang: string[] = [],
): NodeHandle {
  const exec: Exec = {
    target: `ssh:${name}`,
    run: (argv) => {
      calls.push(`${name}: ${argv.join(' ')}`)
      if (hang.includes(argv[0])) return new Promise<never>(() => {})
      const a = answers[argv[0]] ?? { exitCode: 127, stderr: `${argv[0]}: not found` }
      return Promise.resolve(
        new ExecOutput({
          target: `ssh:${name}`,
          argv: [...argv],
          exitCode: a.exitCode ?? 0,
          stdout: a.stdout ?? '',
          stderr: a.stderr ?? '',
          durationMs: 1,
        }),
      )
    },
  }
  return new NodeHandle(exec)
}

/** nf_conntrack_count and nf_conntrack_max of the conntrack-full capture. */
const [fullCount, fullMax] = labFx('conntrack-count-full.txt').trim().split('\n').map(Number)

const noNft = { exitCode: 1, stderr: 'Error: No such file or directory\nlist table ip kube-proxy\n' }

test('stale rules and a full conntrack table on lab-2, lab-3 unreadable: what was read, and the symptoms with their next commands', async () => {
  const calls: string[] = []
  const lab2 = node(
    'lab-2',
    {
      'iptables-save': { stdout: labFx('iptables-save-stale.txt') },
      nft: noNft,
      conntrack: { stdout: labFx('conntrack-S-full.txt') },
      cat: { stdout: labFx('conntrack-count-full.txt') },
    },
    calls,
  )
  const reads: NodeReads = {
    transport: 'test',
    open: async (n) => (n === 'lab-2' ? { handle: lab2 } : { reason: 'SSH: connect ECONNREFUSED 10.99.0.3:2222' }),
  }
  const got = await readNodes({
    session: { kube: {} as never, namespace: 'shop' },
    nodes: ['lab-2', 'lab-3'],
    services,
    slices,
    reads,
  })
  assert.equal(
    got.map((r) => [r.node, r.reason]),
    [
      ['lab-2', undefined],
      ['lab-3', 'SSH: connect ECONNREFUSED 10.99.0.3:2222'],
    ],
  )
  const lab2Read = got[0]
  assert.equal(lab2Read.rulesError, undefined)
  assert.is(calls.filter((c) => c === 'lab-2: iptables-save -c').length, 1, 'one iptables-save for every Service')
  const byService = new Map(lab2Read.rules!.map((r) => [r.service, r.status]))
  assert.is(byService.get('shop/web'), 'mismatch')
  assert.equal([...byService.keys()].sort(), services.map((s) => `shop/${s.metadata.name}`).sort())
  // What the capture caught: the fill's count and max, read as the node prints them.
  assert.equal([lab2Read.conntrack?.count, lab2Read.conntrack?.max], [fullCount, fullMax])
  assert.ok(lab2Read.conntrack!.totals.drop > 0, 'the drops of the fill are in conntrack -S')

  const symptoms = analyzeNodeReads(got, pods)
  const fill = fullCount / fullMax >= 0.9 ? 'fail' : fullCount / fullMax >= 0.8 ? 'warn' : undefined
  assert.equal(
    symptoms.map((s) => [s.code, s.severity, s.object.name]).sort(),
    [['rules-drift', 'fail', 'lab-2'], ...(fill ? [['conntrack', fill, 'lab-2']] : [])].sort(),
  )
  const drift = symptoms.find((s) => s.code === 'rules-drift')!
  assert.match(drift.symptom, /^kube-proxy rules drift from EndpointSlices \(\d Services?\)$/)
  assert.match(
    drift.evidence,
    /^mismatch: shop\/web: stale http 10\.244\.\d+\.\d+:8080 \(in the rules, in no EndpointSlice\)/,
  )
  assert.match(drift.next.command, /^kinspect run svc --service shop\/web --from shop\/[a-z0-9-]+$/)
  const from = pods.find((p) => `shop/${p.metadata.name}` === drift.next.params!.from)
  assert.is(from?.spec.nodeName, 'lab-2', 'the client pod runs on the drifting node')
})

test('conntrack fill: 80% warns, 90% fails, with count, max and drops as evidence and the conntrack recipe next', async () => {
  const calls: string[] = []
  const lab2 = node(
    'lab-2',
    { conntrack: { stdout: labFx('conntrack-S-full.txt') }, cat: { stdout: labFx('conntrack-count-full.txt') } },
    calls,
  )
  const [read] = await readNodes({
    session: { kube: {} as never, namespace: 'shop' },
    nodes: ['lab-2'],
    services: [],
    slices: [],
    reads: { transport: 'test', open: async () => ({ handle: lab2 }) },
  })
  const max = read.conntrack!.max!
  assert.is(max, fullMax)
  const at = (count: number) =>
    analyzeNodeReads([{ ...read, conntrack: { ...read.conntrack!, count, usage: count / max } }], pods)
  const pct = (p: number) => Math.floor((p / 100) * max)
  assert.equal(at(pct(79)), [])
  const w = pct(81) + 1
  assert.equal(
    at(w).map((s) => [s.severity, s.symptom]),
    [['warn', `conntrack table ${Math.round((100 * w) / max)}% full`]],
  )
  const f = pct(99)
  const full = at(f)
  assert.equal(
    full.map((s) => [s.severity, s.symptom, s.next.command]),
    [['fail', `conntrack table ${Math.round((100 * f) / max)}% full`, 'kinspect run conntrack --node lab-2']],
  )
  assert.match(
    full[0].evidence,
    new RegExp(
      `^nf_conntrack_count ${f} of nf_conntrack_max ${max}; drop=\\d+ since boot: new connections are dropped when it is full$`,
    ),
  )
})

test('a node that does not answer: its reads say so after the deadline, and it makes no symptom', async () => {
  const calls: string[] = []
  const slow = node(
    'lab-1',
    {
      conntrack: { stdout: labFx('conntrack-S.txt') },
      cat: { exitCode: 1, stderr: 'cat: /proc/sys/net/netfilter/nf_conntrack_count: No such file or directory' },
    },
    calls,
    ['iptables-save', 'nft'],
  )
  const got = await readNodes({
    session: { kube: {} as never, namespace: 'shop' },
    nodes: ['lab-1'],
    services,
    slices,
    reads: { transport: 'test', open: async () => ({ handle: slow }) },
    timeoutMs: 50,
  })
  assert.is(got[0].rulesError, 'kube-proxy rules on lab-1: no answer within 50 ms')
  assert.is(got[0].conntrack?.usage, undefined)
  assert.equal(analyzeNodeReads(got, pods), [])
})

test('sshNodeReads: a node counts as allowed when `true` runs on it; otherwise the reason, and nothing else is run', async () => {
  const calls: string[] = []
  const ok = node('lab-1', { true: {} }, calls)
  const refused = new NodeHandle({
    target: 'ssh:lab-9',
    run: async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 10.99.0.9:2222'), { kind: 'connect' })
    },
  })
  const failing = node('lab-3', { true: { exitCode: 1, stderr: 'sudo: a password is required' } }, calls)
  const reads = sshNodeReads({ node: (n: string) => (n === 'lab-1' ? ok : n === 'lab-3' ? failing : refused) })
  assert.is(reads.transport, 'ssh')
  assert.ok('handle' in (await reads.open('lab-1')))
  assert.equal(await reads.open('lab-9'), { reason: 'SSH: connect ECONNREFUSED 10.99.0.9:2222' })
  assert.equal(await reads.open('lab-3'), { reason: '`true` exited 1 over SSH: sudo: a password is required' })
  assert.equal(calls, ['lab-1: true', 'lab-3: true'])
})

test('sshNodeReads through a node pod: the read says it went over the pod, and a failure names the node pod, not SSH', async () => {
  const calls: string[] = []
  const viaPod = (name: string, answers: Parameters<typeof node>[1]) => {
    const h = node(name, answers, calls)
    return new NodeHandle({ target: `pod:${name}`, run: (argv, o) => h.exec.run(argv, o) })
  }
  const lab1 = viaPod('lab-1', { true: {} })
  const lab3 = viaPod('lab-3', { true: { exitCode: 126, stderr: 'nsenter: cannot open /proc/1/ns/mnt' } })
  const reads = sshNodeReads({ node: (n: string) => (n === 'lab-1' ? lab1 : lab3) })
  const opened = await reads.open('lab-1')
  assert.ok('handle' in opened && opened.via === 'pod', JSON.stringify(opened))
  assert.equal(await reads.open('lab-3'), {
    reason: '`true` exited 126 over node pod: nsenter: cannot open /proc/1/ns/mnt',
  })
  // readNodes keeps the transport of each node it read
  const got = await readNodes({
    session: { kube: {} as never, namespace: 'shop' },
    nodes: ['lab-1', 'lab-3'],
    services: [],
    slices: [],
    reads: { transport: 'ssh', open: async (n) => (n === 'lab-1' ? { handle: lab1, via: 'pod' } : { reason: 'x' }) },
  })
  assert.equal(
    got.map((r) => [r.node, r.via]),
    [
      ['lab-1', 'pod'],
      ['lab-3', undefined],
    ],
  )
})

test('nodeChecksOf: the transport is the one the nodes were read over (both when they differ), each node says its own; the declared name only when no node said', () => {
  const checks = nodeChecksOf(
    [
      { node: 'lab-1', via: 'pod' },
      { node: 'lab-2', via: 'ssh' },
      { node: 'lab-3', reason: 'node pod: node lab-3 is not Ready' },
    ],
    'ssh',
  )
  assert.equal(checks, {
    ran: true,
    transport: 'pod, ssh',
    nodes: [
      { node: 'lab-1', status: 'read', via: 'pod' },
      { node: 'lab-2', status: 'read', via: 'ssh' },
      { node: 'lab-3', status: 'not-read', reason: 'node pod: node lab-3 is not Ready' },
    ],
  })
  assert.is(nodeChecksOf([{ node: 'lab-1', via: 'pod' }], 'ssh').transport, 'pod')
  assert.is(nodeChecksOf([{ node: 'lab-1', reason: 'refused' }], 'ssh').transport, 'ssh')
})

test.run()
