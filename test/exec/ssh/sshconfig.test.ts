// ssh_config resolution: OpenSSH's matching and first-value-wins, checked against `ssh -G` where it can be.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfigTexts, parseProxyJump, resolveHost, SshConfigError, type ConfigText } from '../../../src/exec/ssh/sshconfig.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-sshconfig-'))
const home = '/home/tester'
const env = { home, localUser: 'me', localHost: 'box.local', uid: 1000 }

const INC = path.join(tmp, 'inc.conf')
fs.writeFileSync(INC, 'Host *.inc\n  User incuser\n  Port 2200\n')
const CONFIG = `# comment
Host web-* !web-secret
  HostName %h.example.com
  User alice
  IdentityFile ~/.ssh/id_%h
  IdentityFile /keys/%u-%r-%p-%n
Host web-secret
  HostName secret.internal
Host db?
  HostName 10.0.0.%h
  Port=2222
  ProxyJump bob@bastion:2022,ssh://jump2
Host *.inc
  Include ${INC}
Host "quoted name"
  User q
Host *
  User fallback
  StrictHostKeyChecking accept-new
  UserKnownHostsFile ~/.ssh/kh1 /tmp/kh2
  ConnectTimeout 7
  Port 22
`
const CONFIG_FILE = path.join(tmp, 'config')
fs.writeFileSync(CONFIG_FILE, CONFIG)

function sshG(name: string): Record<string, string> {
  const r = spawnSync('ssh', ['-G', '-F', CONFIG_FILE, name], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`ssh -G ${name}: ${r.stderr}`)
  const out: Record<string, string> = {}
  for (const line of r.stdout.split('\n')) {
    const i = line.indexOf(' ')
    if (i > 0 && !(line.slice(0, i) in out)) out[line.slice(0, i)] = line.slice(i + 1)
  }
  return out
}

test('agrees with ssh -G on hostname, user, port, strictness, known_hosts, timeout and ProxyJump', () => {
  for (const name of ['web-1', 'web-secret', 'db1', 'db12', 'a.inc', 'other']) {
    const g = sshG(name)
    const r = resolveHost(name, { text: CONFIG, path: CONFIG_FILE }, { localUser: 'me', home: os.homedir() })
    assert.is(r.hostName, g.hostname, `${name} hostname`)
    assert.is(r.user, g.user, `${name} user`)
    assert.is(String(r.port), g.port, `${name} port`)
    assert.is(r.strictHostKeyChecking, g.stricthostkeychecking === 'false' ? 'no' : g.stricthostkeychecking === 'true' ? 'yes' : g.stricthostkeychecking, `${name} strict`)
    assert.is(r.knownHostsFiles.join(' '), g.userknownhostsfile, `${name} known_hosts`)
    assert.is(String((r.connectTimeoutMs ?? 0) / 1000), g.connecttimeout, `${name} ConnectTimeout`)
    const pj = r.proxyJump.map((j) => `${j.user ? `${j.user}@` : ''}${j.host}${j.port ? `:${j.port}` : ''}`).join(',')
    assert.is(pj, g.proxyjump ?? '', `${name} ProxyJump`)
  }
})

test('IdentityFile: ~ and %-tokens expanded, every line kept in order; defaults when none', () => {
  const r = resolveHost('web-1', CONFIG, env)
  assert.equal(r.identityFiles, [`${home}/.ssh/id_web-1.example.com`, '/keys/me-alice-22-web-1'])
  assert.ok(r.identityFilesExplicit)
  const d = resolveHost('other', CONFIG, env)
  assert.equal(d.identityFiles, ['id_rsa', 'id_ecdsa', 'id_ed25519'].map((f) => `${home}/.ssh/${f}`))
  assert.not.ok(d.identityFilesExplicit)
})

test('first value wins: an early Host * beats later specific blocks', () => {
  const r = resolveHost('n1', 'Host *\n  User first\nHost n1\n  User second\n  Port 2\n', env)
  assert.is(r.user, 'first')
  assert.is(r.port, 2)
  assert.is(r.hostName, 'n1')
})

test('patterns: ? and * and !negation; Host with several patterns; quoted arguments', () => {
  const text = 'Host a? !ab b*\n  User m\nHost "x y"\n  IdentityFile "/k/with space"\n'
  assert.is(resolveHost('ac', text, env).user, 'm')
  assert.is(resolveHost('ab', text, env).user, 'me')
  assert.is(resolveHost('abc', text, env).user, 'me')
  assert.is(resolveHost('bzz', text, env).user, 'm')
  assert.is(resolveHost('BZZ', text, env).user, 'm', 'host patterns ignore case')
})

test('Include: relative to ~/.ssh for the user file, /etc/ssh for the system file; scoped to its Host block', () => {
  const seen: string[] = []
  const files: Record<string, string> = {
    [`${home}/.ssh/conf.d/a`]: 'Host n1\n  User from-include\n',
    '/etc/ssh/ssh_config.d/z': 'Port 2022\n',
  }
  const readInclude = (p: string): ConfigText[] => {
    seen.push(p)
    return Object.keys(files).filter((f) => f.startsWith(p.replace('*', ''))).map((f) => ({ text: files[f], path: f }))
  }
  const r = resolveHost('n1', [{ text: 'Host n1\n  Include conf.d/*\n  Port 1\n', kind: 'user' }, { text: 'Include ssh_config.d/*\n', kind: 'system' }], { ...env, readInclude })
  assert.equal(seen, [`${home}/.ssh/conf.d/*`, '/etc/ssh/ssh_config.d/*'])
  assert.is(r.user, 'from-include')
  assert.is(r.port, 1)
  seen.length = 0
  resolveHost('n2', 'Host n1\n  Include conf.d/*\n', { ...env, readInclude })
  assert.equal(seen, [], 'an Include inside a non-matching Host block is not read')
})

test('Include from disk expands globs in order; a loop is reported', () => {
  const d = path.join(tmp, 'incdir')
  fs.mkdirSync(d, { recursive: true })
  fs.writeFileSync(path.join(d, '10-b.conf'), 'User b\n')
  fs.writeFileSync(path.join(d, '05-a.conf'), 'User a\n')
  fs.writeFileSync(path.join(d, 'skip.txt'), 'User c\n')
  assert.is(resolveHost('x', `Include ${d}/*.conf\n`, env).user, 'a')
  const loop = path.join(tmp, 'loop.conf')
  fs.writeFileSync(loop, `Include ${loop}\n`)
  assert.throws(() => resolveHost('x', `Include ${loop}\n`, env), /Include nested more than 16 deep/)
})

test('ProxyJump forms: user@host:port, ssh:// URI, [IPv6]:port, bare IPv6, none', () => {
  assert.equal(parseProxyJump('bob@bastion:2022,ssh://carol@jump2:23,jump3'), [
    { user: 'bob', host: 'bastion', port: 2022 },
    { user: 'carol', host: 'jump2', port: 23 },
    { host: 'jump3' },
  ])
  assert.equal(parseProxyJump('[fe80::1]:2200'), [{ host: 'fe80::1', port: 2200 }])
  assert.equal(parseProxyJump('fe80::1'), [{ host: 'fe80::1' }])
  assert.equal(parseProxyJump('none'), [])
  assert.throws(() => parseProxyJump('a,,b'), /empty hop/)
  assert.throws(() => parseProxyJump('a:99999'), /port 1-65535, received 99999/)
})

test('ProxyJump and ProxyCommand: the one seen first wins', () => {
  assert.equal(resolveHost('n', 'ProxyJump j\nProxyCommand nc %h %p\n', env).proxyJump, [{ host: 'j' }])
  const pc = resolveHost('n', 'ProxyCommand nc %h %p\nProxyJump j\n', env)
  assert.equal(pc.proxyJump, [])
  assert.is(pc.proxyCommand, 'nc %h %p')
})

test('known_hosts files: KINSPECT_KNOWN_HOSTS first, then UserKnownHostsFile; "none" empties the list', () => {
  const r = resolveHost('n', 'UserKnownHostsFile ~/kh /etc/kh\n', { ...env, env: { KINSPECT_KNOWN_HOSTS: '/lab/known_hosts' } })
  assert.equal(r.knownHostsFiles, ['/lab/known_hosts', `${home}/kh`, '/etc/kh'])
  assert.equal(resolveHost('n', '', env).knownHostsFiles, [`${home}/.ssh/known_hosts`, `${home}/.ssh/known_hosts2`])
  assert.equal(resolveHost('n', 'UserKnownHostsFile none\n', env).knownHostsFiles, [])
})

test('StrictHostKeyChecking: yes/ask strict, no/off lenient, accept-new kept; a bad value names file and line', () => {
  assert.ok(resolveHost('n', '', env).strict)
  assert.is(resolveHost('n', '', env).strictHostKeyChecking, 'ask')
  assert.not.ok(resolveHost('n', 'StrictHostKeyChecking no\n', env).strict)
  assert.is(resolveHost('n', 'StrictHostKeyChecking off\n', env).strictHostKeyChecking, 'no')
  assert.is(resolveHost('n', 'StrictHostKeyChecking accept-new\n', env).strictHostKeyChecking, 'accept-new')
  assert.throws(() => resolveHost('n', { text: '\nStrictHostKeyChecking maybe\n', path: '/c' }, env), /\/c:2: StrictHostKeyChecking: expected yes, no, ask or accept-new, received maybe/)
})

test('Match all / host / originalhost / user; unsupported criteria never match', () => {
  const text = 'Host alias\n  HostName real.example\nMatch host real.*\n  User byhost\nMatch all\n  Port 2\n'
  const r = resolveHost('alias', text, env)
  assert.is(r.user, 'byhost')
  assert.is(r.port, 2)
  assert.is(resolveHost('n', 'Match exec "true"\n  User x\n', env).user, 'me')
  assert.is(resolveHost('n', 'Match !originalhost m\n  User y\n', env).user, 'y')
})

test('errors name the file, the line and what was expected', () => {
  assert.throws(() => resolveHost('n', { text: 'Port abc\n', path: '/f' }, env), (e: unknown) => e instanceof SshConfigError && /\/f:1: Port: expected a positive integer, received "abc"/.test(e.message))
  assert.throws(() => resolveHost('n', 'IdentityFile ~/%z\n', env), /IdentityFile: unknown token %z/)
  assert.throws(() => resolveHost('n', 'User "unterminated\n', env), /unterminated quote/)
  assert.throws(() => resolveHost('', '', env), /host name: expected a non-empty name/)
  assert.throws(() => resolveHost('n', 'Host\n', env), /Host needs at least one pattern/)
})

test('misc keywords: IdentitiesOnly, IdentityAgent, HostKeyAlias, ConnectTimeout', () => {
  const r = resolveHost('n', 'IdentitiesOnly yes\nIdentityAgent none\nHostKeyAlias nodekey\nConnectTimeout 3\n', env)
  assert.ok(r.identitiesOnly)
  assert.is(r.identityAgent, null)
  assert.is(r.hostKeyAlias, 'nodekey')
  assert.is(r.connectTimeoutMs, 3000)
  assert.is(resolveHost('n', 'IdentityAgent ~/agent.sock\n', env).identityAgent, `${home}/agent.sock`)
  assert.is(resolveHost('n', '', env).identityAgent, undefined)
})

test('loadConfigTexts: KINSPECT_SSH_CONFIG replaces ~/.ssh/config, and must exist', () => {
  const texts = loadConfigTexts({ env: { KINSPECT_SSH_CONFIG: CONFIG_FILE }, systemConfig: null })
  assert.equal(texts.map((t) => [t.path, t.kind]), [[CONFIG_FILE, 'user']])
  assert.throws(() => loadConfigTexts({ env: { KINSPECT_SSH_CONFIG: path.join(tmp, 'missing') } }), /cannot read ssh config .*missing \(from KINSPECT_SSH_CONFIG\): ENOENT/)
  const none = loadConfigTexts({ env: {}, home: path.join(tmp, 'nohome'), systemConfig: path.join(tmp, 'nosystem') })
  assert.equal(none, [], 'missing default files are skipped')
})

// Regression cases found by test/fuzz/ssh.test.ts (fast-check counterexamples, shrunk).
test('fuzz regressions: a ConnectTimeout beyond 2^31-1 seconds is an error (was Infinity ms); blanks before a stray \\r are linear', () => {
  assert.throws(() => resolveHost('lab-1', `Host *\n  ConnectTimeout ${'9'.repeat(400)}\n`, env), (e: unknown) => e instanceof SshConfigError && /ConnectTimeout: expected a positive integer/.test(e.message))
  assert.is(resolveHost('lab-1', 'Host *\n  ConnectTimeout 2147483647\n', env).connectTimeoutMs, 2147483647000)
  // "Host" + 20,000 blanks + "a\r" took a second (the separator backtracked under (.*)$); it is still the same parse error
  const line = `Host${' '.repeat(20000)}a\rb`
  const t0 = performance.now()
  assert.throws(() => resolveHost('lab-1', line, env), (e: unknown) => e instanceof SshConfigError && /cannot parse line/.test(e.message))
  assert.ok(performance.now() - t0 < 50)
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
