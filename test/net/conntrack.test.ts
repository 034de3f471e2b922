// conntrack: the argv builder's validation, the limit script under sh, and the two helpers on a fake node.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { inspect } from 'node:util'
import {
  CONNTRACK_LIMIT_SCRIPT,
  conntrackListArgv,
  parseConntrackL,
  parseLimitTrailer,
} from '../../src/net/conntrack-parse.ts'
import { conntrackList, conntrackStats, conntrackWarnings } from '../../src/net/conntrack.ts'
import { NetError } from '../../src/net/errors.ts'
import { CLIENT, failure, fakeNetSession, labFx, netFx } from './fake.ts'
import { installPresenters } from '../../src/render/presenters.ts'
import { KUBE_DNS, lines, sumOf } from './conntrack-kit.ts'

installPresenters() // results print as tables, as in the shell

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

test.run()
