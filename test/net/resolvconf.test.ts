// resolv.conf parsing and the search candidates / stop rules of glibc and musl.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { countDots, nextIndex, parseResolvConf, searchCandidates, type Candidate } from '../../src/net/resolvconf.ts'
import { labFx } from './fake.ts'
import { assertFast } from '../fast.ts'

const names = (c: Candidate[]) => c.map((x) => x.name)

test('lab resolv.conf of shop/client and shop/ndots', () => {
  const c = parseResolvConf(labFx('resolv-conf-client.txt'))
  assert.equal(
    [c.nameservers, c.search, c.ndots, c.timeout, c.attempts],
    [['10.96.0.10'], ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], 5, 5, 2],
  )
  const n = parseResolvConf(labFx('resolv-conf-ndots.txt'))
  assert.equal([n.search.at(-1), n.ndots, n.timeout, n.options], ['lab.example', 5, 2, ['ndots:5', 'timeout:2']])
})

test('resolv.conf rules: comments, last search/domain wins, 3 nameservers, clamped options, rotate, no-tld-query', () => {
  const c = parseResolvConf(
    [
      '# comment',
      'domain corp.example',
      'search a.example b.example. ; trailing',
      'nameserver 1.1.1.1',
      'nameserver 2.2.2.2',
      'nameserver 3.3.3.3',
      'nameserver 4.4.4.4',
      'options ndots:99 timeout:0 attempts:9 rotate no-tld-query',
    ].join('\n'),
  )
  assert.equal(c.search, ['a.example', 'b.example'])
  assert.equal(c.nameservers, ['1.1.1.1', '2.2.2.2', '3.3.3.3'])
  assert.equal(c.ignoredNameservers, ['4.4.4.4'])
  assert.equal([c.ndots, c.timeout, c.attempts, c.rotate, c.noTldQuery], [15, 1, 5, true, true])
  assert.equal(parseResolvConf('search x.example\ndomain y.example\n').search, ['y.example'])
  assert.equal(parseResolvConf('').nameservers, [])
})

test('candidates with ndots:5 (the lab ndots pod): external.lab.example walks the whole search list first', () => {
  const rc = parseResolvConf(labFx('resolv-conf-ndots.txt'))
  assert.equal(names(searchCandidates('external.lab.example', rc)), [
    'external.lab.example.shop.svc.cluster.local',
    'external.lab.example.svc.cluster.local',
    'external.lab.example.cluster.local',
    'external.lab.example.lab.example',
    'external.lab.example',
  ])
  assert.equal(names(searchCandidates('external.lab.example.', rc)), ['external.lab.example'])
  assert.equal(searchCandidates('web', rc)[0], { name: 'web.shop.svc.cluster.local', via: 'shop.svc.cluster.local' })
})

test('candidates with dots >= ndots: glibc tries the name first then the search list; musl only the name', () => {
  const rc = { ndots: 1, search: ['shop.svc.cluster.local', 'cluster.local'], noTldQuery: false }
  assert.equal(names(searchCandidates('web.shop', rc, 'glibc')), [
    'web.shop',
    'web.shop.shop.svc.cluster.local',
    'web.shop.cluster.local',
  ])
  assert.equal(names(searchCandidates('web.shop', rc, 'musl')), ['web.shop'])
  assert.equal(names(searchCandidates('web', rc, 'musl')), ['web.shop.svc.cluster.local', 'web.cluster.local', 'web'])
  assert.equal(names(searchCandidates('web', { ...rc, noTldQuery: true }, 'glibc')), [
    'web.shop.svc.cluster.local',
    'web.cluster.local',
  ])
  assert.equal(countDots('a.b.c.'), 2)
})

test('stop rules: glibc keeps going on NXDOMAIN/NODATA/SERVFAIL, jumps to the name as is after a timeout; musl stops on anything but NXDOMAIN', () => {
  const rc = parseResolvConf(labFx('resolv-conf-ndots.txt'))
  const c = searchCandidates('external.lab.example', rc, 'glibc') // 4 search + as-is
  assert.is(nextIndex(c, 0, 'NXDOMAIN', 'glibc'), 1)
  assert.is(nextIndex(c, 0, 'NODATA', 'glibc'), 1)
  assert.is(nextIndex(c, 0, 'SERVFAIL', 'glibc'), 1)
  assert.is(nextIndex(c, 0, 'TIMEOUT', 'glibc'), 4)
  assert.is(nextIndex(c, 1, 'REFUSED', 'glibc'), 4)
  assert.is(nextIndex(c, 0, 'CONNREFUSED', 'glibc'), undefined)
  assert.is(nextIndex(c, 0, 'answer', 'glibc'), undefined)
  assert.is(nextIndex(c, 4, 'NXDOMAIN', 'glibc'), undefined)
  assert.is(nextIndex(c, 0, 'NXDOMAIN', 'musl'), 1)
  assert.is(nextIndex(c, 0, 'NODATA', 'musl'), undefined)
  assert.is(nextIndex(c, 0, 'TIMEOUT', 'musl'), undefined)
  const first = searchCandidates('a.b', { ndots: 1, search: ['x.example'], noTldQuery: false }, 'glibc')
  assert.is(nextIndex(first, 0, 'TIMEOUT', 'glibc'), 1) // the name as is came first: the search list follows
})

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/)

test('property: the name as is is a candidate exactly once, the others are name.domain, a trailing dot means only itself', () => {
  fc.assert(
    fc.property(
      fc.array(label, { minLength: 1, maxLength: 4 }),
      fc.array(
        fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join('.')),
        { maxLength: 6 },
      ),
      fc.integer({ min: 0, max: 15 }),
      fc.constantFrom('glibc' as const, 'musl' as const),
      (parts, search, ndots, kind) => {
        const name = parts.join('.')
        const c = searchCandidates(name, { ndots, search, noTldQuery: false }, kind)
        assert.is(c.filter((x) => x.via === 'as-is').length, 1)
        assert.ok(c.every((x) => x.via === 'as-is' || x.name === `${name}.${x.via}`))
        assert.equal(names(searchCandidates(`${name}.`, { ndots, search, noTldQuery: false }, kind)), [name])
        if (countDots(name) < ndots) assert.is(c.at(-1)!.name, name)
        else assert.is(c[0].name, name)
      },
    ),
  )
})

// Regression cases found by test/fuzz/dns.test.ts (fast-check counterexamples, shrunk).
test('fuzz regressions: a nameserver that is not an address is skipped (as glibc does), "search ." is no search domain', () => {
  const c = parseResolvConf(
    'nameserver 10.96\nnameserver 10.96.0.10\nnameserver -1.2\nnameserver 1.1.1.1\nnameserver 2.2.2.2\nnameserver fe80::1%eth0\nsearch .\n',
  )
  assert.equal(
    [c.nameservers, c.ignoredNameservers, c.search],
    [['10.96.0.10', '1.1.1.1', '2.2.2.2'], ['fe80::1%eth0'], []],
  )
})

test('fuzz regressions: a comment runs to the end of the line even with a stray \\r in it (and a long run of "#" is linear)', () => {
  assert.equal(parseResolvConf('nameserver 10.96.0.10 # x\ry\nsearch a.example ;b\rc\n').search, ['a.example'])
  const hashes = `nameserver 1.1.1.1 ${'#'.repeat(30000)}\r`
  assert.equal(assertFast(() => parseResolvConf(hashes), 50, '30,000 "#"').nameservers, ['1.1.1.1'])
})

test.run()
