// Service and endpoint addresses spelled otherwise than kube-proxy writes them (leading zeros, long IPv6): both sides
// are read as kube-proxy reads them, so the comparison does not report a false mismatch.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { svcRules } from '../../../src/net/svc/index.ts'
import { addressSpellingNotes, canonicalIP, svcSpec } from '../../../src/net/svc/spec.ts'
import type { EndpointSlice, Service } from '../../../src/kube/index.ts'
import { fakeSession, fx, localService, localSlices } from './fake.ts'

test('canonicalIP: IPv4 leading zeros are decimal (ParseIPSloppy), IPv6 lower-case and compressed (RFC 5952)', () => {
  const cases: [string, string][] = [
    ['010.096.045.208', '10.96.45.208'],
    ['10.96.0.10', '10.96.0.10'],
    ['192.168.099.022', '192.168.99.22'],
    ['0010.0.0.1', '10.0.0.1'],
    ['256.1.1.1', '256.1.1.1'],
    ['10.96.0.0/16', '10.96.0.0/16'],
    ['FD00:0010:0096:0000:0000:0000:0000:0050', 'fd00:10:96::50'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['fd00::50', 'fd00::50'],
    [':::', ':::'],
    ['1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8:9'],
    ['*', '*'],
  ]
  assert.equal(
    cases.map(([a]) => canonicalIP(a)),
    cases.map(([, b]) => b),
  )
})

const zeroed = (): Service => {
  const s = localService('web-local')
  return { ...s, spec: { ...s.spec, clusterIP: '010.096.045.208', clusterIPs: ['010.096.045.208'] } }
}
const zeroedSlices = (): EndpointSlice[] =>
  localSlices('web-local').map((s) => ({
    ...s,
    endpoints: s.endpoints!.map((e) => ({
      ...e,
      addresses: e.addresses.map((a) => a.replace('10.244.1.3', '010.244.001.003')),
    })),
  }))

test('the spec and the slices are read canonically; the Service gets a note saying how kube-proxy reads it', () => {
  assert.equal(svcSpec(zeroed(), 4).clusterIPs, ['10.96.45.208'])
  assert.equal(addressSpellingNotes(zeroed()), [
    'clusterIPs[0] is written "010.096.045.208"; kube-proxy reads it as 10.96.45.208 (leading zeros are decimal, not octal), and so does this comparison',
  ])
  assert.equal(addressSpellingNotes(localService('web-local')), [])
})

test('svcRules: a ClusterIP and an endpoint written with leading zeros match the captured rules (lab-2), with a warning', async () => {
  const answers = {
    'iptables-save -c': fx('svc-local-iptables-save-lab-2.txt'),
    'nft -j list table ip kube-proxy': { exitCode: 1, stderr: 'Error: No such file or directory\n' },
  }
  const { session } = fakeSession({
    services: [zeroed()],
    slices: zeroedSlices(),
    nodes: ['lab-1', 'lab-2', 'lab-3'],
    answers,
  })
  const r = await svcRules(session, 'shop/web-local', { node: 'lab-2' })
  assert.is(r.status, 'ok', r.verdict)
  assert.equal(r.comparison.frontendIssues, [])
  assert.equal(r.comparison.expected.map((e) => e.ip).sort(), ['10.244.1.3', '10.244.2.2'])
  assert.equal(r.warnings, [addressSpellingNotes(zeroed())[0]])
})

test.run()
