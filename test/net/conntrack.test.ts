// conntrack parsers on the lab captures, the argv builder's validation, and the two helpers on a fake node.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { inspect } from 'node:util'
import {
  CONNTRACK_LIMIT_SCRIPT, conntrackListArgv, parseConntrackL, parseConntrackLine, parseConntrackS, parseConntrackSummary, parseCountMax, parseLimitTrailer,
  parseProcConntrackStat, sumCpuStats,
} from '../../src/net/conntrackParse.ts'
import { conntrackList, conntrackStats, conntrackWarnings } from '../../src/net/conntrack.ts'
import { NetError } from '../../src/net/errors.ts'
import { failure, fakeNetSession, labFx, netFx } from './fake.ts'

const lines = (t: string) => t.split('\n').filter((l) => l.trim())

test('conntrack -S (lab capture): per-CPU counters, summed; drop is the scenario check the lab uses', () => {
  const cpus = parseConntrackS(labFx('conntrack-S-full.txt'))
  assert.is(cpus.length, 2)
  assert.equal(cpus.map((c) => c.cpu), [0, 1])
  const byRegex = lines(labFx('conntrack-S-full.txt')).reduce((n, l) => n + Number(/\bdrop=(\d+)/.exec(l)![1]), 0)
  const t = sumCpuStats(cpus)
  assert.is(t.drop, byRegex)
  assert.is(t.invalid, 4)
  assert.equal(Object.keys(cpus[0]), ['cpu', 'found', 'invalid', 'insert', 'insert_failed', 'drop', 'early_drop', 'error', 'search_restart', 'clash_resolve', 'chaintoolong'])
})

test('/proc/net/stat/nf_conntrack (hex, captured the same hour): the same drop/invalid counters as conntrack -S', () => {
  const proc = parseProcConntrackStat(netFx('proc-net-stat-nf_conntrack.txt'))
  const s = parseConntrackS(labFx('conntrack-S.txt'))
  assert.is(proc.length, s.length)
  for (let i = 0; i < s.length; i++) {
    assert.is(proc[i].drop, s[i].drop)
    assert.is(proc[i].invalid, s[i].invalid)
    assert.is(proc[i].error, s[i].error) // icmp_error is reported as error by conntrack -S
  }
  assert.is(proc[0].entries, undefined)
})

test('nf_conntrack_count / max', () => {
  assert.equal(parseCountMax(labFx('conntrack-count-full.txt')), { count: 725, max: 1265 })
  assert.equal(parseCountMax('cat: /proc/sys/net/netfilter/nf_conntrack_count: No such file'), { count: undefined, max: undefined })
})

test('conntrack -L (lab capture): every line parses; states and protocols agree with a plain count', () => {
  const text = labFx('conntrack-L.txt')
  const all = parseConntrackL(text)
  assert.is(all.length, lines(text).length)
  const count = (re: RegExp) => lines(text).filter((l) => re.test(l)).length
  assert.is(all.filter((e) => e.state === 'TIME_WAIT').length, count(/^tcp\s+6\s+\d+ TIME_WAIT /))
  assert.is(all.filter((e) => e.proto === 'udp').length, count(/^udp\s/))
  assert.is(all.filter((e) => e.assured).length, count(/\[ASSURED\]/))
  const dns = all.find((e) => e.proto === 'udp' && e.orig.dport === 53)!
  // DNAT to a CoreDNS pod: the reply comes from the pod, not from the service IP
  assert.is(dns.orig.dst, '10.96.0.10')
  assert.match(dns.reply.src!, /^10\.244\.0\.\d+$/)
  assert.is(dns.reply.dport, dns.orig.sport)
})

test('conntrack -L line: tcp with state, [ASSURED], mark and use', () => {
  const e = parseConntrackLine(lines(labFx('conntrack-L.txt'))[0])!
  assert.equal(e, {
    family: undefined, proto: 'tcp', protonum: 6, timeout: 74, state: 'TIME_WAIT',
    orig: { src: '127.0.0.1', dst: '127.0.0.1', sport: 47264, dport: 41013 },
    reply: { src: '127.0.0.1', dst: '127.0.0.1', sport: 41013, dport: 47264 },
    flags: ['ASSURED'], assured: true, unreplied: false, mark: 0, use: 1, extra: {},
  })
})

test('conntrack -L lines: [UNREPLIED] (DNS to a dead service IP), ICMP type/code/id, -o extended', () => {
  const u = parseConntrackL(netFx('conntrack-L-unreplied.txt'))
  assert.ok(u.length > 0 && u.every((e) => e.unreplied && !e.assured && e.state === undefined && e.orig.dport === 53))
  const [ping, pong] = parseConntrackL(netFx('conntrack-L-icmp.txt'))
  assert.equal([ping.proto, ping.orig.type, ping.orig.code, ping.reply.type, ping.unreplied], ['icmp', 8, 0, 0, true])
  assert.is(ping.orig.id, ping.reply.id)
  assert.not.ok(pong.unreplied)
  const x = parseConntrackL(netFx('conntrack-L-extended.txt'))
  assert.ok(x.length > 0 && x.every((e) => e.family === 'ipv4' && e.proto === 'tcp' && e.state !== undefined))
  assert.is(parseConntrackLine('conntrack v1.4.7 (conntrack-tools): 4 flow entries have been shown.'), undefined)
  assert.is(parseConntrackSummary('conntrack v1.4.7 (conntrack-tools): 705 flow entries have been shown.\n'), 705)
})

test('conntrackListArgv: filters become conntrack flags; bad filters are named', () => {
  assert.equal(conntrackListArgv(), ['conntrack', '-L'])
  assert.equal(conntrackListArgv({ proto: 'udp', dst: '10.96.0.10', dport: 53 }), ['conntrack', '-L', '-p', 'udp', '-d', '10.96.0.10', '--dport', '53'])
  assert.equal(conntrackListArgv({ family: 'ipv6', proto: 'tcp', state: 'established', src: 'fd00::1', replySrc: '10.244.0.5', mark: 1, zone: 2 }), [
    'conntrack', '-L', '-f', 'ipv6', '-p', 'tcp', '-s', 'fd00::1', '-r', '10.244.0.5', '--state', 'ESTABLISHED', '-m', '1', '-w', '2',
  ])
  const bad: [object, RegExp][] = [
    [{ dport: 53 }, /filter.dport needs filter.proto/],
    [{ proto: 'udp', dport: 70000 }, /filter.dport: expected a port number/],
    [{ src: '10.0.0.1; rm -rf /' }, /filter.src: expected an IP address/],
    [{ state: 'ESTABLISHED' }, /filter.state needs filter.proto "tcp"/],
    [{ port: 53 }, /unknown field "port"/],
    [{ limit: -1 }, /filter.limit/],
  ]
  for (const [f, re] of bad) assert.throws(() => conntrackListArgv(f as never), (e: unknown) => e instanceof NetError && e.kind === 'invalid' && re.test((e as Error).message))
})

test('CONNTRACK_LIMIT_SCRIPT under sh: keeps the first N lines, counts them all, passes the exit code through the pipe', () => {
  const file = path.join(import.meta.dirname, '../fixtures/lab/conntrack-L.txt')
  const r = spawnSync('sh', ['-s', '--', '3', 'cat', file], { input: CONNTRACK_LIMIT_SCRIPT, encoding: 'utf8' })
  assert.is(r.status, 0, r.stderr)
  assert.is(parseConntrackL(r.stdout).length, 3)
  assert.equal(parseLimitTrailer(r.stdout), { exit: 0, total: lines(labFx('conntrack-L.txt')).length })
  const all = spawnSync('sh', ['-s', '--', '0', 'cat', file], { input: CONNTRACK_LIMIT_SCRIPT, encoding: 'utf8' })
  assert.is(parseConntrackL(all.stdout).length, lines(labFx('conntrack-L.txt')).length)
  const fail = spawnSync('sh', ['-s', '--', '3', 'kinspect-no-such-command'], { input: CONNTRACK_LIMIT_SCRIPT, encoding: 'utf8' })
  assert.equal(parseLimitTrailer(fail.stdout), { exit: 127, total: 0 })
})

test('conntrackWarnings: a full table, drops, early drops, insert races', () => {
  const w = conntrackWarnings({ totals: { drop: 465, early_drop: 3, insert_failed: 2 }, count: 1200, max: 1265 })
  assert.match(w[0], /table 95% full \(1200\/1265\)/)
  assert.match(w[1], /^drop=465/)
  assert.match(w[2], /^early_drop=3/)
  assert.match(w[3], /^insert_failed=2: .*DNS/)
  assert.equal(conntrackWarnings({ totals: { drop: 0 }, count: 10, max: 1000 }), [])
})

test('conntrackStats on a fake node: conntrack -S + count/max as root; the table-full capture warns', async () => {
  const { session, calls } = fakeNetSession((_n, argv) => {
    if (argv.join(' ') === 'conntrack -S') return { stdout: labFx('conntrack-S-full.txt') }
    if (argv[0] === 'cat') return { stdout: '1200\n1265\n' }
    return { exitCode: 1 }
  })
  const s = await conntrackStats(session, 'lab-1')
  assert.equal([s.node, s.source, s.count, s.max, s.totals.drop], ['lab-1', 'conntrack -S', 1200, 1265, 465])
  assert.ok(calls.every((c) => c.opts.sudo === true && c.node === 'lab-1'))
  assert.ok(s.warnings.some((w) => /table 95% full/.test(w)))
  const text = inspect(s, { colors: false })
  assert.match(text, /conntrack on lab-1 \(conntrack -S\): 1200 \/ 1265 entries \(95%\)/)
  assert.match(text, /^all\s+0\s+4\s+0\s+0\s+465/m)
  assert.is(JSON.parse(JSON.stringify(s)).perCpu.length, 2)
})

test('conntrackStats without conntrack(8): counters from /proc/net/stat/nf_conntrack, and it says so', async () => {
  const { session } = fakeNetSession((_n, argv) => {
    if (argv[0] === 'conntrack') return { exitCode: 127, stderr: 'sh: 1: conntrack: not found\n' }
    if (argv.join(' ') === 'cat /proc/net/stat/nf_conntrack') return { stdout: netFx('proc-net-stat-nf_conntrack.txt') }
    if (argv[0] === 'cat') return { stdout: labFx('conntrack-count-full.txt') }
    return { exitCode: 1 }
  })
  const s = await conntrackStats(session, { node: 'lab-1' })
  assert.is(s.source, '/proc/net/stat/nf_conntrack')
  assert.is(s.totals.drop, 465)
  assert.match(s.warnings[0], /conntrack -S failed on lab-1 \(conntrack is not installed\); counters read from \/proc\/net\/stat\/nf_conntrack/)
})

test('conntrackList on a fake node: the limit script with the filter argv; entries are an array with node/total', async () => {
  const text = labFx('conntrack-L-dns.txt')
  const { session, calls } = fakeNetSession(() => ({ stdout: `${lines(text).slice(0, 2).join('\n')}\n#kinspect exit 0\n#kinspect total ${lines(text).length}\n` }))
  const l = await conntrackList(session, 'lab-1', { proto: 'udp', dport: 53, limit: 2 })
  assert.equal(calls[0].argv, ['sh', '-s', '--', '2', 'conntrack', '-L', '-p', 'udp', '--dport', '53'])
  assert.is(calls[0].opts.input, CONNTRACK_LIMIT_SCRIPT)
  assert.ok(Array.isArray(l))
  assert.equal([l.length, l.total, l.truncated, l.node], [2, lines(text).length, true, 'lab-1'])
  assert.equal(l.map((e) => e.orig.dport), [53, 53])
  assert.equal(Object.keys(JSON.parse(JSON.stringify(l[0]))).includes('orig'), true)
  const out = inspect(l, { colors: false })
  assert.match(out, /PROTO\s+STATE\s+TIMEOUT\s+ORIGINAL\s+REPLY/)
  assert.match(out, /10\.244\.0\.126:\d+ → 10\.96\.0\.10:53/)
  assert.match(out, new RegExp(`2 of ${lines(text).length} flow\\(s\\) on lab-1 \\(raise filter.limit`))
})

test('conntrackList: conntrack missing or failing is NetError tool; bad node argument is invalid', async () => {
  const { session } = fakeNetSession(() => ({ stdout: '#kinspect exit 127\n#kinspect total 0\n', stderr: 'sh: 2: conntrack: not found\n' }))
  try {
    await conntrackList(session, 'lab-1')
    assert.unreachable()
  } catch (e) {
    assert.instance(e, NetError)
    assert.is((e as NetError).kind, 'tool')
    assert.match((e as Error).message, /conntrack is not installed/)
  }
  const { session: s2 } = fakeNetSession(() => ({ stdout: '#kinspect exit 1\n#kinspect total 0\n', stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: Operation not permitted\n' }))
  assert.match((await failure(conntrackList(s2, 'lab-1'))).message, /Operation not permitted/)
  assert.match((await failure(conntrackStats(s2, 42))).message, /node: expected a node name/)
})

// Regression cases found by test/fuzz/conntrack.test.ts (fast-check counterexamples, shrunk).
const fastest = (f: () => unknown) => Math.min(...[0, 1, 2].map(() => {
  const t0 = performance.now()
  f()
  return performance.now() - t0
}))

test('fuzz regressions: a line with a negative number, a port beyond 65535 or an address that is not one is not a flow', () => {
  const ok = 'tcp      6 74 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=47264 dport=41013 src=127.0.0.1 dst=127.0.0.1 sport=41013 dport=47264 [ASSURED] mark=0 use=1'
  assert.ok(parseConntrackLine(ok))
  assert.is(parseConntrackLine(ok.replace('6 74', '-1 74')), undefined)
  assert.is(parseConntrackLine(ok.replace('sport=47264', 'sport=470264')), undefined)
  assert.is(parseConntrackLine(ok.replace('sport=47264', 'sport=4e4')), undefined)
  assert.is(parseConntrackLine(ok.replace('dst=127.0.0.1', 'dst=127.0.0')), undefined)
  assert.is(parseConntrackLine(ok.replace('mark=0', 'mark=x')), undefined)
})

test('fuzz regressions: counters that are not 64-bit numbers are left out, never NaN or Infinity', () => {
  assert.equal(parseConntrackS(`cpu=0 found=${'9'.repeat(25)} drop=257\ncpu=${'9'.repeat(25)} drop=1\n`), [{ cpu: 0, drop: 257 }])
  assert.equal(parseConntrackS('cpu=18446744073709551615 drop=1'), [{ cpu: 2 ** 64, drop: 1 }])
  const flowThenHeader = 'udp      17 12 src=10.244.0.126 dst=10.96.0.10 sport=57880 dport=53\nentries  clashres found\n'
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
