// dnsQuery against the lab, checked against dig by hand from the same netns, the pod's resolv.conf and CoreDNS's query log.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { dnsQuery } from '../../src/net/dns.ts'
import { NET } from '../lab/layout.ts'
import {
  agree,
  closeSession,
  crictlPid,
  kjson,
  kubectl,
  labSession,
  podByHand,
  runningPods,
  ssh,
  sshOk,
} from './labkit.ts'
import { NODES } from '../lab/layout.ts'
import { installPresenters } from '../../src/render/presenters.ts'

installPresenters() // results print as tables, as in the shell

const session = await labSession()
test.after(() => session.close())

/** The status dig reports by hand for a name, from a PID's netns on its node. */
function digByHand(at: { pid: number; node: string }, name: string, type = 'A', server: string = NET.dnsIP): string {
  const r = ssh(`nsenter -t ${at.pid} -n dig +noall +comments +time=2 +tries=1 @${server} ${name} ${type}`, at.node)
  return (
    /status: ([A-Z]+)/.exec(r.stdout)?.[1] ?? (/timed out/.test(r.stdout + r.stderr) ? 'TIMEOUT' : `exit ${r.status}`)
  )
}
/** resolv.conf read by hand: search list, ndots, nameservers. */
function resolvByHand(text: string) {
  const line = (k: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${k} `))
      .map((l) => l.split(/\s+/).slice(1))
  return {
    search: line('search').at(-1) ?? [],
    ndots: Number(/ndots:(\d+)/.exec(text)?.[1] ?? 1),
    nameservers: line('nameserver').map((x) => x[0]),
  }
}
const dnsUp = () =>
  (
    kjson('get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns').items as any[]
  ).flatMap((s) => s.endpoints ?? []).length > 0

test('shop/ndots, external.lab.example: the search-list walk matches resolv.conf, dig by hand, and the CoreDNS query log', async () => {
  const pod = podByHand('shop', 'ndots')
  const rc = resolvByHand(kubectl('exec', '-n', 'shop', 'ndots', '--', 'cat', '/etc/resolv.conf'))
  const expected = [...rc.search.map((d) => `external.lab.example.${d}`), 'external.lab.example']
  assert.ok(rc.ndots > 2, 'the ndots pod has ndots:5')
  const up = dnsUp()
  const r = await dnsQuery(session, 'external.lab.example', { from: 'shop/ndots' })
  assert.equal(
    [r.from, r.tool, r.resolvConf!.search, r.resolvConf!.ndots],
    ['pod shop/ndots', 'dig', rc.search, rc.ndots],
  )
  if (up) {
    assert.equal(
      r.attempts.map((a) => a.name),
      expected,
    )
    assert.equal(
      r.attempts.map((a) => a.rcode),
      [...rc.search.map(() => 'NXDOMAIN'), 'NOERROR'],
    )
    assert.equal([r.resolved, r.answers.map((a) => a.data)], [true, ['127.0.0.1']])
  } else {
    assert.ok(r.attempts.length > 0, 'the search walk was tried')
    assert.ok(
      r.attempts.every((a) => a.rcode === 'TIMEOUT'),
      'kube-dns has no endpoints: every query times out',
    )
  }
  for (const a of r.attempts.filter((x, i, all) => all.findIndex((y) => y.name === x.name) === i))
    assert.is(a.rcode, digByHand(pod, a.name), a.name)
  if (up) {
    await agree(async () => {
      const log = kubectl(
        'logs',
        '-n',
        'kube-system',
        '-l',
        'k8s-app=kube-dns',
        '--since=3m',
        '--prefix=false',
        '--tail=-1',
      )
      for (const a of r.attempts)
        assert.match(
          log,
          new RegExp(`\\] ${pod.ip.replace(/\./g, '\\.')}:\\d+ A ${a.name.replace(/\./g, '\\.')}\\. ${a.rcode} `),
          `${a.name} ${a.rcode} not in the CoreDNS log`,
        )
    })
  }
  assert.match(
    inspect(r, { colors: false }),
    new RegExp(`^dnsQuery external\\.lab\\.example A from pod shop/ndots \\(${pod.node}\\) with dig`),
  )
})

test('every running pod: resolv.conf as read by hand; ClusterFirst pods resolve kubernetes.default to its ClusterIP', async () => {
  if (!dnsUp()) return assert.unreachable('kube-dns has no endpoints (dns-down is on?): cannot compare answers')
  const kip = kjson('get', 'svc', '-n', 'default', 'kubernetes').spec.clusterIP
  const pods = runningPods()
  assert.ok(pods.length >= 7, `expected the lab's pods, got ${pods.map((p) => p.key).join(', ')}`)
  for (const p of pods) {
    await agree(async () => {
      const hand = resolvByHand(sshOk(`cat /proc/${crictlPid(p.containerId, p.node)}/root/etc/resolv.conf`, p.node))
      const clusterFirst = p.dnsPolicy === 'ClusterFirst'
      const r = await dnsQuery(
        session,
        clusterFirst ? 'kubernetes.default' : 'kubernetes.default.svc.cluster.local',
        clusterFirst ? { from: p.key } : { from: p.key, server: NET.dnsIP },
      )
      if (clusterFirst)
        assert.equal(
          [r.resolvConf!.nameservers, r.resolvConf!.search, r.resolvConf!.ndots],
          [hand.nameservers, hand.search, hand.ndots],
          p.key,
        )
      assert.ok(r.resolved, `${p.key}: ${r.rcode}`)
      assert.equal(
        r.answers.map((a) => a.data),
        [kip],
        p.key,
      )
    })
  }
})

test('distroless pod: "web" resolves to the web ClusterIP; SRV from client carries the service port', async () => {
  const svc = kjson('get', 'svc', '-n', 'shop', 'web')
  const r = await dnsQuery(session, 'web', { from: 'shop/distroless' })
  assert.equal([r.resolved, r.answeredBy, r.answers[0].data], [true, 'web.shop.svc.cluster.local', svc.spec.clusterIP])
  assert.is(r.attempts.length, 1)
  const srv = await dnsQuery(session, '_http._tcp.web.shop.svc.cluster.local', { from: 'client', type: 'SRV' })
  assert.ok(srv.resolved)
  assert.match(
    srv.answers[0].data,
    new RegExp(`^\\d+ \\d+ ${svc.spec.ports[0].port} web\\.shop\\.svc\\.cluster\\.local\\.$`),
  )
})

test('a nameserver that never answers: TIMEOUT is a result (like dig by hand), not an exception', async () => {
  const used = new Set((kjson('get', 'svc', '-A').items as any[]).map((s) => s.spec.clusterIP))
  const dead = ['10.96.255.254', '10.96.254.253', '10.96.253.252'].find((ip) => !used.has(ip))!
  const r = await dnsQuery(session, 'web.shop.svc.cluster.local', { from: 'client', server: dead, timeout: 1 })
  assert.equal([r.resolved, r.rcode, r.attempts.length, r.attempts[0].to], [false, 'TIMEOUT', 1, dead])
  assert.is(digByHand(podByHand('shop', 'client'), 'web.shop.svc.cluster.local', 'A', dead), 'TIMEOUT')
})

test('from the node: the node netns and dig by hand on the node agree', async () => {
  const r = await dnsQuery(session, 'kubernetes.default.svc.cluster.local.', {
    from: { node: 'lab-1' },
    server: NET.dnsIP,
  })
  const hand = sshOk(`dig +short @${NET.dnsIP} kubernetes.default.svc.cluster.local A`).trim().split('\n')
  assert.equal([r.from, r.answers.map((a) => a.data)], ['node lab-1', hand])
})

test('every node command went over the expected transport, and closing the session leaves no node pod', () =>
  closeSession(
    session,
    NODES.map((n) => n.name),
  ))

test.run()
