// Authentication plan: which keys are offered, which are skipped and why, and the resulting error text.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import ssh2 from 'ssh2'
import { authError, authHandler, planAuth } from '../../../src/exec/ssh/auth.ts'
import { resolveHost } from '../../../src/exec/ssh/sshconfig.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-auth-'))
const keygen = (name: string, pass = '') => {
  const f = path.join(tmp, name)
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', pass, '-C', '', '-f', f])
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

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
