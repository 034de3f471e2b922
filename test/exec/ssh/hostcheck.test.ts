// Host key policy: fail closed, changed keys always refused, unknown keys refused with the exact fix.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  decideHostKey,
  loadKnownHosts,
  preferredHostKeyAlgorithms,
  type HostKeyDecision,
} from '../../../src/exec/ssh/hostcheck.ts'
import { parseKnownHosts, verifyHostKey } from '../../../src/exec/ssh/knownhosts.ts'
import { resolveHost } from '../../../src/exec/ssh/sshconfig.ts'
import { ExecError } from '../../../src/exec/types.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-hostcheck-'))
function key(name: string, type = 'ed25519') {
  const file = path.join(tmp, name)
  spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', file])
  const line = fs.readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')
  return { line, blob: Buffer.from(line.split(' ')[1], 'base64') }
}
const A = key('a')
const B = key('b')
const R = key('r', 'rsa')

// Every resolution gets an empty environment: a shell with the lab's KINSPECT_KNOWN_HOSTS set must not change it.
const KH = path.join(tmp, 'known_hosts')
const KH_TEXT = `# lab\n[10.99.0.1]:2222 ${A.line}\nbastion ${R.line}\n`
fs.writeFileSync(KH, KH_TEXT)
function hop(name = 'lab-1', extra = '', kh = KH) {
  const cfg = `Host lab-1\n  HostName 10.99.0.1\n  Port 2222\n${extra}Host *\n  UserKnownHostsFile ${kh}\n  GlobalKnownHostsFile none\n`
  return resolveHost(name, cfg, { home: tmp, localUser: 'root', env: {} })
}
function refused(d: HostKeyDecision): ExecError {
  assert.is(d.ok, false, 'expected a refusal')
  const e = (d as { error: ExecError }).error
  assert.instance(e, ExecError)
  assert.is(e.kind, 'hostkey')
  return e
}

test('a known key is accepted under the resolved HostName and port', () => {
  const h = hop()
  const known = loadKnownHosts(h, 'ssh:lab-1')
  assert.equal(known.files, [KH])
  assert.equal(decideHostKey(known, h, A.blob, 'ssh:lab-1'), { ok: true })
})

test('a changed key is refused, naming the known_hosts line to remove', () => {
  const h = hop()
  const e = refused(decideHostKey(loadKnownHosts(h, 't'), h, B.blob, 'ssh:lab-1'))
  assert.match(e.message, /HOST KEY CHANGED for lab-1 \(\[10\.99\.0\.1\]:2222\)/)
  assert.match(e.message, new RegExp(`${KH}:2`))
  assert.ok(e.hint!.includes(`remove line 2 of ${KH}`), e.hint)
  assert.ok(e.hint!.includes(`[10.99.0.1]:2222 ${A.line}`), 'hint shows the stale line')
  assert.ok(e.hint!.includes(`ssh-keygen -R '[10.99.0.1]:2222' -f ${KH}`))
})

test('a changed key is refused even with StrictHostKeyChecking=no', () => {
  const h = hop('lab-1', '  StrictHostKeyChecking no\n')
  refused(decideHostKey(loadKnownHosts(h, 't'), h, B.blob, 't'))
})

test('an unknown key is refused with the exact ssh-keyscan command', () => {
  const h = hop('other-node')
  const e = refused(decideHostKey(loadKnownHosts(h, 't'), h, B.blob, 'ssh:other-node'))
  assert.match(e.message, /host key of other-node is not known: SHA256:\S+ \(ssh-ed25519\) is in none of/)
  assert.ok(e.hint!.includes(`ssh-keyscan -t ed25519 other-node >> ${KH}`), e.hint)
  assert.match(e.hint!, /or ssh to other-node once by hand/)
  const p = hop('lab-2', 'Host lab-2\n  HostName 10.99.0.2\n  Port 2200\n')
  assert.ok(
    refused(decideHostKey(loadKnownHosts(p, 't'), p, B.blob, 't')).hint!.includes(
      `ssh-keyscan -p 2200 -t ed25519 10.99.0.2 >> ${KH}`,
    ),
  )
})

test('an unknown key of another type than the known one says so', () => {
  const h = hop('bastion')
  const e = refused(decideHostKey(loadKnownHosts(h, 't'), h, A.blob, 't'))
  assert.match(e.message, /known_hosts has ssh-rsa for it, the server offered ssh-ed25519/)
})

test('StrictHostKeyChecking=no accepts an unknown key with a warning', () => {
  const h = hop('other-node', 'Host other-node\n  StrictHostKeyChecking no\n')
  const d = decideHostKey(loadKnownHosts(h, 't'), h, B.blob, 't')
  assert.is(d.ok, true)
  assert.match(
    (d as { warning: string }).warning,
    /accepting unknown host key SHA256:\S+ \(ssh-ed25519\) of other-node because StrictHostKeyChecking=no/,
  )
})

test('StrictHostKeyChecking=accept-new records the key, and a later different key is refused', () => {
  const kh = path.join(tmp, 'sub', 'kh-new')
  const h = hop('fresh', 'Host fresh\n  StrictHostKeyChecking accept-new\n', kh)
  const d = decideHostKey(loadKnownHosts(h, 't'), h, A.blob, 't')
  assert.is(d.ok, true)
  assert.match((d as { warning: string }).warning, /added new host key/)
  const es = parseKnownHosts(fs.readFileSync(kh, 'utf8'))
  assert.is(verifyHostKey(es, 'fresh', 22, A.blob).status, 'match')
  refused(decideHostKey(loadKnownHosts(h, 't'), h, B.blob, 't'))
})

test('a revoked key is refused', () => {
  const kh = path.join(tmp, 'kh-revoked')
  fs.writeFileSync(kh, `n1 ${A.line}\n@revoked * ${A.line}\n`)
  const h = hop('n1', '', kh)
  assert.match(
    refused(decideHostKey(loadKnownHosts(h, 't'), h, A.blob, 't')).message,
    /marked @revoked in .*kh-revoked:2/,
  )
})

test('fail closed: an unreadable known_hosts refuses before connecting; a missing one is just empty', () => {
  const dir = path.join(tmp, 'a-directory')
  fs.mkdirSync(dir)
  assert.throws(
    () => loadKnownHosts(hop('lab-1', '', dir), 'ssh:lab-1'),
    (e: unknown) =>
      e instanceof ExecError &&
      e.kind === 'hostkey' &&
      /cannot read known_hosts file .*a-directory \(EISDIR\); refusing to connect to lab-1/.test(e.message),
  )
  const h = hop('lab-1', '', path.join(tmp, 'missing'))
  const known = loadKnownHosts(h, 't')
  assert.equal(known.entries, [])
  refused(decideHostKey(known, h, A.blob, 't'))
})

test('known_hosts is parsed once per change of the file: a key swapped in place (same size) is seen at the next load', () => {
  const kh = path.join(tmp, 'known_hosts_swapped')
  fs.writeFileSync(kh, `[10.99.0.1]:2222 ${A.line}\n`)
  const h = hop('lab-1', '', kh)
  const first = loadKnownHosts(h, 't')
  assert.equal(decideHostKey(first, h, A.blob, 't'), { ok: true })
  assert.is(loadKnownHosts(h, 't').entries, first.entries, 'an unchanged file is not parsed (nor indexed) again')
  assert.is(A.line.length, B.line.length)
  fs.writeFileSync(kh, `[10.99.0.1]:2222 ${B.line}\n`) // ssh-keygen -R and a new key, as an operator would
  const again = loadKnownHosts(h, 't')
  assert.is.not(again.entries, first.entries)
  assert.equal(decideHostKey(again, h, B.blob, 't'), { ok: true })
  refused(decideHostKey(again, h, A.blob, 't'))
  fs.rmSync(kh)
  assert.equal(loadKnownHosts(h, 't').entries, [], 'a file removed since is empty, as a missing one is')
})

test('KINSPECT_KNOWN_HOSTS is consulted first and is where the hint says to add the key', () => {
  const lab = path.join(tmp, 'lab_known_hosts')
  fs.writeFileSync(lab, `[10.99.0.1]:2222 ${B.line}\n`)
  const h = resolveHost('lab-1', 'Host lab-1\n  HostName 10.99.0.1\n  Port 2222\n', {
    home: tmp,
    env: { KINSPECT_KNOWN_HOSTS: lab },
  })
  assert.equal(h.knownHostsFiles[0], lab)
  assert.equal(decideHostKey(loadKnownHosts(h, 't'), h, B.blob, 't'), { ok: true })
  const u = resolveHost('elsewhere', '', { home: tmp, env: { KINSPECT_KNOWN_HOSTS: lab } })
  assert.ok(refused(decideHostKey(loadKnownHosts(u, 't'), u, A.blob, 't')).hint!.includes(`>> ${lab}`))
})

test('HostKeyAlias: the key is looked up under the alias, without a port', () => {
  const kh = path.join(tmp, 'kh-alias')
  fs.writeFileSync(kh, `nodekey ${A.line}\n`)
  const h = hop('lab-1', '  HostKeyAlias nodekey\n', kh)
  assert.equal(decideHostKey(loadKnownHosts(h, 't'), h, A.blob, 't'), { ok: true })
})

test('host key algorithms: the types known for the host come first, within HostKeyAlgorithms', () => {
  const b = hop('bastion')
  const algos = preferredHostKeyAlgorithms(loadKnownHosts(b, 't'), b)
  assert.equal(algos.slice(0, 2), ['rsa-sha2-512', 'rsa-sha2-256'])
  assert.ok(algos.includes('ssh-ed25519'))
  assert.not.ok(algos.includes('ssh-rsa'), "OpenSSH's default list has no SHA-1 ssh-rsa")
  assert.is(preferredHostKeyAlgorithms(loadKnownHosts(hop(), 't'), hop())[0], 'ssh-ed25519')
  assert.is(new Set(algos).size, algos.length)
  const withAlgs = (algs: string) =>
    resolveHost('bastion', `HostKeyAlgorithms ${algs}\nUserKnownHostsFile ${KH}\n`, {
      home: tmp,
      localUser: 'root',
      env: {},
    })
  const legacy = withAlgs('+ssh-rsa')
  assert.equal(preferredHostKeyAlgorithms(loadKnownHosts(legacy, 't'), legacy).slice(0, 3), [
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ])
  const only = withAlgs('ecdsa-sha2-*')
  assert.equal(preferredHostKeyAlgorithms(loadKnownHosts(only, 't'), only), [
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
  ])
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
