import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { Session, type SessionApi } from '../src/session.ts'
import { defaultConfig, nodesToSshConfig, parseConfig } from '../src/config.ts'
import { KubeError } from '../src/kube/index.ts'
import { ShellError } from '../src/repl/errors.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-session-'))

function kubeconfig(server: string, extra = ''): string {
  const file = path.join(tmp, `kc-${Math.random().toString(36).slice(2)}`)
  fs.writeFileSync(
    file,
    `apiVersion: v1
kind: Config
current-context: one
clusters:
- name: c1
  cluster: {server: '${server}'}
users:
- name: u1
  user: {token: not-a-real-token}
contexts:
- name: one
  context: {cluster: c1, user: u1, namespace: shop}
- name: two
  context: {cluster: c1, user: u1}
${extra}`,
  )
  return file
}

test('no kubeconfig: the session starts, status says why, kube throws the load error with its hint', async () => {
  const s = await Session.create({ env: { KUBECONFIG: '/nonexistent/kubeconfig', HOME: tmp } })
  assert.ok(s satisfies SessionApi)
  assert.is(s.context, '')
  assert.is(s.namespace, 'default')
  assert.match(s.status ?? '', 'no kubeconfig')
  assert.match(s.status ?? '', '/nonexistent/kubeconfig')
  assert.not.match(s.status ?? '', '\n')
  try {
    void s.kube
    assert.unreachable('kube should throw')
  } catch (e) {
    assert.instance(e, KubeError)
    assert.ok((e as KubeError).hint)
  }
  assert.is(await s.ping(), s.status)
  assert.equal(s.contexts(), [])
  await s.close()
})

test('context and namespace: flags over config over kubeconfig', async () => {
  const kc = kubeconfig('https://127.0.0.1:1')
  const env = { KUBECONFIG: kc }
  const plain = await Session.create({ env })
  assert.is(plain.context, 'one')
  assert.is(plain.namespace, 'shop')
  const cfg = { ...defaultConfig(), context: 'two', namespace: 'from-config' }
  const fromConfig = await Session.create({ env, config: cfg })
  assert.is(fromConfig.context, 'two')
  assert.is(fromConfig.namespace, 'from-config')
  const fromFlags = await Session.create({ env, config: cfg, context: 'one', namespace: 'flag-ns' })
  assert.is(fromFlags.context, 'one')
  assert.is(fromFlags.namespace, 'flag-ns')
  const bad = await Session.create({ env, config: { ...defaultConfig(), context: 'missing' } })
  assert.match(bad.status ?? '', 'context "missing" does not exist')
  assert.is(bad.context, 'missing')
})

test('getters do no I/O: kube is built lazily after load(), once per namespace', async () => {
  const s = await Session.create({ env: { KUBECONFIG: kubeconfig('https://127.0.0.1:1') } })
  assert.throws(
    () => s.kube,
    (e: unknown) => e instanceof ShellError && /still loading/.test(e.message),
  )
  await s.load()
  const k1 = s.kube
  assert.is(s.kube, k1)
  s.setNamespace('kube-system')
  assert.is(s.namespace, 'kube-system')
  assert.is.not(s.kube, k1)
  assert.is((s.kube as unknown as { namespace: string }).namespace, 'kube-system')
})

test('setContext / setNamespace validate and switch', async () => {
  const s = await Session.create({ env: { KUBECONFIG: kubeconfig('https://127.0.0.1:1') } })
  assert.equal(s.contexts(), ['one', 'two'])
  s.setContext('two')
  assert.is(s.context, 'two')
  assert.is(s.namespace, 'default')
  assert.throws(
    () => s.setContext('three'),
    (e: unknown) =>
      e instanceof ShellError && /context "three" does not exist/.test(e.message) && /one, two/.test(e.hint ?? ''),
  )
  assert.throws(
    () => s.setNamespace('Not_A_Name'),
    (e: unknown) => e instanceof ShellError && /expected a namespace name/.test(e.message),
  )
  assert.is(s.context, 'two')
})

test('ping: connection refused gives one line in status', async () => {
  const s = await Session.create({ env: { KUBECONFIG: kubeconfig('https://127.0.0.1:1') } })
  assert.is(s.status, undefined)
  const status = await s.ping()
  assert.match(status ?? '', /refused|127\.0\.0\.1:1/)
  assert.is(s.status, status)
  assert.not.match(status ?? '', '\n')
  await s.close()
})

test('ping: a 401 from the server gives one line in status', async () => {
  const server = http.createServer((_req, res) => {
    res.writeHead(401, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({ kind: 'Status', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }),
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  try {
    const s = await Session.create({ env: { KUBECONFIG: kubeconfig(`http://127.0.0.1:${port}`) } })
    const status = await s.ping()
    assert.match(status ?? '', '401')
    await s.close()
  } finally {
    server.close()
  }
})

test("node('local') runs here; node handles are cached; a sudo rule applies; nodeVia reads what was used", async () => {
  const cfg = parseConfig('nodes:\n  - match: "prod-*"\n    sudo: true\n    user: ops\n', path.join(tmp, '.recipes'))
  fs.writeFileSync(path.join(tmp, 'ssh_config'), '# empty\n')
  const s = await Session.create({
    env: { KUBECONFIG: '/nonexistent', KINSPECT_SSH_CONFIG: path.join(tmp, 'ssh_config') },
    config: cfg,
  })
  await s.load()
  assert.is(s.nodeVia('local'), undefined, 'nodeVia makes no handle')
  const local = s.node('local')
  assert.is(s.node('local'), local)
  assert.is((await local.$`echo hi`).stdout, 'hi\n')
  assert.is(s.nodeVia('local'), 'local')
  assert.is(s.nodeVia('prod-1'), undefined)
  assert.is(s.node('prod-1').defaults.sudo, true)
  assert.is(s.node('lab-1').defaults.sudo, undefined)
  assert.throws(
    () => s.node(''),
    (e: unknown) => e instanceof ShellError,
  )
  await s.close()
})

test("node(x).sshConfig: the node's ssh settings and which resolver produced them; .recipes rules come first", async () => {
  const cfg = parseConfig('nodes:\n  - match: "prod-*"\n    user: ops\n    port: 2200\n', path.join(tmp, '.recipes'))
  fs.writeFileSync(path.join(tmp, 'ssh_config'), 'Host prod-*\n  HostName %h.example\n  User ignored\n', {
    mode: 0o644,
  })
  for (const [resolver, source] of [
    [undefined, 'ssh -G'],
    ['built-in', 'built-in'],
  ] as const) {
    const s = await Session.create({
      env: {
        ...process.env,
        KUBECONFIG: '/nonexistent',
        KINSPECT_SSH_CONFIG: path.join(tmp, 'ssh_config'),
        KINSPECT_SSH_RESOLVER: resolver,
      },
      config: cfg,
    })
    await s.load()
    const r = await s.node('prod-1').sshConfig!
    assert.equal([r.source, r.user, r.port, r.hostName], [source, 'ops', 2200, 'prod-1.example'])
    assert.is(s.node('local').sshConfig, undefined)
    await s.close()
  }
})

test('no SSH entry and no cluster: the first command on a node fails with one error listing each transport', async () => {
  fs.writeFileSync(path.join(tmp, 'ssh_config'), '# empty\n')
  const s = await Session.create({
    env: {
      KUBECONFIG: '/nonexistent/kc',
      HOME: tmp,
      KINSPECT_SSH_CONFIG: path.join(tmp, 'ssh_config'),
      KINSPECT_SSH_RESOLVER: 'built-in',
    },
  })
  await s.load()
  const h = s.node('lab-9')
  assert.equal([h.target, h.via], ['node:lab-9', undefined])
  const e = await h.$`true`.then(
    () => undefined,
    (x) => x,
  )
  assert.is(e?.name, 'NodeAccessError', String(e))
  const lines = e.message.split('\n')
  assert.equal(lines.slice(0, 2), [
    'no transport reaches node lab-9 (tried ssh, pod):',
    'ssh: no ssh config entry, key or agent applies to lab-9',
  ])
  assert.match(lines[2], /^pod: no kubeconfig/)
  assert.is(lines.length, 3)
  assert.is(h.via, undefined)
  await s.close()
})

test('interrupt() aborts every command in flight and lets later ones run; shutdown is one idempotent path', async () => {
  const s = await Session.create({ env: { KUBECONFIG: '/nonexistent' } })
  await s.load()
  const local = s.node('local')
  assert.is(local.via, 'local')
  const t0 = Date.now()
  const running = local.$`sleep 5`
  setTimeout(() => s.interrupt(), 100)
  const e = await running.then(
    () => undefined,
    (x) => x,
  )
  assert.is(e?.kind, 'aborted')
  assert.ok(Date.now() - t0 < 2000)
  assert.is((await local.$`echo again`).stdout, 'again\n')
  const r1 = s.shutdown()
  assert.is(s.shutdown(), r1)
  assert.equal(await r1, { deleted: [], remaining: [] })
  assert.ok(s.signal.aborted, 'after shutdown nothing new runs')
})

test('ssh files: KINSPECT_SSH_CONFIG/KNOWN_HOSTS win over the config; node rules become Host blocks', async () => {
  const cfg = { ...defaultConfig(), ssh: { configFile: '/cfg/ssh_config', knownHostsFile: '/cfg/known_hosts' } }
  const a = await Session.create({ env: { KUBECONFIG: '/nonexistent' }, config: cfg })
  assert.is(a.sshEnv().KINSPECT_SSH_CONFIG, '/cfg/ssh_config')
  assert.is(a.sshEnv().KINSPECT_KNOWN_HOSTS, '/cfg/known_hosts')
  const b = await Session.create({
    env: { KUBECONFIG: '/nonexistent', KINSPECT_SSH_CONFIG: '/env/cfg', KINSPECT_KNOWN_HOSTS: '/env/kh' },
    config: cfg,
  })
  assert.is(b.sshEnv().KINSPECT_SSH_CONFIG, '/env/cfg')
  assert.is(b.sshEnv().KINSPECT_KNOWN_HOSTS, '/env/kh')
  const text = nodesToSshConfig(
    [
      { match: 'lab-*', user: 'root', port: 2222, identityFile: '/k/id ed' },
      { match: 'x', sudo: true },
    ],
    '/f/.recipes',
  )
  assert.is(text, '# from /f/.recipes (nodes)\nHost lab-*\n  User root\n  Port 2222\n  IdentityFile "/k/id ed"\n')
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
