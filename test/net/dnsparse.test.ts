// dig / nslookup / getent parsers on outputs captured from the lab (answers, NXDOMAIN, NODATA, SRV, timeouts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  digArgv,
  getentArgv,
  nslookupArgv,
  outcomeOf,
  parseDig,
  parseGetent,
  parseNslookup,
  parseRecordLine,
} from '../../src/net/dnsparse.ts'
import { labFx, netFx } from './fake.ts'

/** The "Query time" dig printed, read with a plain regex. */
const queryTime = (text: string) => Number(/^;; Query time: (\d+) msec$/m.exec(text)![1])
/** The unused ClusterIP the timeouts asked: the destination of the unreplied flows the same capture run listed. */
const DEAD_IP = /\bdst=(\S+)/.exec(netFx('conntrack-L-unreplied.txt'))![1]

/** shop/web's ClusterIP in the Services of the same capture. */
const WEB_IP = JSON.parse(labFx('kubectl-services.json')).items.find(
  (s: { metadata: { namespace: string; name: string } }) =>
    s.metadata.namespace === 'shop' && s.metadata.name === 'web',
).spec.clusterIP as string

test('builders: the dig command of the brief, nslookup with a trailing dot, getent by family', () => {
  assert.equal(digArgv('web.shop.svc.cluster.local', 'A', '10.96.0.10', 2), [
    'dig',
    '+noall',
    '+answer',
    '+comments',
    '+stats',
    '+time=2',
    '+tries=1',
    '@10.96.0.10',
    'web.shop.svc.cluster.local',
    'A',
  ])
  assert.equal(nslookupArgv('web', 'SRV', '10.96.0.10', 5), [
    'nslookup',
    '-type=SRV',
    '-timeout=5',
    '-retry=1',
    'web.',
    '10.96.0.10',
  ])
  assert.equal(nslookupArgv('web.', 'A', '10.96.0.10', 5)[4], 'web.')
  assert.equal(getentArgv('web', 'AAAA'), ['getent', 'ahostsv6', 'web'])
})

test('dig (lab captures, default output): NOERROR answer, NXDOMAIN with only an authority, SRV, timeout', () => {
  const a = parseDig(labFx('dig-a-kubernetes.txt'))
  assert.equal([a.rcode, a.queryMs, a.server, a.flags], ['NOERROR', 0, '10.96.0.10#53', ['qr', 'aa', 'rd']])
  assert.equal(a.answers, [
    { name: 'kubernetes.default.svc.cluster.local.', ttl: 5, class: 'IN', type: 'A', data: '10.96.0.1' },
  ])
  const nx = parseDig(labFx('dig-nxdomain.txt'))
  assert.equal([nx.rcode, nx.answers.length], ['NXDOMAIN', 0]) // the SOA is in AUTHORITY, not an answer
  const srv = parseDig(labFx('dig-srv-web.txt'))
  assert.equal(srv.answers, [
    {
      name: '_http._tcp.web.shop.svc.cluster.local.',
      ttl: 5,
      class: 'IN',
      type: 'SRV',
      data: '0 100 80 web.shop.svc.cluster.local.',
    },
  ]) // the A in ADDITIONAL is not an answer
  const down = parseDig(labFx('dig-dns-down.txt'))
  assert.equal([down.rcode, down.server, down.answers], ['TIMEOUT', '10.96.0.10#53', []])
  const search = parseDig(labFx('dig-search-ndots.txt'))
  assert.equal(
    [search.rcode, search.answers[0].data, search.queryMs],
    ['NOERROR', '127.0.0.1', queryTime(labFx('dig-search-ndots.txt'))],
  )
  assert.is(nx.queryMs, queryTime(labFx('dig-nxdomain.txt')))
})

test('dig +noall +answer +comments +stats (what dnsQuery runs): answers, NODATA, NXDOMAIN, timeout, refused', () => {
  const ok = parseDig(netFx('dig-noall-noerror.txt'))
  assert.equal(
    [ok.rcode, ok.answers.map((r) => r.data), ok.queryMs, ok.server],
    ['NOERROR', ['10.96.0.1'], queryTime(netFx('dig-noall-noerror.txt')), '10.96.0.10#53'],
  )
  assert.equal(outcomeOf(ok), 'answer')
  const nodata = parseDig(netFx('dig-noall-nodata.txt'))
  assert.equal([nodata.rcode, nodata.answers.length, outcomeOf(nodata)], ['NOERROR', 0, 'NODATA'])
  const nx = parseDig(netFx('dig-noall-nxdomain.txt'))
  assert.equal([nx.rcode, outcomeOf(nx)], ['NXDOMAIN', 'NXDOMAIN'])
  assert.equal(parseDig(netFx('dig-noall-srv.txt')).answers[0].type, 'SRV')
  const to = parseDig(netFx('dig-noall-timeout.txt'))
  assert.equal(
    [to.rcode, to.server, to.error, outcomeOf(to)],
    ['TIMEOUT', `${DEAD_IP}#53`, `${DEAD_IP}#53: timed out`, 'TIMEOUT'],
  )
  const ref = parseDig(netFx('dig-noall-connrefused.txt'))
  assert.equal(
    [ref.rcode, ref.server, ref.error, outcomeOf(ref)],
    ['CONNREFUSED', '127.0.0.1#53', '127.0.0.1#53: connection refused', 'CONNREFUSED'],
  )
  assert.equal(parseDig('').rcode, 'ERROR')
  assert.equal(
    parseDig("dig: couldn't get address for 'nope': not found\n").error,
    "dig: couldn't get address for 'nope': not found",
  )
})

test('dig without section headers (+noall +answer only): every record line is an answer', () => {
  const r = parseDig(
    ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1\nweb.shop.svc.cluster.local. 5 IN A 10.96.202.43\n',
  )
  assert.equal(
    r.answers.map((a) => a.data),
    ['10.96.202.43'],
  )
  assert.is(parseRecordLine('; comment'), undefined)
})

test('nslookup (lab capture and bind9 on the node): answers, NXDOMAIN, No answer, SRV, timeout', () => {
  const web = parseNslookup(labFx('nslookup-web.txt'))
  assert.equal(
    [web.rcode, web.server, web.answers],
    ['NOERROR', '10.96.0.10', [{ name: 'web.shop.svc.cluster.local', type: 'A', data: WEB_IP }]],
  )
  assert.equal(parseNslookup(netFx('nslookup-noerror.txt')).answers[0].data, '10.96.0.1')
  assert.equal(parseNslookup(netFx('nslookup-nxdomain.txt')).rcode, 'NXDOMAIN')
  const nodata = parseNslookup(netFx('nslookup-nodata.txt'))
  assert.equal([nodata.rcode, nodata.answers.length], ['NOERROR', 0])
  assert.equal(parseNslookup(netFx('nslookup-srv.txt')).answers, [
    { name: '_http._tcp.web.shop.svc.cluster.local', type: 'SRV', data: '0 100 80 web.shop.svc.cluster.local.' },
  ])
  const to = parseNslookup(netFx('nslookup-timeout.txt'))
  assert.equal([to.rcode, to.server], ['TIMEOUT', `${DEAD_IP}#53`])
  // busybox prints the server with :53 and the same failure line
  const bb = parseNslookup(
    "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find kubernetes.cluster.local: NXDOMAIN\n",
  )
  assert.is(bb.rcode, 'NXDOMAIN')
  assert.is(parseNslookup('sh: nslookup: not found').rcode, 'ERROR')
})

test('getent: addresses once each; exit 2 is NOTFOUND (no rcode can be known)', () => {
  const r = parseGetent(netFx('getent-ahostsv4-localhost.txt'), 0, 'localhost')
  assert.equal(r.answers, [{ name: 'localhost', type: 'A', data: '127.0.0.1' }])
  const nf = parseGetent('', 2, 'x')
  assert.equal([nf.rcode, outcomeOf(nf)], ['NOTFOUND', 'OTHER'])
  assert.match(nf.error!, /cannot tell which/)
})

// Regression cases found by test/fuzz/dns.test.ts (fast-check counterexamples, shrunk).
const fastest = (f: () => unknown) =>
  Math.min(
    ...[0, 1, 2].map(() => {
      const t0 = performance.now()
      f()
      return performance.now() - t0
    }),
  )

test('fuzz regressions: A/AAAA data that is not an address of its family is no answer', () => {
  assert.is(parseRecordLine('web.shop.svc.cluster.local. 30 IN A 10.96'), undefined)
  assert.is(parseRecordLine('web.shop.svc.cluster.local. 30 IN AAAA 10.96.202.43'), undefined)
  assert.is(parseRecordLine(`web. ${'9'.repeat(30)} IN A 10.96.202.43`), undefined)
  assert.equal(
    parseNslookup('Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tweb\nAddress: 10.96\nAddress: fd00::1\n')
      .answers,
    [{ name: 'web', type: 'AAAA', data: 'fd00::1' }],
  )
  assert.equal(parseGetent('127.0.0.1       STREAM localhost\nSTREAM\nlocalhost\n', 0, 'localhost').answers, [
    { name: 'localhost', type: 'A', data: '127.0.0.1' },
  ])
})

test('fuzz regressions: many copies of the header marker or of "Can\'t find" on one line are read in linear time', () => {
  // each took hundreds of ms on 60 KB (a regex with ".*" restarting at every copy); the fuzz budget is 50 ms
  assert.ok(fastest(() => assert.is(parseDig(';; ->>HEADER<<- '.repeat(4000)).rcode, 'ERROR')) < 50)
  assert.ok(fastest(() => assert.is(parseNslookup("*** Can't find ".repeat(4000)).rcode, 'ERROR')) < 50)
})

test.run()
