// The built-in ssh_config reader: OpenSSH's matching, first value wins, and each rule the old reader got wrong,
// checked against `ssh -G` on this machine's OpenSSH where a case can be (sshG below).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  loadConfigTexts,
  parseProxyJump,
  readIncludeFromDisk,
  resolveHost,
  resolveOptions,
  SshConfigError,
  type ConfigText,
} from '../../../src/exec/ssh/sshconfig.ts'
import { parseSshG } from '../../../src/exec/ssh/sshg.ts'
import { assertFast } from '../../fast.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-sshconfig-'))
const home = '/home/tester'
const env = { home, localUser: 'me', localHost: 'box.local', uid: 1000, env: { HOME: home } }

/** ssh's own answer for a config text (written to a file) and a name. */
function sshG(text: string, name: string): ReturnType<typeof parseSshG> {
  const file = path.join(tmp, `g-${Math.random().toString(36).slice(2)}`)
  fs.writeFileSync(file, text)
  const r = spawnSync('ssh', ['-G', '-F', file, '--', name], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`ssh -G ${name}: ${r.stderr}`)
  return parseSshG(r.stdout)
}
/** The built-in reader's answer for the same text, in ssh -G's terms, as this machine's user. */
const builtin = (text: string, name: string) => resolveOptions(name, { text, path: '/c' }, { env: process.env })

test('Host and Match user patterns are case-sensitive; Match host and originalhost are not (as in ssh)', () => {
  const text = 'Host WEB*\n  User upper\nHost web*\n  User lower\nMatch originalhost WEB1\n  Port 2001\n'
  assert.is(resolveHost('web1', text, env).user, 'lower')
  assert.is(resolveHost('WEB1', text, env).user, 'upper')
  assert.is(resolveHost('web1', text, env).port, 2001, 'originalhost ignores case')
  const users = 'Match user Ops\n  Port 2\nMatch user ops\n  Port 3\n'
  assert.is(resolveHost('n', `User ops\n${users}`, env).port, 3)
  for (const name of ['web1', 'WEB1']) assert.equal(builtin(text, name), sshG(text, name), name)
})

test('Match host sees HostName after %h expansion; the connected host is lowercased, addresses canonicalised', () => {
  const text = 'Host n*\n  HostName %h.Example.COM\nMatch host *.example.com\n  User matched\n'
  const r = resolveHost('n1', text, env)
  assert.is(r.user, 'matched')
  assert.is(r.hostName, 'n1.example.com')
  assert.is(resolveHost('a', 'HostName 010.0.0.1\n', env).hostName, '8.0.0.1')
  assert.is(resolveHost('a', 'HostName FE80:0:0::1\n', env).hostName, 'fe80::1')
  assert.is(resolveHost('a', 'HostName FE80::1\n', env).hostName, 'FE80::1', 'only the case differs: ssh keeps it')
  for (const t of [text, 'HostName 010.0.0.1\n', 'HostName 1.2.3\n', 'HostName fe80:0:0:0:0:0:0:1\n'])
    assert.equal(builtin(t, 'n1'), sshG(t, 'n1'), t)
})

test('Match exec runs the command with $SHELL -c like ssh; tokens expanded; skipped once a criterion failed', () => {
  const marker = path.join(tmp, 'exec-ran')
  const text = `Match exec "test %h = n1.lab && test %n = n1 && test %p = 2222 && test %r = me"\n  User matched\n`
  assert.is(resolveHost('n1', `HostName n1.lab\nPort 2222\n${text}`, env).user, 'matched')
  assert.is(resolveHost('n2', `HostName n1.lab\nPort 2222\n${text}`, env).user, 'me')
  resolveHost('n1', `Match host nomatch exec "touch ${marker}"\n  User x\n`, env)
  assert.not.ok(fs.existsSync(marker), 'a failed host criterion skips the command, as in ssh')
  resolveHost('n1', `Match host n1 exec "touch ${marker}"\n  User x\n`, env)
  assert.ok(fs.existsSync(marker))
  const t = 'Match exec "test %n = n1"\n  Port 3\nMatch !exec "false"\n  User neg\n'
  assert.equal(builtin(t, 'n1'), sshG(t, 'n1'))
})

test('Match exec: a command still running at the deadline is an error naming the line, not a silent non-match', () => {
  const t0 = Date.now()
  assert.throws(
    () =>
      resolveHost(
        'n',
        { text: 'User a\nMatch exec "sleep 30"\n  User b\n', path: '/cfg' },
        { ...env, runExec: (cmd) => spawnSync('/bin/sh', ['-c', cmd], { timeout: 300 }).status },
      ),
    (e: unknown) =>
      e instanceof SshConfigError &&
      /^\/cfg:2: match exec 'sleep 30' error/.test(e.message) &&
      /\$SHELL -c/.test(e.hint ?? ''),
  )
  assert.ok(Date.now() - t0 < 5000)
})

test('Match final and Match canonical: a second pass where Host lines see the final host name', () => {
  const text =
    'HostName %h.example.com\nMatch !final\n  Port 2100\nMatch final\n  User fin\nHost n1.example.com\n  IdentityFile ~/.ssh/from-final\nMatch canonical all\n  ConnectTimeout 4\n'
  const r = resolveHost('n1', text, env)
  assert.is(r.user, 'fin')
  assert.is(r.port, 2100)
  assert.equal(r.identityFiles, [`${home}/.ssh/from-final`])
  assert.is(r.connectTimeoutMs, 4000)
  assert.is(
    resolveHost('n1', 'Match canonical\n  User c\n', env).user,
    'me',
    'without a final pass, canonical never matches',
  )
  assert.equal(builtin(text, 'n1'), sshG(text, 'n1'))
})

test('Include with *, ? and [..] globs, in order, dot files skipped, missing files ignored, active only where included', () => {
  const d = path.join(tmp, 'incdir')
  fs.mkdirSync(d, { recursive: true })
  fs.writeFileSync(path.join(d, '10-b.conf'), 'User b\n')
  fs.writeFileSync(path.join(d, '05-a.conf'), 'User a\n')
  fs.writeFileSync(path.join(d, '.hidden.conf'), 'User hidden\n')
  fs.writeFileSync(path.join(d, 'x1.conf'), 'Port 2201\n')
  assert.is(resolveHost('x', `Include ${d}/*.conf\n`, env).user, 'a')
  assert.is(resolveHost('x', `Include ${d}/[1-9]*.conf\n`, env).user, 'b')
  assert.is(resolveHost('x', `Include ${d}/[!0]*.conf ${d}/missing.conf\n`, env).user, 'b')
  assert.is(resolveHost('x', `Include ${d}/x?.conf\n`, env).port, 2201)
  assert.is(resolveHost('x', `Host other\n  Include ${d}/*.conf\n`, env).user, 'me')
  const t = `Include ${d}/[!0]*.conf\nHost x\n  Include ${d}/.h*\n`
  assert.equal(builtin(t, 'x'), sshG(t, 'x'))
})

test('Include: relative to ~/.ssh for user files and /etc/ssh for system files; a Host inside does not leak out', () => {
  const seen: string[] = []
  const files: Record<string, string> = {
    [`${home}/.ssh/conf.d/a`]: 'Host other\n  User from-other\n',
    '/etc/ssh/ssh_config.d/z': 'Port 2022\n',
  }
  const readInclude = (p: string): ConfigText[] => {
    seen.push(p)
    return Object.keys(files)
      .filter((f) => f.startsWith(p.replace('*', '')))
      .map((f) => ({ text: files[f], path: f }))
  }
  const r = resolveHost(
    'n1',
    [
      { text: 'Include conf.d/*\nUser after\n', kind: 'user' },
      { text: 'Include ssh_config.d/*\n', kind: 'system' },
    ],
    { ...env, readInclude },
  )
  assert.equal(seen, [`${home}/.ssh/conf.d/*`, '/etc/ssh/ssh_config.d/*'])
  assert.is(r.user, 'after', "the included file's Host line ends at the end of that file")
  assert.is(r.port, 2022)
  assert.throws(
    () => resolveHost('n1', { text: 'Include ~/x\n', path: '/etc/ssh/ssh_config', kind: 'system' }, env),
    /bad include path ~\/x/,
  )
})

test('Include: a file others can write is refused as ssh refuses it; a loop is reported', () => {
  const w = path.join(tmp, 'writable.conf')
  fs.writeFileSync(w, 'User w\n')
  fs.chmodSync(w, 0o666)
  assert.throws(() => readIncludeFromDisk(w), /Bad owner or permissions on .*writable\.conf/)
  const loop = path.join(tmp, 'loop.conf')
  fs.writeFileSync(loop, `Include ${loop}\n`, { mode: 0o644 })
  assert.throws(() => resolveHost('x', `Include ${loop}\n`, env), /Too many recursive configuration includes/)
})

test('IdentitiesOnly true|false; IdentityFile none; UserKnownHostsFile none; the defaults are ssh 9.2s', () => {
  assert.ok(resolveHost('n', 'IdentitiesOnly true\n', env).identitiesOnly)
  assert.not.ok(resolveHost('n', 'IdentitiesOnly false\nIdentitiesOnly yes\n', env).identitiesOnly)
  const none = resolveHost('n', 'IdentityFile none\nUserKnownHostsFile none\nGlobalKnownHostsFile none\n', env)
  assert.equal([none.identityFiles, none.knownHostsFiles, none.globalKnownHostsFiles], [[], [], []])
  assert.ok(none.identityFilesExplicit, 'IdentityFile none means: no defaults either')
  const d = resolveHost('n', '', env)
  assert.equal(
    d.identityFiles,
    ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map(
      (f) => `${home}/.ssh/${f}`,
    ),
  )
  assert.not.ok(d.identityFilesExplicit)
  assert.equal(d.knownHostsFiles, [`${home}/.ssh/known_hosts`, `${home}/.ssh/known_hosts2`])
  for (const t of ['IdentityFile none\nIdentityFile ~/.ssh/k\n', 'UserKnownHostsFile none\n', 'IdentitiesOnly TRUE\n'])
    assert.equal(builtin(t, 'n'), sshG(t, 'n'), t)
})

test('${HOME}, ~ and ~user/ in paths; the %k and %C tokens; an unknown token or variable names the keyword', () => {
  const r = resolveHost(
    'n1',
    'IdentityFile ${HOME}/.ssh/k_%k\nIdentityFile ~root/rk\nIdentityFile ~\nHostKeyAlias Alias1\nUserKnownHostsFile %d/kh_%C\n',
    { ...env, homeOf: (u) => (u === 'root' ? '/root' : undefined) },
  )
  assert.equal(r.identityFiles, [`${home}/.ssh/k_alias1`, '/root/rk', `${home}/`])
  assert.match(r.knownHostsFiles[0], new RegExp(`^${home}/kh_[0-9a-f]{40}$`))
  assert.is(r.hostKeyAlias, 'alias1', 'ssh lowercases HostKeyAlias')
  assert.is(
    resolveHost('n1', 'IdentityFile ~/k_%k\n', env).identityFiles[0],
    `${home}/k_n1`,
    '%k is the name asked for without an alias',
  )
  assert.throws(() => resolveHost('n', 'IdentityFile ~/%z\n', env), /IdentityFile ~\/%z: unknown key %z/)
  assert.throws(
    () => resolveHost('n', 'IdentityFile ${NOPE_KINSPECT}/k\n', env),
    /env var \$\{NOPE_KINSPECT\} has no value/,
  )
  assert.throws(
    () => resolveHost('n', 'IdentityFile ~nosuchuser_kinspect/k\n', env),
    /No such user nosuchuser_kinspect/,
  )
  const t =
    'IdentityFile ${HOME}/k_%k\nUserKnownHostsFile ~root/kh_%k_%C_%h_%n_%p_%r_%u_%L_%l_%i_%d\nHostKeyAlias MyAlias\nIdentityAgent ${HOME}/a.%h\n'
  const o = builtin(t, 'Web1')
  assert.equal(o, sshG(t, 'Web1'))
})

test('StrictHostKeyChecking in all its spellings; ConnectTimeout with units and none', () => {
  const shk = (v: string) => resolveHost('n', `StrictHostKeyChecking ${v}\n`, env).strictHostKeyChecking
  assert.equal(['yes', 'true', 'no', 'false', 'off', 'ask', 'accept-new', 'OFF', 'True'].map(shk), [
    'yes',
    'yes',
    'no',
    'no',
    'no',
    'ask',
    'accept-new',
    'no',
    'yes',
  ])
  assert.is(resolveHost('n', '', env).strictHostKeyChecking, 'ask')
  assert.not.ok(resolveHost('n', 'StrictHostKeyChecking false\n', env).strict)
  const ct = (v: string) => resolveHost('n', `ConnectTimeout ${v}\n`, env).connectTimeoutMs
  assert.equal(['10', '10s', '1m30s', '2H', 'none', '0'].map(ct), [
    10_000,
    10_000,
    90_000,
    7_200_000,
    undefined,
    undefined,
  ])
  assert.is(
    resolveHost('n', 'ConnectTimeout none\nConnectTimeout 5\n', env).connectTimeoutMs,
    5000,
    'none leaves it unset, as in ssh',
  )
  for (const t of [
    'StrictHostKeyChecking false\nConnectTimeout 1m30s\n',
    'StrictHostKeyChecking off\nConnectTimeout none\n',
  ])
    assert.equal(builtin(t, 'n'), sshG(t, 'n'), t)
})

test('first value wins; Port by service name; ProxyJump and ProxyCommand as ssh combines them', () => {
  const r = resolveHost('n1', 'Host *\n  User first\nHost n1\n  User second\n  Port ssh\n', env)
  assert.equal([r.user, r.port, r.hostName], ['first', 22, 'n1'])
  assert.equal(resolveHost('n', 'ProxyJump j\nProxyCommand nc %h %p\n', env).proxyJump, [{ host: 'j' }])
  const pc = resolveHost('n', 'ProxyCommand nc %h %p # kept, as ssh keeps it\nProxyJump j\n', env)
  assert.equal([pc.proxyJump, pc.proxyCommand], [[], 'nc %h %p # kept, as ssh keeps it'])
  assert.is(resolveHost('n', 'ProxyJump none\nProxyCommand nc %h %p\n', env).proxyCommand, 'nc %h %p')
  assert.equal(resolveHost('n', 'ProxyJump none\nProxyJump j\n', env).proxyJump, [])
  assert.throws(() => resolveHost('bastion', 'ProxyJump bastion\n', env), /jumphost loop via bastion/)
  for (const t of [
    'ProxyJump ssh://bob@j1:2022,10.0.0.1,[fe80::1]:22\n',
    'ProxyJump none\nProxyCommand nc %h %p\n',
    'ProxyCommand none\nProxyJump j\n',
  ])
    assert.equal(builtin(t, 'n'), sshG(t, 'n'), t)
})

test('ProxyJump forms as ssh parses them: user@host:port, ssh:// URI, [IPv6]:port, none; a bare IPv6 is rejected', () => {
  assert.equal(parseProxyJump('bob@bastion:2022,ssh://carol@jump2:23,jump3'), [
    { user: 'bob', host: 'bastion', port: 2022 },
    { user: 'carol', host: 'jump2', port: 23 },
    { host: 'jump3' },
  ])
  assert.equal(parseProxyJump('[fe80::1]:2200'), [{ host: 'fe80::1', port: 2200 }])
  assert.equal(parseProxyJump('none'), [])
  assert.throws(() => parseProxyJump('fe80::1'), /IPv6 addresses go in \[brackets\]/)
  assert.throws(() => parseProxyJump('a,,b'), /not a list of/)
  assert.throws(() => parseProxyJump('a:99999'), /not a list of/)
  assert.throws(
    () => resolveHost('n', { text: 'Host x\n  ProxyJump a,,b\n', path: '/f' }, env),
    /\/f:2: Invalid ProxyJump "a,,b"/,
  )
})

test('bad lines: the file and line, in active and inactive blocks alike, as ssh reports them', () => {
  const bad = (text: string) => {
    try {
      resolveHost('n', { text, path: '/f' }, env)
    } catch (e) {
      assert.instance(e, SshConfigError)
      return (e as Error).message
    }
    throw new Error('expected a config error')
  }
  assert.is(bad('Port abc\n'), "/f:1: Bad port 'abc'.")
  assert.is(bad('Host other\n  StrictHostKeyChecking maybe\n'), '/f:2: unsupported option "maybe".')
  assert.is(bad('\nBogusKeyword 1\n'), '/f:2: Bad configuration option: boguskeyword')
  assert.is(bad('User "unterminated\n'), '/f:1: invalid quotes')
  assert.is(bad('User a b\n'), '/f:1: keyword user extra arguments at end of line')
  assert.is(bad('Match\n'), '/f:1: no argument after keyword "match"')
  assert.is(bad('Match host\n'), '/f:1: Missing Match criteria for host')
  assert.match(
    bad('Port 0\nUser\n'),
    /^\/f:1: Bad port '0'\. \(and 1 more bad line in \/f: \/f:2: no argument after keyword "user"\)$/,
  )
  assert.throws(() => resolveHost('', '', env), /host name: expected a non-empty name/)
  assert.throws(() => resolveHost('a@b', '', env), /host name: .*'@'/)
  assert.is(
    resolveHost(
      'n',
      'IgnoreUnknown UseKeychain\nUseKeychain yes\nGSSAPIAuthentication yes\nEnableEscapeCommandline no\n',
      env,
    ).user,
    'me',
  )
})

test('quoting, = separators, comments and keyword case as ssh reads them', () => {
  const t =
    'HOSTNAME="real host"\nuser = "a b"\nPort=2222 # comment\n  IdentityFile "/k/with space" # c\nIdentityFile /k/back\\ slash\n'
  const r = resolveHost('n', t, env)
  assert.equal([r.hostName, r.user, r.port], ['real host', 'a b', 2222])
  assert.equal(r.identityFiles, ['/k/with space', '/k/back slash'])
})

test('known_hosts files: KINSPECT_KNOWN_HOSTS first, then UserKnownHostsFile', () => {
  const r = resolveHost('n', 'UserKnownHostsFile ~/kh /etc/kh\n', {
    ...env,
    env: { KINSPECT_KNOWN_HOSTS: '/lab/known_hosts' },
  })
  assert.equal(r.knownHostsFiles, ['/lab/known_hosts', `${home}/kh`, '/etc/kh'])
})

test('IdentityAgent: none, SSH_AUTH_SOCK, $VAR and paths; HostKeyAlgorithms +, -, ^ and lists', () => {
  assert.is(resolveHost('n', 'IdentityAgent none\n', env).identityAgent, null)
  assert.is(resolveHost('n', 'IdentityAgent SSH_AUTH_SOCK\n', env).identityAgent, undefined)
  assert.is(
    resolveHost('n', 'IdentityAgent $MY_AGENT\n', { ...env, env: { MY_AGENT: '/run/a.sock' } }).identityAgent,
    '/run/a.sock',
  )
  assert.is(resolveHost('n', 'IdentityAgent ~/agent.sock\n', env).identityAgent, `${home}/agent.sock`)
  assert.throws(
    () => resolveHost('n', { text: 'IdentityAgent ${NOPE_KINSPECT}\n', path: '/f' }, env),
    /\/f:1: Invalid environment expansion/,
  )
  const algs = (v: string) => resolveHost('n', `HostKeyAlgorithms ${v}\n`, env).hostKeyAlgorithms
  assert.equal(algs('ssh-ed25519,rsa-sha2-256'), ['ssh-ed25519', 'rsa-sha2-256'])
  assert.ok(algs('+ssh-rsa').at(-1) === 'ssh-rsa')
  assert.is(algs('^ssh-rsa')[0], 'ssh-rsa')
  assert.not.ok(algs('-ecdsa*').some((a) => a.startsWith('ecdsa')))
  for (const v of ['+ssh-rsa', '-ecdsa*', '^rsa-sha2-512', 'ecdsa-sha2-*,ssh-ed25519'])
    assert.equal(builtin(`HostKeyAlgorithms ${v}\n`, 'n'), sshG(`HostKeyAlgorithms ${v}\n`, 'n'), v)
})

test('loadConfigTexts: KINSPECT_SSH_CONFIG replaces ~/.ssh/config, and must exist', () => {
  const file = path.join(tmp, 'config')
  fs.writeFileSync(file, 'Host x\n')
  const texts = loadConfigTexts({ env: { KINSPECT_SSH_CONFIG: file }, systemConfig: null })
  assert.equal(
    texts.map((t) => [t.path, t.kind]),
    [[file, 'user']],
  )
  assert.throws(
    () => loadConfigTexts({ env: { KINSPECT_SSH_CONFIG: path.join(tmp, 'missing') } }),
    /cannot read ssh config .*missing \(from KINSPECT_SSH_CONFIG\): ENOENT/,
  )
  const none = loadConfigTexts({ env: {}, home: path.join(tmp, 'nohome'), systemConfig: path.join(tmp, 'nosystem') })
  assert.equal(none, [], 'missing default files are skipped')
  const h = path.join(tmp, 'home-w')
  fs.mkdirSync(path.join(h, '.ssh'), { recursive: true })
  fs.writeFileSync(path.join(h, '.ssh', 'config'), 'User x\n', { mode: 0o666 })
  fs.chmodSync(path.join(h, '.ssh', 'config'), 0o666)
  assert.throws(
    () => loadConfigTexts({ env: {}, home: h, systemConfig: null }),
    /Bad owner or permissions on .*home-w\/\.ssh\/config/,
  )
  fs.chmodSync(path.join(h, '.ssh', 'config'), 0o600)
  assert.is(loadConfigTexts({ env: {}, home: h, systemConfig: null })[0].text, 'User x\n')
})

// Regression cases found by test/fuzz/ssh.test.ts (fast-check counterexamples, shrunk).
test('fuzz regressions: a ConnectTimeout beyond 2^31-1 seconds is an error, as ssh says it (was Infinity ms); blanks before a stray \\r are linear', () => {
  assert.throws(
    () => resolveHost('lab-1', `Host *\n  ConnectTimeout ${'9'.repeat(400)}\n`, env),
    (e: unknown) => e instanceof SshConfigError && /:2: invalid time value/.test(e.message),
  )
  assert.is(resolveHost('lab-1', 'Host *\n  ConnectTimeout 2147483647\n', env).connectTimeoutMs, 2147483647000)
  // "Host" + 20,000 blanks + "a\rb" took a second in the old reader (the separator backtracked); ssh reads it as a Host line
  const blanks = `Host${' '.repeat(20000)}a\rb`
  assert.is(assertFast(() => resolveHost('lab-1', blanks, env), 50, 'Host + 20,000 blanks').hostName, 'lab-1')
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
