// Kubeconfig loading: kubectl's merge rules, overrides, relative paths and the errors.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { inspect } from 'node:util'
import {
  loadKubeconfig,
  listContexts,
  kubeconfigPaths,
  mergeKubeconfigs,
  parseKubeconfig,
  selectContext,
} from '../../src/kube/kubeconfig.ts'
import { KubeError } from '../../src/kube/errors.ts'
import { clientNodeOptions } from '../../src/kube/transport.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-kubeconfig-'))
function write(rel: string, text: string): string {
  const f = path.join(tmp, rel)
  fs.mkdirSync(path.dirname(f), { recursive: true })
  fs.writeFileSync(f, text)
  return f
}

const A = write(
  'a/config',
  `apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster: {server: "https://a.example:6443/", certificate-authority: certs/ca.crt}
- name: only-a
  cluster: {server: https://only-a:6443}
users:
- name: alice
  user: {client-certificate: alice.crt, client-key: /abs/alice.key, tokenFile: ../tok}
contexts:
- name: ctx-a
  context: {cluster: shared, user: alice, namespace: team-a}
- name: dup
  context: {cluster: only-a, user: alice}
current-context: ctx-a
`,
)
const B = write(
  'b/config',
  `clusters:
- name: shared
  cluster: {server: "https://b.example:6443"}
- name: only-b
  cluster: {server: https://only-b:6443, certificate-authority: ca-b.crt}
users:
- name: bob
  user:
    token: s3cret
    exec: {command: ./bin/helper, apiVersion: client.authentication.k8s.io/v1}
- name: carol
  user: {exec: {command: aws, args: [eks, get-token]}}
contexts:
- name: dup
  context: {cluster: only-b, user: bob, namespace: from-b}
- name: ctx-b
  context: {cluster: only-b, user: bob}
current-context: ctx-b
`,
)
const NOCURRENT = write('c/config', `contexts:\n- name: ctx-c\n  context: {cluster: only-b}\n`)
const BAD = write(
  'bad/config',
  `apiVersion: v1
clusters:
- name: x
  cluster:
    server: https://x
   bad-indent: [
`,
)
const MISSING = path.join(tmp, 'does-not-exist')
const env = (...files: string[]) => ({ KUBECONFIG: files.join(path.delimiter), HOME: path.join(tmp, 'home') })

function throwsKube(fn: () => unknown, kind: string, re?: RegExp): KubeError {
  try {
    fn()
  } catch (e) {
    assert.instance(e, KubeError)
    const k = e as KubeError
    assert.is(k.kind, kind, `kind of: ${k.message}`)
    if (re) assert.match(k.message + ' ' + (k.hint ?? ''), re)
    return k
  }
  assert.unreachable('expected a KubeError')
  throw new Error('unreachable')
}

test('KUBECONFIG files merge first-wins per name; current-context from the first file that sets it', () => {
  const i = loadKubeconfig({ env: env(A, B) })
  assert.is(i.currentContext, 'ctx-a')
  assert.is(i.server, 'https://a.example:6443') // trailing slash dropped, A's "shared" wins over B's
  assert.is(i.cluster.source, A)
  assert.equal(i.sources, [A, B])
  assert.equal(
    i.contexts.map((c) => c.name),
    ['ctx-a', 'ctx-b', 'dup'],
  )
  const dup = i.contexts.find((c) => c.name === 'dup')!
  assert.is(dup.cluster, 'only-a') // the first file's whole entry, not a field merge with B's
  assert.is(dup.namespace, undefined)
  assert.is(dup.source, A)
  // reversed order: B's current-context and B's "shared" win
  const j = loadKubeconfig({ env: env(B, A) })
  assert.is(j.currentContext, 'ctx-b')
  assert.is(j.merged.clusters.get('shared')!.value.server, 'https://b.example:6443')
  assert.is(j.contexts.find((c) => c.name === 'dup')!.cluster, 'only-b')
})

test('a file without current-context does not stop a later one from setting it', () => {
  const i = loadKubeconfig({ env: env(NOCURRENT, B) })
  assert.is(i.currentContext, 'ctx-b')
  assert.is(i.merged.currentContextSource, B)
})

test('missing files in KUBECONFIG are skipped, duplicates read once', () => {
  const i = loadKubeconfig({ env: env(MISSING, B, '', B) })
  assert.equal(i.sources, [B])
  assert.is(i.currentContext, 'ctx-b')
})

test('relative paths resolve against the file that defined them', () => {
  const i = loadKubeconfig({ env: env(A, B) })
  const alice = i.merged.users.get('alice')!.value
  assert.is(i.cluster.caFile, path.join(tmp, 'a/certs/ca.crt'))
  assert.is(alice['client-certificate'], path.join(tmp, 'a/alice.crt'))
  assert.is(alice['client-key'], '/abs/alice.key')
  assert.is(alice.tokenFile, path.join(tmp, 'tok'))
  assert.is(i.merged.clusters.get('only-b')!.value['certificate-authority'], path.join(tmp, 'b/ca-b.crt'))
  assert.is(i.merged.users.get('bob')!.value.exec!.command, path.join(tmp, 'b/bin/helper'))
  assert.is(i.merged.users.get('carol')!.value.exec!.command, 'aws') // a PATH lookup stays as is
})

test('fuzz regressions: an empty path is unset, as client-go reads it (certificate-authority: "" was a CA file named "")', () => {
  const f = write(
    'empty-paths',
    `apiVersion: v1\nkind: Config\ncurrent-context: e\nclusters:\n- name: e\n  cluster: {server: 'https://e:6443', certificate-authority: ''}\nusers:\n- name: e\n  user: {token: t, client-certificate: '', client-key: '', tokenFile: ''}\ncontexts:\n- name: e\n  context: {cluster: e, user: e}\n`,
  )
  const i = loadKubeconfig({ env: {}, kubeconfig: f })
  assert.is(i.cluster.caFile, undefined)
  assert.not.ok('certificate-authority' in i.merged.clusters.get('e')!.value)
  const e = i.merged.users.get('e')!.value
  for (const k of ['client-certificate', 'client-key', 'tokenFile']) assert.not.ok(k in e, k)
})

test('--kubeconfig is used alone; --context and --namespace override', () => {
  const i = loadKubeconfig({ kubeconfig: B, env: env(A) })
  assert.equal(i.sources, [B])
  assert.is(i.currentContext, 'ctx-b')
  assert.is(i.namespace, 'default')
  assert.is(i.namespaceFrom, 'default')
  const j = loadKubeconfig({ env: env(A, B), context: 'dup' })
  assert.is(j.currentContext, 'dup')
  assert.is(j.server, 'https://only-a:6443')
  const k = loadKubeconfig({ env: env(A, B) })
  assert.is(k.namespace, 'team-a')
  assert.is(k.namespaceFrom, 'context')
  const l = loadKubeconfig({ env: env(A, B), namespace: 'other' })
  assert.is(l.namespace, 'other')
  assert.is(l.namespaceFrom, 'override')
  assert.is(k.user.auth, 'tokenFile') // bearer wins the label when a cert is also set
  assert.is(loadKubeconfig({ env: env(B) }).user.auth, 'exec')
})

test('no kubeconfig found: names where it looked', () => {
  throwsKube(() => loadKubeconfig({ env: env(MISSING) }), 'noconfig', new RegExp(MISSING.replace(/[/.]/g, '\\$&')))
  throwsKube(() => loadKubeconfig({ env: { HOME: path.join(tmp, 'nohome') } }), 'noconfig', /nohome\/\.kube\/config/)
  throwsKube(() => loadKubeconfig({ kubeconfig: MISSING, env: env(A) }), 'noconfig', /does not exist/)
})

test('unknown context lists the ones that exist; no current-context asks for one', () => {
  const e = throwsKube(
    () => loadKubeconfig({ env: env(A, B), context: 'nope' }),
    'context',
    /context "nope" does not exist/,
  )
  assert.match(e.hint!, /ctx-a, ctx-b, dup/)
  throwsKube(() => loadKubeconfig({ kubeconfig: NOCURRENT }), 'context', /no current-context/)
  throwsKube(
    () => loadKubeconfig({ kubeconfig: NOCURRENT, context: 'ctx-c' }),
    'context',
    /cluster "only-b", which no kubeconfig file defines/,
  )
})

test('bad YAML names the file and line', () => {
  const e = throwsKube(() => loadKubeconfig({ env: env(BAD, A) }), 'yaml')
  assert.is(e.file, BAD)
  assert.is(e.line, 6)
  assert.match(e.message, new RegExp(`${BAD.replace(/[/.]/g, '\\$&')}:6: invalid YAML`))
  throwsKube(() => parseKubeconfig('- just\n- a list\n', '/x'), 'yaml', /must be a YAML mapping/)
  throwsKube(() => parseKubeconfig('clusters: {a: 1}\n', '/x'), 'yaml', /"clusters" must be a list/)
  assert.equal(parseKubeconfig('', '/empty').contexts, []) // an empty file is an empty config, like kubectl
})

test('listContexts: sorted names, [] instead of errors', () => {
  assert.equal(listContexts({ env: env(B, A) }), ['ctx-a', 'ctx-b', 'dup'])
  assert.equal(listContexts({ env: env(MISSING) }), [])
  assert.equal(listContexts({ env: env(BAD) }), [])
})

test('kubeconfigPaths: --kubeconfig, then KUBECONFIG, then ~/.kube/config', () => {
  assert.equal(kubeconfigPaths({ kubeconfig: 'rel/kc', env: env(A) }).files, [path.resolve('rel/kc')])
  assert.equal(kubeconfigPaths({ env: env(A, B) }), { files: [A, B], from: 'KUBECONFIG' })
  assert.equal(kubeconfigPaths({ env: { KUBECONFIG: '', HOME: '/h' } }), { files: ['/h/.kube/config'], from: 'home' })
})

test('bad override arguments are rejected with the argument named', () => {
  throwsKube(() => loadKubeconfig({ env: env(A), context: '' }), 'invalid', /^context: expected/)
  throwsKube(() => loadKubeconfig({ env: env(A), namespace: '' }), 'invalid', /^namespace: expected/)
  throwsKube(() => loadKubeconfig({ kubeconfig: '' }), 'invalid', /^kubeconfig: expected a file path/)
})

test('clientNodeOptions: only the selected context, client-node field names, http allowed', () => {
  const o = clientNodeOptions(loadKubeconfig({ env: env(A, B) }))
  assert.is(o.currentContext, 'ctx-a')
  assert.equal(o.contexts, [{ name: 'ctx-a', cluster: 'shared', user: 'alice', namespace: 'team-a' }])
  assert.is(o.clusters.length, 1)
  assert.is(o.clusters[0].caFile, path.join(tmp, 'a/certs/ca.crt'))
  assert.is(o.clusters[0].skipTLSVerify, false)
  assert.is(o.users[0].certFile, path.join(tmp, 'a/alice.crt'))
  const http = write(
    'http/config',
    'clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n',
  )
  const h = clientNodeOptions(loadKubeconfig({ kubeconfig: http }))
  assert.is(h.clusters[0].skipTLSVerify, true)
  assert.equal(h.users, [])
})

test('credentials stay out of printed output: merged is non-enumerable', () => {
  const i = loadKubeconfig({ env: env(B) })
  assert.is(i.merged.users.get('bob')!.value.token, 's3cret')
  assert.not.ok(Object.keys(i).includes('merged'))
  assert.not.match(inspect(i, { depth: 10 }), /s3cret/)
  assert.not.match(JSON.stringify(i), /s3cret/)
})

// Regression cases found by test/fuzz/kube.test.ts (fast-check counterexamples, shrunk).
test('fuzz regressions: a field of the wrong type is a yaml error naming it (a numeric server was a TypeError)', () => {
  const ctx = 'contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n'
  const load = (cluster: string, user = '{}') =>
    selectContext(
      mergeKubeconfigs([
        parseKubeconfig(
          `clusters:\n- name: c\n  cluster: ${cluster}\nusers:\n- name: u\n  user: ${user}\n${ctx}`,
          '/k/config',
        ),
      ]),
    )
  throwsKube(
    () => load('{server: 123}'),
    'yaml',
    /^\/k\/config: clusters\[c\]\.cluster\.server: expected a string, received the number 123 /,
  )
  throwsKube(
    () => load('{server: https://a, insecure-skip-tls-verify: "yes"}'),
    'yaml',
    /insecure-skip-tls-verify: expected true or false, received the string "yes"/,
  )
  throwsKube(
    () => load('{server: https://a}', '{exec: {command: [aws]}}'),
    'yaml',
    /users\[u\]\.user\.exec\.command: expected a string, received a list/,
  )
  throwsKube(
    () => parseKubeconfig('current-context: 5\n', '/k/config'),
    'yaml',
    /current-context: expected a context name, received the number 5/,
  )
  // null is unset, as in kubectl
  assert.is(load('{server: https://a, certificate-authority: null}').cluster.caFile, undefined)
})

test('fuzz regressions: deeply nested flow collections are refused before the yaml library spends seconds on them', () => {
  const text = `clusters:\n- name: shared\n  cluster: {server: x, ${'{cluster: missing, user:\t'.repeat(400)}\n`
  // The guard's own message (the yaml library took ~0.7 s on this before it); timing is left to bench/, as a bound
  // here failed on a loaded machine.
  throwsKube(
    () => parseKubeconfig(text, '/k/config'),
    'yaml',
    /^\/k\/config:3: invalid YAML: collections nested 40\d levels deep \(at most 32\) /,
  )
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))

test.run()
