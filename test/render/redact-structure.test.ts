// Structural redaction on real printer output: kubectl's own YAML/JSON/text (test/fixtures/kubectl-offline), describe
// layouts (hand-written), and the lab's captured outputs, which hold no secret and must come out unchanged.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { inspect } from 'node:util'
import YAML from 'yaml'
import { redactText, REDACTED, secretsInText } from '../../src/render/notebook-redact.ts'

const root = path.resolve(import.meta.dirname, '../fixtures')
const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8')
const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8')
type Reader = (text: string) => any
const yaml: Reader = (t) => YAML.parse(t)
const json: Reader = (t) => JSON.parse(t)

test('kubectl get secret -o yaml|json: every data value is hidden whatever the key (apikey, tls.key, a numeric pin); the rest stays', () => {
  for (const [file, parse] of [
    ['kubectl-offline/secret.yaml', yaml],
    ['kubectl-offline/secret.json', json],
  ] as [string, Reader][]) {
    const text = read(file)
    const orig = parse(text)
    assert.equal(Object.keys(orig.data).sort(), ['apikey', 'note', 'pin', 'tls.key'])
    const out = redactText(text)
    for (const v of Object.values(orig.data) as string[]) assert.not.match(out, v, `${file}: ${v}`)
    const back = parse(out)
    for (const k of Object.keys(orig.data)) assert.is(back.data[k], REDACTED, `${file}: ${k}`)
    assert.equal(back.metadata, orig.metadata)
    assert.is(back.kind, 'Secret')
    // what was hidden is what the session learns (the taint set takes these values)
    assert.equal([...new Set(secretsInText(text))].sort(), (Object.values(orig.data) as string[]).sort())
  }
})

test('a multi-line file stored in a Secret (base64 of a config with a password) is hidden', () => {
  const text = read('kubectl-offline/secret-file.yaml')
  const orig = YAML.parse(text)
  assert.match(decode(orig.data['config.yaml']), 'pgPa55word')
  const back = YAML.parse(redactText(text))
  assert.is(back.data['config.yaml'], REDACTED)
  assert.is(back.data.pin, REDACTED)
  assert.is(back.metadata.name, 'app-config')
})

test('env entries {name, value}: secret-looking names are hidden in kubectl YAML, JSON and `set env --list`; HOME and valueFrom stay', () => {
  for (const [file, parse] of [
    ['kubectl-offline/deployment-env.yaml', yaml],
    ['kubectl-offline/deployment-env.json', json],
  ] as [string, Reader][]) {
    const out = redactText(read(file))
    const env = parse(out).spec.template.spec.containers[0].env as { name: string; value: string }[]
    assert.equal(
      env,
      [
        { name: 'DB_PASSWORD', value: REDACTED },
        { name: 'API_TOKEN', value: REDACTED },
        { name: 'PIN', value: REDACTED },
        { name: 'HOME', value: '/root' },
      ],
      file,
    )
  }
  const list = redactText(read('kubectl-offline/deployment-env-list.txt'))
  assert.is(
    list,
    `# Deployment envdemo, container busybox\nDB_PASSWORD=${REDACTED}\nAPI_TOKEN=${REDACTED}\nPIN=${REDACTED}\nHOME=/root\n`,
  )
})

test('kubeconfig (kubectl config view --raw): tokens, keys, passwords, auth-provider and exec secrets hidden; certificates and names kept', () => {
  for (const [file, parse] of [
    ['kubectl-offline/kubeconfig.yaml', yaml],
    ['kubectl-offline/kubeconfig.json', json],
  ] as [string, Reader][]) {
    const text = read(file)
    const orig = parse(text)
    const out = redactText(text)
    const user = (n: string, o = parse(out)) => o.users.find((u: { name: string }) => u.name === n).user
    assert.is(user('token-user').token, REDACTED, file)
    assert.is(user('cert-user')['client-key-data'], REDACTED, file)
    assert.is(
      user('cert-user')['client-certificate-data'],
      user('cert-user', orig)['client-certificate-data'],
      `${file}: a certificate is public`,
    )
    assert.is(user('basic-user').password, REDACTED, file)
    assert.is(user('basic-user').username, 'admin', file)
    const oidc = user('oidc-user')['auth-provider'].config
    assert.equal(
      oidc,
      { 'client-id': 'kinspect', 'client-secret': REDACTED, 'id-token': REDACTED, 'refresh-token': REDACTED },
      file,
    )
    assert.equal(
      user('exec-user').exec.env,
      [
        { name: 'AWS_PROFILE', value: 'lab' },
        { name: 'AWS_SECRET_ACCESS_KEY', value: REDACTED },
      ],
      file,
    )
    assert.is(parse(out).clusters[0].cluster.server, 'https://10.99.0.1:6443')
    for (const s of ['sa-tok.Kx81Lm0Pq7Rs', 'b4sic-Pa55', 'oidc-S3cr3t', 'rfr-T0ken99', 'idt-Tok3n88', 'aws-Secr3tKey'])
      assert.not.match(out, s, `${file}: ${s}`)
  }
})

test("describe (hand-written layout): env values with secret names hidden; a Secret's byte counts and secretKeyRef lines stay", () => {
  const pod = redactText(read('redact-handwritten/describe-pod-env.txt'))
  assert.match(
    pod,
    `      DB_PASSWORD:  ${REDACTED}\n      API_TOKEN:    ${REDACTED}\n      PIN:          ${REDACTED}\n      HOME:         /root\n`,
  )
  assert.match(pod, "APIKEY:       <set to the key 'apikey' in secret 'shop-creds'>  Optional: false")
  assert.match(pod, 'Service Account:  default')
  const secret = read('redact-handwritten/describe-secret.txt')
  assert.is(redactText(secret), secret)
})

test('Secrets printed by inspect: a plain object, a V1Secret class instance, a list item with only `type`, a YAML string', () => {
  class V1Secret {
    metadata = { name: 'db' }
    data = { apikey: 'YWstN0hxMnhMdzlacA==' }
  }
  const cls = redactText(inspect(new V1Secret(), { depth: 4 }))
  assert.match(cls, `apikey: '${REDACTED}'`)
  const item = redactText(
    inspect(
      {
        items: [
          {
            metadata: { name: 't' },
            type: 'kubernetes.io/service-account-token',
            data: { token: 'ZXlKaGJHY2lPaUpTVXpJMU5pSjk=', 'ca.crt': 'Q0E=' },
          },
        ],
      },
      { depth: 6 },
    ),
  )
  assert.not.match(item, 'ZXlK')
  assert.not.match(item, 'Q0E=')
  const y = inspect(
    YAML.stringify({
      apiVersion: 'v1',
      data: { 'tls.key': 'dGxzazN5LU0wbmRheQ==' },
      kind: 'Secret',
      metadata: { name: 'x' },
    }),
  )
  assert.not.match(redactText(y), 'dGxzazN5')
})

test('what is not a Secret stays: ConfigMap data, toleration/selector `key:`, snapshotKey, secretName, tokenFile, secretKeyRef', () => {
  const keep = [
    'kind: ConfigMap\ndata:\n  Corefile: ".:53 {}"\n  password-policy: strict\n',
    'tolerations:\n- key: node.kubernetes.io/not-ready\n  operator: Exists\n',
    JSON.stringify({
      snapshotKey: '27c12e64f29d3af322afc153e349240e',
      secretName: 'db-creds',
      tokenFile: '/var/run/token',
      expirationSeconds: 3607,
    }),
    inspect(
      { env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] },
      { depth: 6 },
    ),
    'automountServiceAccountToken: false\n',
  ]
  for (const k of keep) assert.is(redactText(k), k)
})

test("the lab's captured outputs hold no secret and come out unchanged, as text and as inspect prints their JSON", () => {
  for (const dir of ['lab']) {
    // Sub-folders too (lab/kube, lab/triage hold API objects).
    for (const f of fs
      .readdirSync(path.join(root, dir), { recursive: true })
      .map(String)
      .filter((x) => fs.statSync(path.join(root, dir, x)).isFile())) {
      const text = read(path.join(dir, f))
      assert.ok(redactText(text) === text, `${dir}/${f} changed`)
      if (f.endsWith('.json')) {
        const shown = inspect(JSON.parse(text), { depth: 4, maxArrayLength: 200 })
        assert.ok(redactText(shown) === shown, `${dir}/${f} (inspect) changed`)
      }
    }
  }
})

test('a Secret cut off before its kind, in a text that names a Secret: base64 data is hidden', () => {
  const cut =
    '$ kubectl get secret db -o yaml | head -4\napiVersion: v1\ndata:\n  apikey: YWstN0hxMnhMdzlacA==\n  pin: NDMyMQ==\n'
  const out = redactText(cut)
  assert.match(out, `  apikey: ${REDACTED}\n  pin: ${REDACTED}\n`)
})

test.run()
