// dnsQuery on a fake node answering with captured dig/nslookup outputs: the queries it sends, in order, and the verdict.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { NodeHandle, type RunOptions } from '../../src/exec/index.ts'
import { dnsQuery, parseProbe, PROBE_SCRIPT } from '../../src/net/dns.ts'
import { NetError } from '../../src/net/errors.ts'
import { failure, fakeNetSession, labFx, netFx, type Answer } from './fake.ts'
import { installPresenters } from '../../src/render/presenters.ts'

installPresenters() // results print as tables, as in the shell

const NDOTS_PID = 777
const inspectJson = (pid: number) => {
  const j = JSON.parse(labFx('crictl-inspect-client.json'))
  j.info.pid = pid
  return JSON.stringify(j)
}
const probe = (o: { libc?: string; tools?: string[]; resolv?: string | null } = {}) =>
  [
    `#kinspect libc ${o.libc ?? 'unknown'}`,
    ...(o.tools ?? ['dig', 'nslookup', 'getent']).map((t) => `#kinspect tool ${t} /usr/bin/${t}`),
    o.resolv === null
      ? '#kinspect no resolv.conf'
      : `#kinspect resolv.conf\n${o.resolv ?? labFx('resolv-conf-ndots.txt')}`,
  ].join('\n')

/** A node where CoreDNS knows external.lab.example (and kubernetes.default.svc.cluster.local) and nothing else. */
function route(o: { probe?: string; dig?: (name: string, server: string) => Answer } = {}) {
  const dig =
    o.dig ??
    ((name: string) => ({
      stdout: netFx(
        name === 'external.lab.example'
          ? 'dig-noall-external.txt'
          : name === 'kubernetes.default.svc.cluster.local'
            ? 'dig-noall-noerror.txt'
            : 'dig-noall-nxdomain.txt',
      ),
    }))
  return (_n: string, argv: string[], opts: RunOptions): Answer => {
    if (argv[0] === 'crictl') return { stdout: inspectJson(NDOTS_PID) }
    if (argv[0] === 'sh' && opts.input === PROBE_SCRIPT) return { stdout: o.probe ?? probe() }
    const a = argv[0] === 'nsenter' ? argv.slice(5) : argv
    if (a[0] === 'dig') return dig(a.at(-2)!, a.at(-3)!.slice(1))
    if (a[0] === 'nslookup')
      return {
        stdout:
          a[4] === 'external.lab.example.'
            ? labFx('nslookup-web.txt')
                .replace(/web\.shop\.svc\.cluster\.local/, 'external.lab.example')
                .replace('10.96.202.43', '127.0.0.1')
            : netFx('nslookup-nxdomain.txt'),
      }
    if (a[0] === 'getent') return { stdout: '127.0.0.1       STREAM external.lab.example\n' }
    return { exitCode: 1, stderr: `unexpected ${argv.join(' ')}` }
  }
}

const TIMEOUT: Answer = { exitCode: 9, stdout: netFx('dig-noall-timeout.txt') }

test('parseProbe', () => {
  const p = parseProbe(probe({ libc: 'musl', tools: ['dig'] }))
  assert.equal([p.libc, p.tools, p.resolv], ['musl', { dig: '/usr/bin/dig' }, labFx('resolv-conf-ndots.txt')])
  assert.equal(parseProbe(probe({ resolv: null })).resolv, undefined)
})

test('ndots:5 pod, external.lab.example: 4 NXDOMAIN through the search list, then NOERROR for the name as is', async () => {
  const { session, calls } = fakeNetSession(route())
  const r = await dnsQuery(session, 'external.lab.example', { from: 'ndots' })
  assert.equal(
    r.attempts.map((a) => [a.name, a.rcode]),
    [
      ['external.lab.example.shop.svc.cluster.local', 'NXDOMAIN'],
      ['external.lab.example.svc.cluster.local', 'NXDOMAIN'],
      ['external.lab.example.cluster.local', 'NXDOMAIN'],
      ['external.lab.example.lab.example', 'NXDOMAIN'],
      ['external.lab.example', 'NOERROR'],
    ],
  )
  assert.equal(
    [r.resolved, r.rcode, r.answeredBy, r.answers[0].data, r.tool, r.from, r.node],
    [true, 'NOERROR', 'external.lab.example', '127.0.0.1', 'dig', 'pod shop/ndots', 'lab-1'],
  )
  const probeCall = calls.find((c) => c.opts.input === PROBE_SCRIPT)!
  assert.equal(probeCall.argv, ['sh', '-s', '--', `/proc/${NDOTS_PID}/root`])
  const firstDig = calls.find((c) => c.argv.includes('dig'))!
  assert.equal(firstDig.argv, [
    'nsenter',
    '-t',
    String(NDOTS_PID),
    '-n',
    '--',
    'dig',
    '+noall',
    '+answer',
    '+comments',
    '+stats',
    '+time=2',
    '+tries=1',
    '@10.96.0.10',
    'external.lab.example.shop.svc.cluster.local',
    'A',
  ])
  assert.ok(r.notes.some((n) => /4 NXDOMAIN before the answer: .* fewer than ndots:5/.test(n)))
  assert.equal([r.resolver, r.resolverFrom], ['glibc', 'assumed'])
  const text = inspect(r, { colors: false })
  assert.match(
    text,
    /^dnsQuery external\.lab\.example A from pod shop\/ndots \(lab-1\) with dig, glibc rules \(assumed\); ndots:5/,
  )
  assert.match(text, /5\s+external\.lab\.example\s+as-is\s+10\.96\.0\.10\s+NOERROR\s+A 127\.0\.0\.1/)
  assert.match(text, /resolved: A 127\.0\.0\.1 \(external\.lab\.example\) after 5 queries/)
  assert.is(JSON.parse(JSON.stringify(r)).attempts.length, 5)
})

test('a trailing dot is one query; a short name stops at the first search domain that answers', async () => {
  const { session } = fakeNetSession(route())
  const abs = await dnsQuery(session, 'external.lab.example.', { from: 'shop/ndots' })
  assert.equal(
    abs.attempts.map((a) => a.name),
    ['external.lab.example'],
  )
  const { session: s2 } = fakeNetSession(
    route({
      dig: (name) => ({
        stdout: netFx(
          name === 'kubernetes.default.svc.cluster.local' ? 'dig-noall-noerror.txt' : 'dig-noall-nxdomain.txt',
        ),
      }),
    }),
  )
  const k = await dnsQuery(s2, 'kubernetes.default', { from: 'ndots' })
  assert.equal(
    k.attempts.map((a) => [a.name, a.rcode]),
    [
      ['kubernetes.default.shop.svc.cluster.local', 'NXDOMAIN'],
      ['kubernetes.default.svc.cluster.local', 'NOERROR'],
    ],
  )
  assert.ok(
    k.notes.some((n) => n.includes('use the full name with a trailing dot ("kubernetes.default.svc.cluster.local.")')),
    k.notes.join('\n'),
  )
})

test('dns-down: timeouts are results; glibc tries attempts x servers, then the name as is, and stops', async () => {
  const { session } = fakeNetSession(route({ dig: () => TIMEOUT }))
  const r = await dnsQuery(session, 'external.lab.example', { from: 'ndots' })
  assert.equal(
    r.attempts.map((a) => [a.name, a.rcode]),
    [
      ['external.lab.example.shop.svc.cluster.local', 'TIMEOUT'],
      ['external.lab.example.shop.svc.cluster.local', 'TIMEOUT'],
      ['external.lab.example', 'TIMEOUT'],
      ['external.lab.example', 'TIMEOUT'],
    ],
  )
  assert.equal([r.resolved, r.rcode], [false, 'TIMEOUT'])
  assert.ok(r.notes.some((n) => /TIMEOUT: no answer/.test(n)))
  assert.match(inspect(r, { colors: false }), /not resolved: TIMEOUT after 4 queries/)
})

test('musl (detected in the pod filesystem): stops at the first timeout, tries dots >= ndots names only as is', async () => {
  const { session } = fakeNetSession(route({ probe: probe({ libc: 'musl' }), dig: () => TIMEOUT }))
  const r = await dnsQuery(session, 'external.lab.example', { from: 'ndots', attempts: 1 })
  assert.equal([r.resolver, r.resolverFrom, r.attempts.length], ['musl', 'detected', 1])
  const { session: s2 } = fakeNetSession(
    route({
      probe: probe({ libc: 'musl', resolv: 'nameserver 10.96.0.10\nsearch shop.svc.cluster.local\noptions ndots:1\n' }),
    }),
  )
  const r2 = await dnsQuery(s2, 'external.lab.example', { from: 'ndots' })
  assert.equal(
    r2.candidates.map((c) => c.name),
    ['external.lab.example'],
  )
})

test('several nameservers: a timeout moves to the next one, which answers', async () => {
  const resolv =
    'nameserver 10.96.0.99\nnameserver 10.96.0.10\nsearch shop.svc.cluster.local\noptions ndots:1 timeout:1 attempts:1\n'
  const { session } = fakeNetSession(
    route({
      probe: probe({ resolv }),
      dig: (name, server) =>
        server === '10.96.0.99'
          ? TIMEOUT
          : { stdout: netFx(name === 'external.lab.example' ? 'dig-noall-external.txt' : 'dig-noall-nxdomain.txt') },
    }),
  )
  const r = await dnsQuery(session, 'external.lab.example', { from: 'ndots' })
  assert.equal(
    r.attempts.map((a) => [a.to, a.rcode]),
    [
      ['10.96.0.99', 'TIMEOUT'],
      ['10.96.0.10', 'NOERROR'],
    ],
  )
  assert.ok(r.resolved)
})

test('{server}: one direct query for the name as given; {type} is passed to dig', async () => {
  const { session, calls } = fakeNetSession(route())
  const r = await dnsQuery(session, 'external.lab.example', { from: 'ndots', server: '10.96.0.10', type: 'aaaa' })
  assert.equal(
    r.attempts.map((a) => [a.name, a.via, a.to]),
    [['external.lab.example', 'server', '10.96.0.10']],
  )
  assert.equal(
    calls.filter((c) => c.argv.includes('dig')).map((c) => c.argv.slice(-2)),
    [['external.lab.example', 'AAAA']],
  )
  assert.is(r.resolvConf, undefined)
})

test('from a node: no nsenter, the node resolv.conf', async () => {
  const { session, calls } = fakeNetSession(
    route({ probe: probe({ libc: 'glibc', resolv: 'nameserver 10.96.0.10\n' }) }),
  )
  for (const from of [{ node: 'lab-1' }, session.node('lab-1')]) {
    const r = await dnsQuery(session, 'kubernetes.default.svc.cluster.local', { from: from as NodeHandle })
    assert.equal([r.from, r.resolver, r.resolverFrom, r.resolved], ['node lab-1', 'glibc', 'detected', true])
  }
  assert.ok(calls.every((c) => c.argv[0] !== 'nsenter' && c.argv[0] !== 'crictl'))
  assert.equal(calls.find((c) => c.opts.input === PROBE_SCRIPT)!.argv, ['sh', '-s', '--', ''])
})

test('no dig: nslookup per candidate, and the result says which tool', async () => {
  const { session, calls } = fakeNetSession(route({ probe: probe({ tools: ['nslookup', 'getent'] }) }))
  const r = await dnsQuery(session, 'external.lab.example', { from: 'ndots' })
  assert.is(r.tool, 'nslookup')
  assert.equal(
    r.attempts.map((a) => a.rcode),
    ['NXDOMAIN', 'NXDOMAIN', 'NXDOMAIN', 'NXDOMAIN', 'NOERROR'],
  )
  assert.ok(r.notes.some((n) => /dig is not installed on lab-1: used nslookup/.test(n)))
  assert.ok(
    calls.some((c) =>
      c.argv
        .join(' ')
        .includes('nslookup -type=A -timeout=2 -retry=1 external.lab.example.shop.svc.cluster.local. 10.96.0.10'),
    ),
  )
})

test('only getent: one call, and the result says it cannot show per-candidate rcodes', async () => {
  const { session } = fakeNetSession(route({ probe: probe({ tools: ['getent'] }) }))
  const r = await dnsQuery(session, 'external.lab.example', { from: 'ndots' })
  assert.equal([r.tool, r.attempts.length, r.resolved, r.answers[0].data], ['getent', 1, true, '127.0.0.1'])
  assert.ok(r.notes.some((n) => /no per-candidate rcodes/.test(n)))
  assert.match(
    (await failure(dnsQuery(session, 'web', { from: 'ndots', type: 'SRV' }))).message,
    /getent can only look up A and AAAA/,
  )
})

test('no tool at all, or no resolv.conf: NetError tool naming the node', async () => {
  const { session } = fakeNetSession(route({ probe: probe({ tools: [] }) }))
  const e = await failure(dnsQuery(session, 'web', { from: 'ndots' }))
  assert.instance(e, NetError)
  assert.is(e.kind, 'tool')
  assert.match(e.message, /none of dig, nslookup, getent is installed on lab-1/)
  const { session: s2 } = fakeNetSession(route({ probe: probe({ resolv: null }) }))
  assert.match(
    (await failure(dnsQuery(s2, 'web', { from: 'ndots' }))).message,
    /\/proc\/777\/root\/etc\/resolv.conf does not exist/,
  )
})

test('arguments are validated before anything runs', async () => {
  const { session, calls } = fakeNetSession(route())
  const bad: [string, object, RegExp][] = [
    ['a b', { from: 'ndots' }, /name: expected a DNS name/],
    ['web', {}, /from: dnsQuery needs a pod or node/],
    ['web', { from: 'ndots', type: 'BOGUS' }, /type: expected one of A, AAAA/],
    ['web', { from: 'ndots', server: '10.0.0.1 ; id' }, /server: expected a nameserver IP/],
    ['web', { from: 'ndots', timeout: 0 }, /timeout: expected a whole number/],
    ['web', { from: 'ndots', tool: 'host' }, /tool: expected "dig"/],
    // a misspelled option is named, with the one it most likely meant (here before the missing from)
    ['web', { pod: 'ndots' }, /^options: unknown option "pod"; the options are from, type, server, tool/],
    ['web', { from: 'ndots', tpye: 'AAAA' }, /^options: unknown option "tpye" \(did you mean type\?\)/],
  ]
  for (const [name, o, re] of bad) {
    const e = await failure(dnsQuery(session, name, o as never))
    assert.instance(e, NetError)
    assert.is(e.kind, 'invalid')
    assert.match(e.message, re)
  }
  assert.is(calls.length, 0)
})

test.run()
