// Authentication plan: which keys are offered, which are skipped and why, and the resulting error text.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import ssh2 from 'ssh2'
import { authError, authHandler, memoParseKey, planAuth } from '../../../src/exec/ssh/auth.ts'
import { resolveHost } from '../../../src/exec/ssh/sshconfig.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-auth-'))
const keygen = (name: string, pass = '', type = ['-t', 'ed25519']) => {
  const f = path.join(tmp, name)
  spawnSync('ssh-keygen', ['-q', ...type, '-N', pass, '-C', '', '-f', f])
  return f
}
const plain = keygen('plain')
const locked = keygen('locked', 'secret passphrase')
const parseKey = ssh2.utils.parseKey as never
const hostWith = (cfg: string, name = 'n1') => resolveHost(name, cfg, { home: tmp, localUser: 'root' })

test('offers ssh-agent first, then each readable unencrypted identity file', () => {
  const h = hostWith(`IdentityFile ${plain}\nIdentityFile ${locked}\nIdentityFile ${tmp}/missing\n`)
  const p = planAuth(h, parseKey, { SSH_AUTH_SOCK: '/run/agent.sock' })
  assert.equal(
    p.methods.map((m) => m.label),
    ['ssh-agent (/run/agent.sock)', plain],
  )
  assert.equal(
    p.methods.map((m) => m.method.type),
    ['agent', 'publickey'],
  )
  assert.equal(p.skipped, [`${locked} (passphrase-protected: load it into ssh-agent)`, `${tmp}/missing (missing)`])
})

test('default identity names that do not exist are skipped silently; IdentitiesOnly drops the agent', () => {
  const p = planAuth(hostWith(''), parseKey, {})
  assert.equal(p.methods, [])
  assert.equal(p.skipped, [])
  const q = planAuth(hostWith(`IdentityFile ${plain}\nIdentitiesOnly yes\n`), parseKey, { SSH_AUTH_SOCK: '/a' })
  assert.equal(
    q.methods.map((m) => m.label),
    [plain],
  )
})

test('a passphrase-protected key alone gives an auth error that suggests ssh-agent', () => {
  const h = hostWith(`HostName 10.0.0.5\nIdentityFile ${locked}\n`)
  const e = authError(planAuth(h, parseKey, {}), h, 'ssh:n1')
  assert.is(e.kind, 'auth')
  assert.match(
    e.message,
    /authentication as root to n1 \(10\.0\.0\.5:22\) failed; no key could be offered; skipped: .*locked \(passphrase-protected/,
  )
  assert.match(e.message, /no ssh-agent \(SSH_AUTH_SOCK unset\)/)
  assert.ok(e.hint!.includes(`ssh-add ${locked}`), e.hint)
})

test('the auth handler walks the plan and records rejections', () => {
  const h = hostWith(`IdentityFile ${plain}\n`)
  const p = planAuth(h, parseKey, { SSH_AUTH_SOCK: '/a' })
  const seen: unknown[] = []
  const next = authHandler(p)
  for (let i = 0; i < 3; i++) next([], false, (m) => seen.push(m))
  assert.equal(
    seen.map((m) => (m === false ? false : (m as { type: string }).type)),
    ['agent', 'publickey', false],
  )
  assert.equal(p.rejected, ['ssh-agent (/a)', plain])
  const e = authError(p, h, 'ssh:n1')
  assert.match(e.message, new RegExp(`tried: ssh-agent \\(/a\\), ${plain}`))
  assert.match(e.hint!, /authorize one of these keys for root on n1/)
})

test('memoParseKey: an identity file is parsed once per content, and signs exactly as ssh2 does', () => {
  type Key = ssh2.ParsedKey
  let calls = 0
  const counted = ((d: Buffer | string, p?: string) => (calls++, ssh2.utils.parseKey(d, p))) as never
  const memo = memoParseKey(counted)
  const data = Buffer.from('the session identifier and the userauth request kinspect signs')
  for (const [name, type, algos] of [
    ['ed', ['-t', 'ed25519'], [undefined]],
    ['rsa', ['-t', 'rsa', '-b', '2048'], [undefined, 'sha256', 'sha512']],
    ['ec', ['-t', 'ecdsa', '-b', '256'], [undefined]],
  ] as const) {
    const bytes = fs.readFileSync(keygen(`memo-${name}`, '', [...type]))
    calls = 0
    const a = memo(bytes) as Key
    const b = memo(Buffer.from(bytes)) as Key
    assert.is(a, b, `${name}: the same bytes give the same parsed key`)
    assert.is(calls, 1, `${name}: parsed once`)
    const fresh = ssh2.utils.parseKey(bytes) as Key
    for (const algo of algos) {
      const sig = a.sign(data, algo)
      assert.instance(sig, Buffer, `${name} ${algo}: a signature`)
      assert.is(fresh.verify(data, sig as Buffer, algo), true, `${name} ${algo}: verifies with the public key`)
      // ed25519 and RSA PKCS#1 v1.5 are deterministic: byte for byte what ssh2's own sign() gives
      if (name !== 'ec') assert.equal(sig, fresh.sign(data, algo), `${name} ${algo}: ssh2's bytes`)
    }
  }
  calls = 0
  memo(fs.readFileSync(locked), 'secret passphrase')
  memo(fs.readFileSync(locked), 'secret passphrase')
  assert.is(calls, 2, 'a passphrase-protected key is not remembered')
  assert.instance(memo('not a key'), Error)
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
