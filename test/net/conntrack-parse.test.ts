// conntrack parsers on the lab captures (-S, /proc/net/stat, count/max, -L in its forms) and the fuzz regressions.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  parseConntrackL,
  parseConntrackLine,
  parseConntrackS,
  parseConntrackSummary,
  parseCountMax,
  parseLimitTrailer,
  parseProcConntrackStat,
  sumCpuStats,
} from '../../src/net/conntrack-parse.ts'
import { labFx, netFx } from './fake.ts'
import { KUBE_DNS, lines, sumOf } from './conntrack-kit.ts'

test('conntrack -S (lab capture): per-CPU counters, summed; drop is the scenario check the lab uses', () => {
  const cpus = parseConntrackS(labFx('conntrack-S-full.txt'))
  assert.is(cpus.length, 2)
  assert.equal(
    cpus.map((c) => c.cpu),
    [0, 1],
  )
  const t = sumCpuStats(cpus)
  assert.is(t.drop, sumOf(labFx('conntrack-S-full.txt'), 'drop'))
  assert.ok(t.drop > 0, 'the table-full capture counts drops')
  assert.is(t.invalid, sumOf(labFx('conntrack-S-full.txt'), 'invalid'))
  assert.equal(Object.keys(cpus[0]), [
    'cpu',
    'found',
    'invalid',
    'insert',
    'insert_failed',
    'drop',
    'early_drop',
    'error',
    'search_restart',
    'clash_resolve',
    'chaintoolong',
  ])
})

test('/proc/net/stat/nf_conntrack (hex, read around the same conntrack -S): every counter both print agrees', () => {
  const proc = parseProcConntrackStat(netFx('proc-net-stat-nf_conntrack.txt'))
  const s = parseConntrackS(netFx('conntrack-S.txt'))
  assert.is(proc.length, s.length)
  assert.is(proc.length, lines(netFx('proc-net-stat-nf_conntrack.txt')).length - 1) // a header, then one row per CPU
  for (let i = 0; i < s.length; i++) {
    // icmp_error is reported as error by conntrack -S; the others have one name in both
    for (const k of ['found', 'invalid', 'insert', 'insert_failed', 'drop', 'early_drop', 'error', 'search_restart'])
      assert.is(proc[i][k], s[i][k], `cpu ${i} ${k}`)
  }
  assert.is(proc[0].entries, undefined)
})

test('nf_conntrack_count / max', () => {
  const [count, max] = lines(labFx('conntrack-count-full.txt')).map(Number)
  assert.ok(Number.isInteger(count) && Number.isInteger(max) && count <= max, `${count} / ${max}`)
  assert.equal(parseCountMax(labFx('conntrack-count-full.txt')), { count, max })
  assert.equal(parseCountMax('cat: /proc/sys/net/netfilter/nf_conntrack_count: No such file'), {
    count: undefined,
    max: undefined,
  })
})

test('conntrack -L (lab capture): every line parses; states and protocols agree with a plain count', () => {
  const text = labFx('conntrack-L.txt')
  const all = parseConntrackL(text)
  assert.is(all.length, lines(text).length)
  const count = (re: RegExp) => lines(text).filter((l) => re.test(l)).length
  assert.is(all.filter((e) => e.state === 'TIME_WAIT').length, count(/^tcp\s+6\s+\d+ TIME_WAIT /))
  assert.is(all.filter((e) => e.proto === 'udp').length, count(/^udp\s/))
  assert.is(all.filter((e) => e.assured).length, count(/\[ASSURED\]/))
  const dns = all.filter((e) => e.proto === 'udp' && e.orig.dst === KUBE_DNS.ip && e.orig.dport === 53)
  assert.ok(dns.length > 0 && KUBE_DNS.endpoints.length > 0)
  // DNAT to a CoreDNS pod (on this node or another): the reply comes from the pod, not from the service IP
  for (const e of dns) {
    assert.ok(
      KUBE_DNS.endpoints.includes(e.reply.src!),
      `${e.reply.src} is not a kube-dns endpoint (${KUBE_DNS.endpoints})`,
    )
    assert.is(e.reply.dport, e.orig.sport)
  }
})

test('conntrack -L line: tcp with state, [ASSURED], mark and use', () => {
  const e = parseConntrackLine(lines(labFx('conntrack-L.txt'))[0])!
  assert.equal(e, {
    family: undefined,
    proto: 'tcp',
    protonum: 6,
    timeout: 86383,
    state: 'ESTABLISHED',
    orig: { src: '127.0.0.1', dst: '127.0.0.1', sport: 34558, dport: 23790 },
    reply: { src: '127.0.0.1', dst: '127.0.0.1', sport: 23790, dport: 34558 },
    flags: ['ASSURED'],
    assured: true,
    unreplied: false,
    mark: 0,
    use: 1,
    extra: {},
  })
})

test('conntrack -L -d DEAD_IP: [UNREPLIED] DNS (udp, no state) and a TCP SYN (SYN_SENT) to an unused ClusterIP', () => {
  const text = netFx('conntrack-L-unreplied.txt')
  const u = parseConntrackL(text)
  assert.is(u.length, lines(text).length)
  const dead = /\bdst=(\S+)/.exec(text)![1]
  assert.ok(
    u.every(
      (e) => e.unreplied && !e.assured && e.orig.dst === dead && e.reply.src === dead && e.reply.dst === e.orig.src,
    ),
  )
  const udp = u.filter((e) => e.proto === 'udp')
  const tcp = u.filter((e) => e.proto === 'tcp')
  assert.equal(
    [udp.length, tcp.length],
    [
      lines(text).filter((l) => /^udp\s+17\s/.test(l)).length,
      lines(text).filter((l) => /^tcp\s+6\s+\d+ SYN_SENT /.test(l)).length,
    ],
  )
  assert.ok(
    udp.length > 0 &&
      udp.every(
        (e) => e.state === undefined && e.orig.dport === 53 && e.reply.sport === 53 && e.reply.dport === e.orig.sport,
      ),
  )
  assert.ok(
    tcp.length > 0 && tcp.every((e) => e.state === 'SYN_SENT' && e.protonum === 6 && e.reply.dport === e.orig.sport),
  )
})

test('conntrack -L -p icmp: echo request/reply type, code and id; the ping to a ClusterIP stays [UNREPLIED]', () => {
  const text = netFx('conntrack-L-icmp.txt')
  const all = parseConntrackL(text)
  assert.is(all.length, lines(text).length)
  assert.ok(
    all.every(
      (e) =>
        e.proto === 'icmp' &&
        e.protonum === 1 &&
        e.state === undefined &&
        e.orig.type === 8 &&
        e.orig.code === 0 &&
        e.reply.type === 0 &&
        e.orig.id === e.reply.id,
    ),
  )
  const ping = all.find((e) => e.unreplied)!
  const pong = all.find((e) => !e.unreplied)!
  assert.ok(ping && pong, 'an unanswered and an answered ping')
  assert.is(ping.orig.dst, KUBE_DNS.ip) // kube-proxy forwards ports of a ClusterIP, never ICMP
  assert.is(pong.reply.src, pong.orig.dst)
  assert.is(all.filter((e) => e.unreplied).length, lines(text).filter((l) => l.includes('[UNREPLIED]')).length)
})

test('conntrack -L -o extended: the family prefix, every protocol; the HTTP request to a ClusterIP is DNATed', () => {
  const text = netFx('conntrack-L-extended.txt')
  const x = parseConntrackL(text)
  assert.is(x.length, lines(text).length)
  assert.ok(x.every((e) => e.family === 'ipv4' && (e.proto !== 'tcp' || e.state !== undefined)))
  for (const [proto, num] of [
    ['tcp', 6],
    ['udp', 17],
    ['icmp', 1],
  ] as const) {
    const n = lines(text).filter((l) => new RegExp(`^ipv4\\s+2\\s+${proto}\\s+${num}\\s`).test(l)).length
    assert.ok(n > 0, proto)
    assert.is(x.filter((e) => e.proto === proto && e.protonum === num).length, n, proto)
  }
  const dnat = x.filter((e) => e.assured && e.reply.src !== e.orig.dst)
  assert.ok(dnat.length > 0 && dnat.every((e) => e.reply.dport !== undefined && e.reply.dst === e.orig.src))
  assert.is(parseConntrackLine('conntrack v1.4.7 (conntrack-tools): 4 flow entries have been shown.'), undefined)
  assert.is(parseConntrackSummary('conntrack v1.4.7 (conntrack-tools): 705 flow entries have been shown.\n'), 705)
})

// Regression cases found by test/fuzz/conntrack.test.ts (fast-check counterexamples, shrunk).
const fastest = (f: () => unknown) =>
  Math.min(
    ...[0, 1, 2].map(() => {
      const t0 = performance.now()
      f()
      return performance.now() - t0
    }),
  )

test('fuzz regressions: a line with a negative number, a port beyond 65535 or an address that is not one is not a flow', () => {
  const ok =
    'tcp      6 74 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=47264 dport=41013 src=127.0.0.1 dst=127.0.0.1 sport=41013 dport=47264 [ASSURED] mark=0 use=1'
  assert.ok(parseConntrackLine(ok))
  assert.is(parseConntrackLine(ok.replace('6 74', '-1 74')), undefined)
  assert.is(parseConntrackLine(ok.replace('sport=47264', 'sport=470264')), undefined)
  assert.is(parseConntrackLine(ok.replace('sport=47264', 'sport=4e4')), undefined)
  assert.is(parseConntrackLine(ok.replace('dst=127.0.0.1', 'dst=127.0.0')), undefined)
  assert.is(parseConntrackLine(ok.replace('mark=0', 'mark=x')), undefined)
})

test('fuzz regressions: counters that are not 64-bit numbers are left out, never NaN or Infinity', () => {
  assert.equal(parseConntrackS(`cpu=0 found=${'9'.repeat(25)} drop=257\ncpu=${'9'.repeat(25)} drop=1\n`), [
    { cpu: 0, drop: 257 },
  ])
  assert.equal(parseConntrackS('cpu=18446744073709551615 drop=1'), [{ cpu: 2 ** 64, drop: 1 }])
  const flowThenHeader =
    'udp      17 12 src=10.244.0.126 dst=10.96.0.10 sport=57880 dport=53\nentries  clashres found\n'
  assert.equal(parseProcConntrackStat(flowThenHeader), [{ cpu: 0 }])
  assert.equal(parseCountMax(`${'9'.repeat(30)}\n262144\n`), { count: undefined, max: 262144 })
  assert.equal(parseLimitTrailer(`#kinspect exit ${'9'.repeat(30)}\n#kinspect total 7`), { exit: undefined, total: 7 })
})

test('fuzz regressions: a long run of letters (conntrack -S) or of digits (the summary) is read in linear time', () => {
  // both took seconds on 20,000 characters (a regex restarting at every position); now well under the fuzz budget of 50 ms
  assert.ok(fastest(() => assert.equal(parseConntrackS('a'.repeat(20000)), [])) < 50)
  assert.ok(fastest(() => assert.is(parseConntrackSummary('1'.repeat(20000)), undefined)) < 50)
})

test.run()
