// top(): kubectl top's rounding and sorting, checked against kubectl top output captured from the lab.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { checkSort, nodeUsage, podUsage } from '../../src/kube/top.ts'
import { ceilMilli, ceilValue, parseQuantityExact } from '../../src/kube/quantity.ts'
import { renderUsage } from '../../src/render/top.ts'
import { KubeError } from '../../src/kube/errors.ts'
import { assertFast } from '../fast.ts'

const dir = path.join(import.meta.dirname, '../fixtures/lab')
const json = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))
const text = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8')
// kubectl's tabwriter pads every cell, the last included; ours trims line ends.
const norm = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .join('\n')

test('lab capture: top pods -A prints what kubectl top pods -A printed from the same sample', () => {
  const rows = podUsage(json('metrics-pods.json').items, { allNamespaces: true })
  assert.is(norm(renderUsage(rows, { color: false, namespaceColumn: true })), norm(text('kubectl-top-pods-A.txt')))
  assert.ok(rows.some((r) => r.namespace === 'kube-system' && r.name.startsWith('metrics-server-')))
  assert.is(rows.length, 8)
  for (const r of rows) {
    // summed exactly, then rounded up once: at least the largest container's rounded value, at most the sum of them
    const cpu = r.containers.map((c) => c.cpuMillicores)
    const mem = r.containers.map((c) => c.memoryBytes)
    assert.ok(cpu.length > 0, `${r.name} has containers`)
    assert.ok(
      r.cpuMillicores >= Math.max(...cpu) && r.cpuMillicores <= cpu.reduce((a, b) => a + b, 0),
      `${r.name}: cpu ${r.cpuMillicores} vs containers ${cpu}`,
    )
    assert.ok(
      r.memoryBytes >= Math.max(...mem) && r.memoryBytes <= mem.reduce((a, b) => a + b, 0),
      `${r.name}: memory ${r.memoryBytes} vs containers ${mem}`,
    )
    assert.ok(r.memoryBytes > 0, `${r.name} has a working set`)
  }
})

test('lab capture: top pods --containers --sort-by memory (pods and their containers descending)', () => {
  const rows = podUsage(
    json('metrics-pods.json').items.filter((m: any) => m.metadata.namespace === 'shop'),
    { sortBy: 'memory' },
  )
  assert.is(
    norm(renderUsage(rows, { color: false, containers: true })),
    norm(text('kubectl-top-pods-containers-mem.txt')),
  )
  const mem = rows.map((r) => r.memoryBytes)
  assert.equal(
    mem,
    [...mem].sort((a, b) => b - a),
  )
})

test('lab capture: top nodes with CPU% and MEMORY% of allocatable, as kubectl top nodes', () => {
  const nodes = json('kubectl-nodes.json').items
  const rows = nodeUsage(json('metrics-nodes.json').items, nodes)
  assert.is(norm(renderUsage(rows, { color: false })), norm(text('kubectl-top-nodes.txt')))
  const alloc = nodes[0].status.allocatable
  assert.is(rows[0].allocatable?.cpuMillicores, ceilMilli(parseQuantityExact(alloc.cpu)))
  assert.is(rows[0].allocatable?.memoryBytes, ceilValue(parseQuantityExact(alloc.memory)))
})

test('nodeUsage: a node without metrics is listed as <unknown>, after the measured ones', () => {
  const nodes = json('kubectl-nodes.json').items
  const metrics = json('metrics-nodes.json').items
  const quiet = { ...nodes[0], metadata: { ...nodes[0].metadata, name: 'fan-1' } }
  const rows = nodeUsage(metrics, [quiet, ...nodes])
  const measured = metrics.map((m: { metadata: { name: string } }) => m.metadata.name).sort()
  assert.ok(measured.length > 0)
  assert.equal(
    rows.map((r) => r.name),
    [...measured, 'fan-1'],
  )
  assert.ok(rows.slice(0, -1).every((r) => r.cpuMillicores !== undefined && r.cpuPercent !== undefined))
  assert.is(rows.at(-1)!.cpuMillicores, undefined)
  assert.match(renderUsage(rows, { color: false }), /^fan-1\s+<unknown>\s+<unknown>\s+<unknown>\s+<unknown>$/m)
})

test('podUsage: containers summed before rounding (3 x 1n is 1m, not 3m); ties by name', () => {
  const m = (name: string, cpus: string[]) => ({
    metadata: { name, namespace: 'x' },
    containers: cpus.map((c, i) => ({ name: `c${i}`, usage: { cpu: c, memory: '1Mi' } })),
  })
  const rows = podUsage([m('b', ['1n', '1n', '1n']), m('a', ['1n'])], { sortBy: 'cpu' })
  assert.equal(
    rows.map((r) => [r.name, r.cpuMillicores, r.memoryBytes]),
    [
      ['a', 1, 2 ** 20],
      ['b', 1, 3 * 2 ** 20],
    ],
  )
  assert.throws(
    () => podUsage([{ metadata: { name: 'p' }, containers: [{ name: 'c', usage: { cpu: 'lots', memory: '1' } }] }]),
    /pod p container c usage\.cpu: expected a Kubernetes quantity/,
  )
})

test('checkSort: cpu, memory or nothing; anything else named', () => {
  assert.is(checkSort(undefined), undefined)
  assert.is(checkSort('cpu'), 'cpu')
  assert.throws(() => checkSort('disk'), /^sortBy: expected "cpu" or "memory", received "disk"$/)
})

// Regression case found by test/fuzz/kube.test.ts: "1e<huge>" made 10n ** e run for minutes (seconds at e7).
test('fuzz regression: an exponent beyond e±1000 is refused at once', () => {
  const refused = (q: string) => () => {
    try {
      parseQuantityExact(q)
    } catch {
      return 'refused'
    }
  }
  assert.is(assertFast(refused('1e999999999'), 50, '1e999999999'), 'refused')
  assert.is(assertFast(refused(`1e${'9'.repeat(400)}`), 50, '1e + 400 nines'), 'refused')
  assert.throws(
    () => parseQuantityExact('1e999999999', 'usage.cpu'),
    (e: unknown) =>
      e instanceof KubeError &&
      e.kind === 'invalid' &&
      /^usage\.cpu: the exponent of "1e999999999" is out of range/.test((e as Error).message),
  )
  assert.throws(
    () => parseQuantityExact(`1e${'9'.repeat(400)}`),
    (e: unknown) => e instanceof KubeError,
  )
  assert.is(ceilValue(parseQuantityExact('1e1000')), Infinity) // the largest accepted: exact as a fraction, Infinity as a number
  assert.is(ceilMilli(parseQuantityExact('1e-1000')), 1)
})

test.run()
