// Fuzz: kubeconfig (parse, kubectl merge, context selection) and the exact Quantity parser of top().
import { test } from 'uvu'
import fc from 'fast-check'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { mergeKubeconfigs, parseKubeconfig, selectContext, type KubeconfigInfo } from '../../src/kube/kubeconfig.ts'
import { KubeError } from '../../src/kube/errors.ts'
import { ceilMilli, ceilValue, parseQuantityExact, type Fraction } from '../../src/kube/quantity.ts'
import { kubeconfig } from '../lab/configs.ts'
import YAML from 'yaml'
import { fuzz, labCapture, mutatedJson, textInput } from './harness.ts'

// The lab's kubeconfig as `npm run lab -- up` writes it (certificates replaced by random bytes), and a HAND-WRITTEN one
// with the other user kinds, relative paths, flow mappings and several contexts.
const pki = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-fuzz-pki-'))
for (const f of ['ca.crt', 'admin.crt', 'admin.key'])
  fs.writeFileSync(path.join(pki, f), Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256)))
const LAB = kubeconfig(pki, 'admin')
fs.rmSync(pki, { recursive: true, force: true })
const HAND = `# HAND-WRITTEN
apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster: {server: "https://a.example:6443/", certificate-authority: certs/ca.crt, insecure-skip-tls-verify: false}
- name: proxied
  cluster:
    server: https://10.0.0.1:6443
    proxy-url: http://proxy:3128
    tls-server-name: kubernetes
users:
- name: alice
  user: {client-certificate: alice.crt, client-key: /abs/alice.key, tokenFile: ../tok}
- name: bob
  user:
    token: s3cret
    exec: {command: ./bin/helper, apiVersion: client.authentication.k8s.io/v1, args: [a, b], env: [{name: X, value: "1"}]}
- name: basic
  user: {username: u, password: p}
- name: oidc
  user: {auth-provider: {name: oidc, config: {idp-issuer-url: "https://issuer"}}}
contexts:
- name: ctx-a
  context: {cluster: shared, user: alice, namespace: team-a}
- name: ctx-b
  context: {cluster: proxied, user: bob}
- name: ctx-c
  context: {cluster: missing, user: basic}
current-context: ctx-a
`
// The yaml library costs a few µs per character (more per error): beyond ~8 KB a document alone nears the 50 ms budget on
// a busy 2-core machine, so each of the two files of a case stays under 4 KB (a kubeconfig with embedded certificates is ~3 KB; the budget
// is about superlinear behaviour, which the depth guard of src/yaml-depth.ts now stops).
export const YAML_MAX = 4000
// Text mutations of the YAML, and structural ones of the same documents written as JSON (which is YAML too): a number
// where a string belongs, a list where a mapping does, a key deleted.
const kubeconfigText = fc.oneof(
  textInput([LAB, HAND], YAML_MAX),
  mutatedJson([LAB, HAND].map((t) => JSON.stringify(YAML.parse(t)))),
)
const AUTH = new Set(['token', 'tokenFile', 'client-certificate', 'exec', 'auth-provider', 'basic', 'none'])

fuzz({
  name: 'kubeconfig',
  input: fc.tuple(kubeconfigText, kubeconfigText, fc.constantFrom(undefined, 'ctx-a', 'kinspect-lab', 'nope')),
  run: ([a, b, context]: [string, string, string | undefined]) =>
    selectContext(
      mergeKubeconfigs([parseKubeconfig(a, '/home/u/.kube/config'), parseKubeconfig(b, '/etc/kube/b.yaml')]),
      { context },
    ),
  expected: (e) => e instanceof KubeError && ['yaml', 'context', 'invalid'].includes(e.kind),
  check: (info: KubeconfigInfo) => {
    const strs = [
      info.server,
      info.currentContext,
      info.namespace,
      info.context.cluster,
      info.context.user,
      info.cluster.name,
    ]
    if (!strs.every((s) => typeof s === 'string'))
      throw new Error(`a name or URL that is not a string: ${JSON.stringify(strs)}`)
    if (!info.server || info.server.endsWith('/')) throw new Error(`server ${JSON.stringify(info.server)}`)
    for (const f of [info.cluster.caFile, info.cluster.tlsServerName, info.cluster.proxyUrl])
      if (f !== undefined && typeof f !== 'string') throw new Error(`cluster field ${JSON.stringify(f)}`)
    if (info.cluster.caFile !== undefined && !path.isAbsolute(info.cluster.caFile))
      throw new Error(`CA ${info.cluster.caFile} is not absolute`)
    if (!AUTH.has(info.user.auth)) throw new Error(`auth ${info.user.auth}`)
    const names = info.contexts.map((c) => c.name)
    if (names.some((n, i) => i && names[i - 1].localeCompare(n) > 0) || new Set(names).size !== names.length)
      throw new Error('contexts not sorted and unique')
    if (Object.keys(info).includes('merged')) throw new Error('merged (credentials) is enumerable')
  },
})

// Quantities: metrics-server's (captured), suffix/exponent/sign/fraction variants, and text mutations of them.
const metrics = [labCapture('metrics-pods.json'), labCapture('metrics-nodes.json'), labCapture('kubectl-nodes.json')]
const SEEN = [...new Set(metrics.flatMap((t) => [...t.matchAll(/"(?:cpu|memory)": "([^"]+)"/g)].map((m) => m[1])))]
const gen = fc
  .tuple(
    fc.constantFrom('', '+', '-'),
    fc.bigInt({ min: 0n, max: 10n ** 30n }),
    fc.option(fc.stringMatching(/^\d{0,12}$/)),
    fc.constantFrom(
      '',
      'n',
      'u',
      'm',
      'k',
      'M',
      'G',
      'T',
      'P',
      'E',
      'Ki',
      'Mi',
      'Gi',
      'Ti',
      'Pi',
      'Ei',
      'e3',
      'E-2',
      'e+7',
      'e0',
    ),
  )
  .map(([s, i, f, u]) => `${s}${i}${f === null ? '' : `.${f}`}${u}`)

const isFraction = (f: Fraction) => typeof f.num === 'bigint' && typeof f.den === 'bigint' && f.den > 0n

fuzz({
  name: 'Quantity',
  input: fc.oneof(gen, textInput(SEEN), fc.string({ maxLength: 30 })),
  run: (q: string) => parseQuantityExact(q, 'usage.cpu'),
  expected: (e) => e instanceof KubeError && e.kind === 'invalid' && e.message.startsWith('usage.cpu: '),
  check: (f: Fraction, q: string) => {
    if (!isFraction(f)) throw new Error(`not a fraction with a positive denominator: ${f.num}/${f.den}`)
    ceilMilli(f)
    ceilValue(f)
    // 1000x and the milli form of the same value are the same quantity
    const m = /^([+-]?\d+)$/.exec(q.trim())
    if (m) {
      const g = parseQuantityExact(`${m[1]}000m`)
      if (g.num * f.den !== f.num * g.den) throw new Error(`${q} != ${m[1]}000m`)
    }
  },
})

test.run()
