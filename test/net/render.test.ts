// The net renderers on plain data: columns, colour only when asked, footers and notes.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { DnsResult } from '../../src/net/dns.ts'
import {
  answersText,
  renderAttempts,
  renderConntrackList,
  renderConntrackStats,
  renderDns,
  renderNetns,
  renderVeth,
  tupleText,
} from '../../src/render/net.ts'
import { pairVeth, parseIpJson } from '../../src/net/iplink.ts'
import { parseConntrackL, parseConntrackS, sumCpuStats } from '../../src/net/conntrack-parse.ts'
import { CLIENT, clientNodeLinks, labFx, netFx } from './fake.ts'

const ESC = '\u001b['

test('renderNetns: one row, and the tries table only when one failed', () => {
  const base = {
    pod: 'shop/client',
    node: 'lab-1',
    pid: 12095,
    method: 'crictl',
    detail: 'container 27c12e64f29d3 (crictl inspect)',
    podIP: '10.244.0.4',
    cached: true,
    attempts: [],
  }
  const t = renderNetns(base)
  assert.match(t, /nsenter -t 12095 -n -- … on lab-1/)
  assert.match(
    t,
    /shop\/client\s+lab-1\s+12095\s+crictl\s+container 27c12e64f29d3 \(crictl inspect\) \(cached\)\s+10\.244\.0\.4/,
  )
  assert.not.match(t, /RESULT/)
  const tries = [
    { method: 'crictl', ok: false, what: 'crictl inspect x', detail: 'crictl is not installed on lab-1' },
    { method: 'proc', ok: true, what: 'grep', detail: 'pid 1' },
  ]
  assert.match(
    renderNetns({ ...base, method: 'proc', attempts: tries }),
    /crictl\s+failed\s+crictl inspect x\s+crictl is not installed/,
  )
  assert.ok(renderAttempts(tries, true).includes(ESC))
  assert.not.ok(renderNetns(base, { color: false }).includes(ESC))
})

test('renderVeth: MTU column red only on mismatch; explanation for unpaired results', () => {
  const host = clientNodeLinks()
  const ok = {
    pod: 'shop/client',
    node: CLIENT.node,
    method: 'crictl',
    ...pairVeth(parseIpJson(labFx('ip-link-pod-client-stats.json')), host),
  }
  assert.is(ok.status, 'ok')
  const plain = renderVeth(ok, { color: false })
  assert.match(
    plain,
    /SIDE\s+NAME\s+IFINDEX\s+PEER\s+KIND\s+MTU\s+MASTER\s+MAC\s+STATE\s+ADDRESSES\s+RX bytes\/pkts\/err\/drop/,
  )
  const [veth, kcni0] = [ok.hostSide!, host.find((l) => l.ifname === 'kcni0')!]
  assert.match(
    plain,
    new RegExp(
      `host\\s+${veth.name}\\s+${veth.ifindex}\\s+${veth.peerIfindex}\\s+veth\\s+1500\\s+kcni0\\s+${veth.mac}\\s+UP`,
    ),
  )
  // the bridge has no peer, and no KIND here (the node's `ip addr` is not -d); its address is the pods' gateway
  const gw = kcni0.addr_info!.find((a) => a.family === 'inet')!
  assert.match(
    plain,
    new RegExp(`bridge\\s+kcni0\\s+${kcni0.ifindex}\\s+1500\\s+${kcni0.address}\\s+UP\\s+${gw.local}/${gw.prefixlen}`),
  )
  assert.not.ok(renderVeth(ok, { color: true }).includes(`${ESC}31m1500`))
  const bad = { ...ok, mtuMismatch: true }
  assert.ok(renderVeth(bad, { color: true }).includes(`${ESC}31m1500`))
  const nv = renderVeth({
    pod: 'shop/x',
    status: 'hostNetwork',
    explanation: 'uses hostNetwork',
    mtuMismatch: false,
    warnings: [],
  })
  assert.match(nv, /^vethOf shop\/x: hostNetwork\nuses hostNetwork$/)
})

test('renderConntrackStats: fill line, a column per counter, an "all" row', () => {
  const text = labFx('conntrack-S.txt')
  const perCpu = parseConntrackS(text)
  const t = renderConntrackStats({
    node: 'lab-1',
    source: 'conntrack -S',
    perCpu,
    totals: sumCpuStats(perCpu),
    count: 725,
    max: 1265,
    usage: 725 / 1265,
    warnings: ['x'],
  })
  assert.match(t, /^conntrack on lab-1 \(conntrack -S\): 725 \/ 1265 entries \(57%\)/)
  assert.match(t, /CPU\s+FOUND\s+INVALID\s+INSERT\s+INSERT_FAILED\s+DROP\s+EARLY_DROP/)
  // the "all" row: each counter summed over the CPU lines of the capture (read here with a plain regex)
  const sum = (f: string) => [...text.matchAll(new RegExp(`\\b${f}=(\\d+)`, 'g'))].reduce((n, m) => n + Number(m[1]), 0)
  assert.match(
    t,
    new RegExp(
      `^all\\s+${['found', 'invalid', 'insert', 'insert_failed', 'drop', 'early_drop'].map(sum).join('\\s+')}\\s`,
      'm',
    ),
  )
  assert.match(t, /warning: x$/)
})

test('renderConntrackList / tupleText: arrows, ICMP, IPv6 brackets, the footer, empty lists', () => {
  const text = netFx('conntrack-L-icmp.txt')
  const l = parseConntrackL(text)
  // the unanswered ping of the capture, its fields read from the line with a plain regex
  const line = text.split('\n').find((x) => x.includes('[UNREPLIED]'))!
  const [, timeout, src, dst, id, rsrc, rdst, rid, mark] =
    /^icmp\s+1\s+(\d+) src=(\S+) dst=(\S+) type=8 code=0 id=(\d+) \[UNREPLIED\] src=(\S+) dst=(\S+) type=0 code=0 id=(\d+) mark=(\d+)/.exec(
      line,
    )!
  const ping = l.find((e) => e.unreplied)!
  const orig = `${src} → ${dst} type=8 code=0 id=${id}`
  const reply = `${rsrc} → ${rdst} type=0 code=0 id=${rid}`
  assert.is(tupleText(ping.orig), orig)
  assert.is(tupleText({ src: 'fd00::1', dst: 'fd00::2', sport: 1, dport: 53 }), '[fd00::1]:1 → [fd00::2]:53')
  const t = renderConntrackList(Object.assign(l, { node: 'lab-3', total: l.length, truncated: false }))
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  assert.match(t, new RegExp(`icmp\\s+${timeout}\\s+${esc(orig)}\\s+${esc(reply)}\\s+UNREPLIED\\s+${mark}`))
  assert.match(t, new RegExp(`\\n${l.length} flow\\(s\\) on lab-3$`))
  assert.match(renderConntrackList([]), /^No flows match\.\n0 flow\(s\)$/)
})

test('renderDns: rows per query with rcodes coloured, the verdict, notes', () => {
  const a = (
    n: number,
    name: string,
    rcode: string,
    answers = [] as { name: string; type: string; data: string }[],
  ) => ({ n, name, via: 'x', to: '10.96.0.10', rcode, answers, queryMs: 0, elapsedMs: 12.4 })
  const r: DnsResult = {
    name: 'web',
    type: 'A',
    from: 'pod shop/client',
    node: 'lab-1',
    tool: 'dig',
    resolver: 'glibc',
    resolverFrom: 'assumed',
    candidates: [],
    attempts: [a(1, 'web.x', 'NXDOMAIN'), a(2, 'web', 'NOERROR', [{ name: 'web.', type: 'A', data: '1.2.3.4' }])],
    rcode: 'NOERROR',
    answers: [{ name: 'web.', type: 'A', data: '1.2.3.4' }],
    answeredBy: 'web',
    resolved: true,
    elapsedMs: 1500,
    notes: ['n1'],
  }
  const t = renderDns(r, { color: false })
  assert.match(t, /#\s+NAME\s+VIA\s+SERVER\s+RCODE\s+ANSWERS\s+TIME\s+WALL/)
  assert.match(t, /2\s+web\s+x\s+10\.96\.0\.10\s+NOERROR\s+A 1\.2\.3\.4\s+0 ms\s+12 ms/)
  assert.match(t, /resolved: A 1\.2\.3\.4 \(web\) after 2 queries, 1\.5 s\nnote: n1$/)
  assert.ok(renderDns(r, { color: true }).includes(`${ESC}33mNXDOMAIN`))
  assert.is(
    answersText([1, 2, 3, 4].map((i) => ({ name: 'a', type: 'A', data: `10.0.0.${i}` }))),
    'A 10.0.0.1, A 10.0.0.2, A 10.0.0.3 +1',
  )
})

test.run()
