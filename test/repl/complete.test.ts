import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NameCache, completeNames, nameSlot, type CompleteKind } from '../../src/repl/complete.ts'
import { GLOBALS } from '../../src/repl/context.ts'

test('nameSlot: dot-command arguments and helper string arguments', () => {
  assert.equal(nameSlot('.ns ku'), { kind: 'namespace', prefix: 'ku' })
  assert.equal(nameSlot('.ctx '), { kind: 'context', prefix: '' })
  assert.equal(nameSlot('.run dn'), { kind: 'recipe', prefix: 'dn' })
  assert.equal(nameSlot("await pod('we"), { kind: 'pod', prefix: 'we' })
  assert.equal(nameSlot('await logs("cl'), { kind: 'pod', prefix: 'cl' })
  assert.equal(nameSlot("node('lab"), { kind: 'node', prefix: 'lab' })
  assert.equal(nameSlot('await svc(`w'), { kind: 'service', prefix: 'w' })
  assert.equal(nameSlot("await pods({ namespace: 'ku"), { kind: 'namespace', prefix: 'ku' })
  assert.equal(nameSlot("await pod('web-1')"), undefined) // the string is closed
  assert.equal(nameSlot('pods'), undefined)
  assert.equal(nameSlot("foo('x"), undefined)
  assert.equal(nameSlot('.save no'), undefined) // .save takes no names
  assert.equal(nameSlot('.peek we', { peek: 'pod' }), { kind: 'pod', prefix: 'we' }) // kinds come from the command table
})

test('nameSlot: every global that takes a name completes it, as GLOBALS declares', () => {
  assert.equal(nameSlot("await enterNetns('cl"), { kind: 'pod', prefix: 'cl' })
  assert.equal(nameSlot("await svcRules('w"), { kind: 'service', prefix: 'w' })
  assert.equal(nameSlot("await conntrackList('lab"), { kind: 'node', prefix: 'lab' })
  assert.equal(nameSlot("await dnsQuery('web"), undefined) // a DNS name, not a cluster object
  for (const g of GLOBALS) assert.equal(nameSlot(`${g.name}('x`)?.kind, g.completes, g.name)
})

test('NameCache.get never waits: empty first, the list after the background fetch, refetch after the TTL', async () => {
  let now = 0
  const fetched: CompleteKind[] = []
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const cache = new NameCache(
    async (kind) => {
      fetched.push(kind)
      await gate
      return kind === 'pod' ? ['web-1', 'web-2'] : []
    },
    { ttlMs: 1000, now: () => now },
  )
  assert.equal(cache.get('pod'), [])
  assert.equal(cache.get('pod'), []) // one fetch in flight, not two
  assert.equal(fetched, ['pod'])
  release()
  await new Promise((r) => setImmediate(r))
  assert.equal(cache.get('pod'), ['web-1', 'web-2'])
  assert.equal(fetched, ['pod'])
  now = 2000
  assert.equal(cache.get('pod'), ['web-1', 'web-2']) // stale list served while refreshing
  assert.equal(fetched, ['pod', 'pod'])
})

test('NameCache: a failed fetch keeps the old list and is not retried on every keypress', async () => {
  let now = 0
  let calls = 0
  let fail = false
  const cache = new NameCache(
    async () => {
      calls++
      if (fail) throw new Error('connection refused')
      return ['a']
    },
    { ttlMs: 1000, now: () => now },
  )
  await cache.refresh('pod')
  fail = true
  now = 5000
  assert.equal(cache.get('pod'), ['a'])
  await new Promise((r) => setImmediate(r))
  assert.equal(cache.get('pod'), ['a'])
  assert.equal(cache.get('pod'), ['a'])
  assert.is(calls, 2)
})

test('NameCache.invalidate drops lists and ignores answers still in flight', async () => {
  let release!: (v: string[]) => void
  const cache = new NameCache(() => new Promise<string[]>((r) => (release = r)))
  const p = cache.refresh('pod')
  cache.invalidate(['pod'])
  release(['old-ns-pod'])
  await p
  assert.equal(cache.get('pod'), [])
})

test('completeNames filters by prefix, adds local for nodes, and leaves other lines to JS completion', () => {
  const lists: Record<string, string[]> = { pod: ['web-2', 'web-1', 'client'], node: ['lab-1'] }
  const cache = { get: (k: CompleteKind) => lists[k] ?? [] }
  assert.equal(completeNames("pod('web", cache), [['web-1', 'web-2'], 'web'])
  assert.equal(completeNames("node('", cache), [['lab-1', 'local'], ''])
  assert.equal(completeNames("pod('zzz", cache), [[], 'zzz'])
  assert.is(completeNames('pods().le', cache), undefined)
})

test.run()
