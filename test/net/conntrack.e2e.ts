// conntrackStats / conntrackList against the lab node, checked against conntrack -S / -L and /proc by hand.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { conntrackList, conntrackStats } from '../../src/net/conntrack.ts'
import { parseConntrackL } from '../../src/net/conntrack-parse.ts'
import { dnsQuery } from '../../src/net/dns.ts'
import { NET } from '../lab/layout.ts'
import { agree, closeSession, kjson, labSession, podByHand, sshOk } from './labkit.ts'
import { installPresenters } from '../../src/render/presenters.ts'

installPresenters() // results print as tables, as in the shell

const session = await labSession()
test.after(() => session.close())

const byHandS = () =>
  sshOk('conntrack -S')
    .trim()
    .split('\n')
    .map((l) => Object.fromEntries([...l.matchAll(/([a-z_]+)=(\d+)/g)].map((m) => [m[1], Number(m[2])])))

test('conntrackStats(lab-1) = conntrack -S and nf_conntrack_max by hand; count within the by-hand reads around it', async () => {
  await agree(async () => {
    const before = Number(sshOk('cat /proc/sys/net/netfilter/nf_conntrack_count'))
    const s = await conntrackStats(session, 'lab-1')
    const hand = byHandS()
    const after = Number(sshOk('cat /proc/sys/net/netfilter/nf_conntrack_count'))
    assert.is(s.source, 'conntrack -S')
    assert.is(s.perCpu.length, hand.length)
    for (let i = 0; i < hand.length; i++) {
      for (const k of ['cpu', 'invalid', 'drop', 'early_drop', 'insert_failed', 'error'])
        assert.is(s.perCpu[i][k], hand[i][k], `cpu ${i} ${k}`)
    }
    assert.is(s.max, Number(sshOk('cat /proc/sys/net/netfilter/nf_conntrack_max')))
    const slack = 200
    assert.ok(
      s.count! >= Math.min(before, after) - slack && s.count! <= Math.max(before, after) + slack,
      `${s.count} vs ${before}..${after}`,
    )
    assert.is(
      s.totals.drop,
      hand.reduce((n, c) => n + c.drop, 0),
    )
    assert.is(
      s.warnings.some((w) => w.startsWith('drop=')),
      s.totals.drop > 0,
    )
  })
  assert.match(
    inspect(await conntrackStats(session, session.node('lab-1')), { colors: false }),
    /^conntrack on lab-1 \(conntrack -S\): \d+ \/ \d+ entries/,
  )
})

test("conntrackList: the DNS flow of a query from shop/client shows up DNATed to a CoreDNS pod on the client's node, as conntrack -L shows by hand there", async () => {
  const client = kjson('get', 'pod', '-n', 'shop', 'client')
  const node = podByHand('shop', 'client').node
  const dnsPods = new Set(
    (kjson('get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns').items as any[]).map((p) => p.status.podIP),
  )
  const q = await dnsQuery(session, 'web.shop.svc.cluster.local.', { from: 'client' })
  assert.ok(q.resolved)
  const ours = await conntrackList(session, node, { proto: 'udp', src: client.status.podIP, dst: NET.dnsIP, dport: 53 })
  const hand = parseConntrackL(
    sshOk(`conntrack -L -p udp -s ${client.status.podIP} -d ${NET.dnsIP} --dport 53 2>/dev/null`, node),
  )
  assert.ok(ours.length >= 1, 'the query left a flow')
  for (const e of ours) {
    assert.equal([e.orig.src, e.orig.dst, e.orig.dport], [client.status.podIP, NET.dnsIP, 53])
    assert.ok(dnsPods.has(e.reply.src), `reply from ${e.reply.src}, a CoreDNS pod`)
    // UDP flows only leave the table when they expire: one with time left must be in the listing made right after
    if (e.timeout > 5)
      assert.ok(
        hand.some((h) => h.orig.sport === e.orig.sport && h.reply.src === e.reply.src),
        `sport ${e.orig.sport} by hand`,
      )
  }
  assert.ok(!ours.truncated && ours.total === ours.length)
})

test('conntrackList limit: at most N flows, total counted like conntrack -L by hand', async () => {
  await agree(async () => {
    const l = await conntrackList(session, 'lab-1', { limit: 3 })
    const hand = Number(/(\d+) flow entries/.exec(sshOk('conntrack -L 2>&1 >/dev/null'))![1])
    assert.is(l.length, Math.min(3, l.total))
    assert.ok(Math.abs(l.total - hand) <= Math.max(50, hand * 0.2), `${l.total} vs ${hand}`)
    assert.is(l.truncated, l.total > 3)
  })
})

test('every node command went over the expected transport, and closing the session leaves no node pod', () =>
  closeSession(session, ['lab-1', podByHand('shop', 'client').node]))

test.run()
