// Exec credential plugins: their answer parsed, a hung plugin killed (with what it started) at its deadline, failures
// naming the user and the plugin, the credential cached and shared; through Kube: a hung plugin ends the call within
// its timeout, and a 401 with an expired client certificate says so.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ExecCredentials, parseExecCredential, pluginLine, runPlugin } from '../../src/kube/execcred.ts'
import { Kube, KubeError, loadKubeconfig } from '../../src/kube/index.ts'
import { notAfter } from '../../src/kube/transport.ts'
import { FakeApi, fakeKubeconfig, makePki } from './fakeapi.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-execcred-'))
const pki = makePki()
const api = new FakeApi(pki)
const cred = (status: object) =>
  JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status })
const sh = (script: string) => ({
  command: '/bin/sh',
  args: ['-c', script],
  apiVersion: 'client.authentication.k8s.io/v1',
})

/** Pids whose command line contains marker. */
function running(marker: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').includes(marker)
      } catch {
        return false
      }
    })
    .map(Number)
}

async function rejects(p: Promise<unknown>): Promise<KubeError> {
  const e = await p.then(
    () => undefined,
    (x) => x,
  )
  assert.instance(e, KubeError, String(e))
  return e
}

test.before(async () => {
  await api.listen()
})
test.after(async () => {
  await api.close()
  fs.rmSync(tmp, { recursive: true, force: true })
  fs.rmSync(pki.dir, { recursive: true, force: true })
})

test('parseExecCredential: token, client certificate and key, expiry; what is wrong otherwise', () => {
  assert.equal(parseExecCredential(cred({ token: 't', expirationTimestamp: '2030-01-02T03:04:05Z' })), {
    token: 't',
    cert: undefined,
    key: undefined,
    expiresAt: Date.parse('2030-01-02T03:04:05Z'),
  })
  assert.equal(parseExecCredential(cred({ clientCertificateData: 'C', clientKeyData: 'K' })), {
    token: undefined,
    cert: 'C',
    key: 'K',
  })
  assert.throws(() => parseExecCredential('Password: '), /its output is not JSON: "Password:"/)
  assert.throws(
    () => parseExecCredential('{"kind":"Other","status":{"token":"t"}}'),
    /not an ExecCredential with a status/,
  )
  assert.throws(
    () => parseExecCredential(cred({ clientCertificateData: 'C' })),
    /neither a token nor a client certificate and key/,
  )
  assert.throws(
    () => parseExecCredential(cred({ token: 't', expirationTimestamp: 'soon' })),
    /expirationTimestamp "soon" is not a time/,
  )
})

test('pluginLine quotes arguments a shell would split', () => {
  assert.is(pluginLine(sh('sleep 600')), "/bin/sh -c 'sleep 600'")
  assert.is(
    pluginLine({ command: 'aws', args: ['eks', 'get-token', '--cluster-name', "it's"] }),
    "aws eks get-token --cluster-name 'it'\\''s'",
  )
})

test('a hung plugin is killed at its deadline with what it started; the error names the user and the plugin', async () => {
  const t0 = Date.now()
  const e = await rejects(runPlugin('alice', sh('sleep 71.31 & wait'), { timeoutMs: 300 }))
  assert.ok(Date.now() - t0 < 2000, `${Date.now() - t0} ms`)
  assert.is(e.kind, 'unauthorized')
  assert.is(
    e.message,
    `the exec credential plugin of user "alice" (/bin/sh -c 'sleep 71.31 & wait') gave no answer within 300 ms and was killed`,
  )
  assert.match(e.hint!, "run it by hand to see why: /bin/sh -c 'sleep 71.31 & wait'")
  for (let i = 0; i < 20 && running('sleep 71.31').length; i++) await new Promise((r) => setTimeout(r, 50))
  assert.equal(running('sleep 71.31'), [], 'the shell’s child was killed too')
})

test('a plugin that fails, is missing or prints no credential: why, in one line', async () => {
  assert.match(
    (await rejects(runPlugin('bob', sh('echo starting >&2; echo "token expired, run login" >&2; exit 3')))).message,
    /\(\/bin\/sh -c '[^']+'\) failed \(exit 3\): token expired, run login$/,
  )
  const missing = await rejects(
    runPlugin('bob', { command: path.join(tmp, 'no-such-plugin'), installHint: 'install it from the vendor' }),
  )
  assert.match(missing.message, /no-such-plugin\) was not found$/)
  assert.is(missing.hint, 'install it from the vendor')
  assert.match((await rejects(runPlugin('bob', sh('echo hello')))).message, /failed|its output is not JSON: "hello"$/)
  assert.match((await rejects(runPlugin('bob', { args: [] }))).message, /has no command$/)
})

test('the plugin gets its env entries and KUBERNETES_EXEC_INFO (not interactive)', async () => {
  const info = path.join(tmp, 'exec-info')
  const c = await runPlugin('carol', {
    ...sh(
      `printf '%s' "$KUBERNETES_EXEC_INFO" > ${info}; printf '{"kind":"ExecCredential","status":{"token":"%s"}}' "$PLUGIN_REGION"`,
    ),
    env: [{ name: 'PLUGIN_REGION', value: 'eu-1' }],
  })
  assert.is(c.token, 'eu-1')
  assert.equal(JSON.parse(fs.readFileSync(info, 'utf8')), {
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    spec: { interactive: false },
  })
})

test('ExecCredentials: one run for concurrent callers, cached until 10 s before it expires, run again after invalidate', async () => {
  const count = path.join(tmp, 'runs')
  const soon = new Date(Date.now() + 5000).toISOString()
  const later = new Date(Date.now() + 3600_000).toISOString()
  const make = (exp: string) =>
    new ExecCredentials(
      'dave',
      sh(`echo x >> ${count}; sleep 0.2; printf '${cred({ token: 'tok', expirationTimestamp: exp })}'`),
    )
  const c = make(later)
  const [a, b] = await Promise.all([c.get(), c.get()])
  assert.is(a.token, 'tok')
  assert.is(a, b)
  await c.get()
  assert.is(fs.readFileSync(count, 'utf8').split('\n').filter(Boolean).length, 1)
  c.invalidate()
  await c.get()
  const expiring = make(soon)
  await expiring.get()
  await expiring.get()
  assert.is(
    fs.readFileSync(count, 'utf8').split('\n').filter(Boolean).length,
    4,
    'a credential expiring within 10 s is not reused',
  )
})

/** A kubeconfig for the fake API whose user runs this exec plugin. */
function execKubeconfig(spec: { command: string; args: string[] }): string {
  const f = path.join(tmp, `kubeconfig-exec-${Math.random().toString(36).slice(2)}`)
  fs.writeFileSync(
    f,
    `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: "${api.url}", certificate-authority: "${pki.ca}"}
users:
- name: plugged
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: ${JSON.stringify(spec.command)}, args: ${JSON.stringify(spec.args)}}
contexts:
- name: fake
  context: {cluster: fake, user: plugged, namespace: shop}
current-context: fake
`,
  )
  return f
}

test('Kube with a hung exec plugin: the call ends at its timeout naming the plugin, close() kills it; a working plugin’s token is sent', async () => {
  api.routes.set('/api/v1/namespaces/shop/pods', { body: { kind: 'PodList', items: [] } })
  const ok = new Kube(loadKubeconfig({ kubeconfig: execKubeconfig(sh(`printf '${cred({ token: 'from-plugin' })}'`)) }))
  assert.equal(await ok.pods(), []) // also loads client-node, which the first call of a process waits for
  assert.is(api.seen.at(-1)!.headers.authorization, 'Bearer from-plugin')
  ok.close()
  const hung = new Kube(loadKubeconfig({ kubeconfig: execKubeconfig(sh('sleep 71.32')) }), { timeoutMs: 400 })
  const t0 = Date.now()
  const e = await rejects(hung.pods())
  assert.ok(Date.now() - t0 < 1500, `${Date.now() - t0} ms`)
  assert.match(
    e.message,
    /^no credentials for user "plugged" within 400 ms: its exec credential plugin \(\/bin\/sh -c 'sleep 71\.32'\) is still running$/,
  )
  assert.ok(running('sleep 71.32').length > 0, 'the plugin runs on to its own deadline, for the next call')
  hung.close()
  for (let i = 0; i < 20 && running('sleep 71.32').length; i++) await new Promise((r) => setTimeout(r, 50))
  assert.equal(running('sleep 71.32'), [], 'closing the client killed it')
})

test('a 401 with a client certificate past its notAfter names the user and the date it expired', async () => {
  api.routes.set('/api/v1/namespaces/shop/pods', {
    status: 401,
    body: { kind: 'Status', code: 401, message: 'Unauthorized' },
  })
  const validTo = notAfter(fs.readFileSync(pki.clientCrt, 'utf8'))!
  assert.ok(validTo > Date.now(), 'the test certificate is valid now')
  const kube = new Kube(loadKubeconfig({ kubeconfig: fakeKubeconfig(pki.dir, api.url, pki) }))
  const fresh = await rejects(kube.pods())
  assert.match(fresh.message, 'the credentials were rejected', `a valid certificate: the usual 401: ${fresh.message}`)
  const now = Date.now
  Date.now = () => validTo + 3600_000 // the client's clock says the certificate expired; TLS still uses the real time
  try {
    const e = await rejects(kube.pods())
    assert.is(e.kind, 'unauthorized')
    assert.is(
      e.message,
      `401 Unauthorized from ${api.url}: the client certificate of user "tester" expired on ${new Date(validTo).toISOString().replace(/\.\d+Z$/, 'Z')}`,
    )
    assert.match(e.hint!, /^get a new certificate for this user/)
  } finally {
    Date.now = now
    kube.close()
  }
  assert.is(notAfter('not a certificate'), undefined)
  assert.is(notAfter(undefined), undefined)
})

test.run()
