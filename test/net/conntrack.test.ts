// conntrack parsers on the lab captures, the argv builder's validation, and the two helpers on a fake node.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { inspect } from 'node:util'
import {
  CONNTRACK_LIMIT_SCRIPT,
  conntrackListArgv,
  parseConntrackL,
  parseConntrackLine,
  parseConntrackS,
  parseConntrackSummary,
  parseCountMax,
  parseLimitTrailer,
  parseProcConntrackStat,
  sumCpuStats,
} from '../../src/net/conntrack-parse.ts'
import { conntrackList, conntrackStats, conntrackWarnings } from '../../src/net/conntrack.ts'
import { NetError } from '../../src/net/errors.ts'
import { CLIENT, failure, fakeNetSession, labFx, netFx } from './fake.ts'
import { installPresenters } from '../../src/render/presenters.ts'

installPresenters() // results print as tables, as in the shell

const lines = (t: string) => t.split('\n').filter((l) => l.trim())
/** A counter of conntrack -S summed over the CPU lines with a plain regex (independent of the parser). */
const sumOf = (text: string, field: string) =>
  lines(text).reduce((n, l) => n + Number(new RegExp(`\\b${field}=(\\d+)`).exec(l)![1]), 0)
/** kube-dns's ClusterIP and its endpoint addresses, from the API objects of the same capture. */
const KUBE_DNS = (() => {
  const svc = JSON.parse(labFx('kubectl-services.json')).items.find(
    (s: any) => s.metadata.namespace === 'kube-system' && s.metadata.name === 'kube-dns',
  )
  const slices = JSON.parse(labFx('kubectl-endpointslices.json')).items.filter(
    (s: any) => s.metadata.labels?.['kubernetes.io/service-name'] === 'kube-dns',
  )
  return {
    ip: svc.spec.clusterIP as string,
    endpoints: slices.flatMap((s: any) => s.endpoints.map((e: any) => e.addresses[0] as string)) as string[],
  }
})()

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

test('conntrackListArgv: filters become conntrack flags; bad filters are named', () => {
  assert.equal(conntrackListArgv(), ['conntrack', '-L'])
  assert.equal(conntrackListArgv({ proto: 'udp', dst: '10.96.0.10', dport: 53 }), [
    'conntrack',
    '-L',
    '-p',
    'udp',
    '-d',
    '10.96.0.10',
    '--dport',
    '53',
  ])
  assert.equal(
    conntrackListArgv({
      family: 'ipv6',
      proto: 'tcp',
      state: 'established',
      src: 'fd00::1',
      replySrc: '10.244.0.5',
      mark: 1,
      zone: 2,
    }),
    [
      'conntrack',
      '-L',
      '-f',
      'ipv6',
      '-p',
      'tcp',
      '-s',
      'fd00::1',
      '-r',
      '10.244.0.5',
      '--state',
      'ESTABLISHED',
      '-m',
      '1',
      '-w',
      '2',
    ],
  )
  const bad: [object, RegExp][] = [
    [{ dport: 53 }, /filter.dport needs filter.proto/],
    [{ proto: 'udp', dport: 70000 }, /filter.dport: expected a port number/],
    [{ src: '10.0.0.1; rm -rf /' }, /filter.src: expected an IP address/],
    [{ state: 'ESTABLISHED' }, /filter.state needs filter.proto "tcp"/],
    [{ port: 53 }, /unknown field "port"/],
    [{ limit: -1 }, /filter.limit/],
  ]
  for (const [f, re] of bad)
    assert.throws(
      () => conntrackListArgv(f as never),
      (e: unknown) => e instanceof NetError && e.kind === 'invalid' && re.test((e as Error).message),
    )
})

test('CONNTRACK_LIMIT_SCRIPT under sh: keeps the first N lines, counts them all, passes the exit code through the pipe', () => {
  const file = path.join(import.meta.dirname, '../fixtures/lab/conntrack-L.txt')
  const r = spawnSync('sh', ['-s', '--', '3', 'cat', file], { input: CONNTRACK_LIMIT_SCRIPT, encoding: 'utf8' })
  assert.is(r.status, 0, r.stderr)
  assert.is(parseConntrackL(r.stdout).length, 3)
  assert.equal(parseLimitTrailer(r.stdout), { exit: 0, total: lines(labFx('conntrack-L.txt')).length })
  const all = spawnSync('sh', ['-s', '--', '0', 'cat', file], { input: CONNTRACK_LIMIT_SCRIPT, encoding: 'utf8' })
  assert.is(parseConntrackL(all.stdout).length, lines(labFx('conntrack-L.txt')).length)
  const fail = spawnSync('sh', ['-s', '--', '3', 'kinspect-no-such-command'], {
    input: CONNTRACK_LIMIT_SCRIPT,
    encoding: 'utf8',
  })
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
  const full = labFx('conntrack-S-full.txt')
  const s = await conntrackStats(session, 'lab-1')
  assert.equal(
    [s.node, s.source, s.count, s.max, s.totals.drop],
    ['lab-1', 'conntrack -S', 1200, 1265, sumOf(full, 'drop')],
  )
  assert.ok(calls.every((c) => c.opts.sudo === true && c.node === 'lab-1'))
  assert.ok(s.warnings.some((w) => /table 95% full/.test(w)))
  const text = inspect(s, { colors: false })
  assert.match(text, /conntrack on lab-1 \(conntrack -S\): 1200 \/ 1265 entries \(95%\)/)
  assert.match(
    text,
    new RegExp(
      `^all\\s+${['found', 'invalid', 'insert', 'insert_failed', 'drop'].map((f) => sumOf(full, f)).join('\\s+')}\\s`,
      'm',
    ),
  )
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
  // the totals conntrack -S showed at the same moment (summed with a plain regex)
  assert.equal(
    [s.totals.drop, s.totals.invalid],
    [sumOf(netFx('conntrack-S.txt'), 'drop'), sumOf(netFx('conntrack-S.txt'), 'invalid')],
  )
  assert.match(
    s.warnings[0],
    /conntrack -S failed on lab-1 \(conntrack is not installed\); counters read from \/proc\/net\/stat\/nf_conntrack/,
  )
})

test('conntrackList on a fake node: the limit script with the filter argv; entries are an array with node/total', async () => {
  const text = labFx('conntrack-L-dns.txt')
  const { session, calls } = fakeNetSession(() => ({
    stdout: `${lines(text).slice(0, 2).join('\n')}\n#kinspect exit 0\n#kinspect total ${lines(text).length}\n`,
  }))
  // captured on the client's node: the client's DNS flows are there, whichever node its CoreDNS answers from
  const l = await conntrackList(session, CLIENT.node, { proto: 'udp', dport: 53, limit: 2 })
  assert.equal(calls[0].argv, ['sh', '-s', '--', '2', 'conntrack', '-L', '-p', 'udp', '--dport', '53'])
  assert.is(calls[0].opts.input, CONNTRACK_LIMIT_SCRIPT)
  assert.ok(Array.isArray(l))
  assert.ok(calls.every((c) => c.node === CLIENT.node))
  assert.equal([l.length, l.total, l.truncated, l.node], [2, lines(text).length, true, CLIENT.node])
  assert.equal(
    l.map((e) => e.orig.dport),
    [53, 53],
  )
  assert.equal(Object.keys(JSON.parse(JSON.stringify(l[0]))).includes('orig'), true)
  const out = inspect(l, { colors: false })
  assert.match(out, /PROTO\s+STATE\s+TIMEOUT\s+ORIGINAL\s+REPLY/)
  const esc = (ip: string) => ip.replaceAll('.', '\\.')
  assert.match(out, new RegExp(`${esc(CLIENT.podIP)}:\\d+ → ${esc(KUBE_DNS.ip)}:53`))
  assert.match(out, new RegExp(`2 of ${lines(text).length} flow\\(s\\) on ${CLIENT.node} \\(raise filter.limit`))
})

test('conntrackList: conntrack missing or failing is NetError tool; bad node argument is invalid', async () => {
  const { session } = fakeNetSession(() => ({
    stdout: '#kinspect exit 127\n#kinspect total 0\n',
    stderr: 'sh: 2: conntrack: not found\n',
  }))
  try {
    await conntrackList(session, 'lab-1')
    assert.unreachable()
  } catch (e) {
    assert.instance(e, NetError)
    assert.is((e as NetError).kind, 'tool')
    assert.match((e as Error).message, /conntrack is not installed/)
  }
  const { session: s2 } = fakeNetSession(() => ({
    stdout: '#kinspect exit 1\n#kinspect total 0\n',
    stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: Operation not permitted\n',
  }))
  assert.match((await failure(conntrackList(s2, 'lab-1'))).message, /Operation not permitted/)
  assert.match((await failure(conntrackStats(s2, 42))).message, /node: expected a node name/)
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
