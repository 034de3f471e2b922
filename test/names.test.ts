// The name rules (src/names.ts): DNS labels and subdomains at their length limits, case, '-' at the ends,
// object references, DNS names as applications ask for them, and checkName's message.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import {
  checkName,
  isDnsLabel,
  isDnsName,
  isDnsSubdomain,
  isLabelKey,
  isName,
  isNodeName,
  isObjectName,
  NameError,
  parsePodRef,
  parseServiceRef,
} from '../src/names.ts'

const a = (n: number) => 'a'.repeat(n)

test('DNS label: 1 to 63 characters; lowercase letters, digits and "-", not at either end', () => {
  for (const ok of ['a', '0', 'kube-system', 'a-b-c', '1abc', 'abc1', a(63), `a${'-'.repeat(61)}b`])
    assert.ok(isDnsLabel(ok), ok)
  for (const bad of ['', a(64), 'Shop', 'SHOP', 'shop_1', '-shop', 'shop-', '-', 'a.b', 'a b', 'é'])
    assert.not.ok(isDnsLabel(bad), bad)
  for (const bad of [undefined, null, 42, ['a'], { name: 'a' }]) assert.not.ok(isDnsLabel(bad), String(bad))
})

test('DNS subdomain: at most 253 characters of labels joined by "."', () => {
  const label63 = a(63)
  const long253 = [label63, label63, label63, a(61)].join('.') // 63*3 + 61 + 3 dots = 253
  assert.is(long253.length, 253)
  for (const ok of ['web-7d4b9c6f5-x2x7p', 'lab-1', 'a.b.c', long253, 'x']) assert.ok(isDnsSubdomain(ok), ok)
  for (const bad of [`${long253}a`, '', 'a..b', '.a', 'a.', 'A.b', 'a.-b', 'a-.b', 'web_1', 'a/b'])
    assert.not.ok(isDnsSubdomain(bad), bad)
  // Kubernetes checks the total length of a subdomain, not each label's.
  assert.ok(isDnsSubdomain(a(100)))
  assert.ok(isNodeName('lab-1.example.com'))
  assert.not.ok(isNodeName('Lab 1'))
})

test('every DNS label is a DNS subdomain, and a subdomain of labels joined by dots is one (property)', () => {
  const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/)
  fc.assert(fc.property(label, (l) => isDnsLabel(l) && isDnsSubdomain(l)))
  fc.assert(
    fc.property(
      fc.array(label, { minLength: 1, maxLength: 5 }),
      (ls) => isDnsSubdomain(ls.join('.')) === ls.join('.').length <= 253,
    ),
  )
})

test('pod references: "name" or "namespace/name" (namespace a DNS label, name a DNS subdomain)', () => {
  assert.equal(parsePodRef('client'), { name: 'client' })
  assert.equal(parsePodRef('shop/client'), { namespace: 'shop', name: 'client' })
  assert.equal(parsePodRef('kube-system/coredns-7c65d6cfc9-abcde'), {
    namespace: 'kube-system',
    name: 'coredns-7c65d6cfc9-abcde',
  })
  assert.equal(parsePodRef(`${a(63)}/${a(253)}`), { namespace: a(63), name: a(253) })
  assert.equal(parsePodRef('shop/web.v2'), { namespace: 'shop', name: 'web.v2' })
  for (const bad of [
    '',
    '/',
    'shop/',
    '/client',
    'a/b/c',
    'Shop/client',
    'shop/Client',
    'a.b/client',
    `${a(64)}/client`,
    `shop/${a(254)}`,
    'shop/-x',
    42,
    undefined,
  ]) {
    assert.is(parsePodRef(bad), undefined, String(bad))
  }
})

test('service references: the name is a DNS label (no dots, at most 63 characters)', () => {
  assert.equal(parseServiceRef('kube-system/kube-dns'), { namespace: 'kube-system', name: 'kube-dns' })
  assert.equal(parseServiceRef(a(63)), { name: a(63) })
  for (const bad of ['web.v2', 'shop/web.v2', a(64), 'Web', 'web-', '-web', 'a/b/c', ''])
    assert.is(parseServiceRef(bad), undefined, bad)
})

test('API object names and label keys, as requests take them', () => {
  for (const ok of ['system:coredns', 'Web', 'user@example.com', 'web-1.v2', '0']) assert.ok(isObjectName(ok), ok)
  for (const bad of ['', 'a/b', 'a b', '-web', ':x']) assert.not.ok(isObjectName(bad), bad)
  for (const ok of ['app', 'app.kubernetes.io/name', 'k8s-app', 'A_b']) assert.ok(isLabelKey(ok), ok)
  for (const bad of ['', 'app/', '/app', 'a b', 'app-', 'x/y/z']) assert.not.ok(isLabelKey(bad), bad)
})

test('DNS names as applications ask for them: case, "_", a trailing dot, a leading "*" label, 63-character labels', () => {
  for (const ok of [
    'web',
    'Web.Shop',
    'web.shop.svc.cluster.local.',
    '_http._tcp.web',
    'external.lab.example',
    '*.example.com',
    `${a(63)}.com`,
    'kubernetes.default',
  ])
    assert.ok(isDnsName(ok), ok)
  for (const bad of [
    '',
    '.',
    'a b',
    'a..b',
    '-web',
    'web-',
    `${a(64)}.com`,
    `${[a(63), a(63), a(63), a(62)].join('.')}x`,
    'web/shop',
    'a.*.b',
  ])
    assert.not.ok(isDnsName(bad), bad)
})

test('isName and checkName: one rule by name; checkName says what was expected and what was received', () => {
  assert.ok(isName('dns-label', 'shop'))
  assert.not.ok(isName('pod', 'a/b/c'))
  assert.ok(isName('pod', 'shop/client'))
  assert.is(checkName('node', 'lab-1'), 'lab-1')
  assert.throws(
    () => checkName('dns-name', 'a b', 'name'),
    (e: unknown) =>
      e instanceof NameError &&
      e.kind === 'invalid' &&
      e.message === 'name: expected a DNS name like "web" or "web.shop.svc.cluster.local.", received "a b"',
  )
  assert.throws(
    () => checkName('dns-label', 42, 'namespace'),
    /^namespace: expected a DNS label \(1-63 lowercase letters, digits and "-", starting and ending with a letter or digit\), received number 42$/,
  )
  assert.throws(
    () => checkName('pod', undefined),
    /^name: expected a pod name \("client"\) or "namespace\/name", received undefined$/,
  )
  assert.throws(
    () => isName('dns' as never, 'x'),
    /^rule: expected one of "dns-label", "dns-subdomain", "node", "pod", "service", "dns-name", received "dns"$/,
  )
})

test.run()
