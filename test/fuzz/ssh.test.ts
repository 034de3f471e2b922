// Fuzz: ssh_config (parsing and host resolution) and known_hosts (parsing and key verification).
import { test } from 'uvu'
import fc from 'fast-check'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { resolveHost, SshConfigError, type ResolvedHost } from '../../src/exec/ssh/sshconfig.ts'
import {
  blobType,
  knownKeyTypes,
  parseKnownHosts,
  verifyHostKey,
  type HostKeyVerdict,
  type KnownHostEntry,
} from '../../src/exec/ssh/knownhosts.ts'
import { sshClientConfig } from '../lab/configs.ts'
import { fuzz, textInput } from './harness.ts'

// The lab's own ssh_config (as `npm run lab -- up` writes it), and a HAND-WRITTEN one using the rest of the grammar.
const LAB_CONFIG = sshClientConfig('/var/lib/kinspect-lab', [{ name: 'lab-2', addr: '10.99.0.2' }])
const HAND_CONFIG = `# HAND-WRITTEN: Host negation, Match, Include, quoting, tokens, ProxyJump forms
Host web-* !web-secret
  HostName %h.example.com
  User alice
  IdentityFile ~/.ssh/id_%h
  IdentityFile "/keys/%u %r-%p-%n"
Host db?
  HostName=10.0.0.%h
  Port 2222
  ProxyJump bob@bastion:2022,ssh://jump2,[fd00::1]:22
Match originalhost lab-* user root
  IdentityAgent none
  ProxyCommand ssh -W %h:%p gw
Match all
  Include conf.d/*.conf
Host *
  StrictHostKeyChecking accept-new
  UserKnownHostsFile ~/.ssh/kh1 /tmp/kh2
  ConnectTimeout 7
`
const ENV = { home: '/home/tester', localUser: 'me', localHost: 'box.local', uid: 1000, env: {}, readInclude: () => [] }

fuzz({
  name: 'ssh_config',
  input: fc.tuple(textInput([LAB_CONFIG, HAND_CONFIG]), fc.constantFrom('lab-1', 'lab-2', 'web-1', 'db1', 'x')),
  run: ([text, name]: [string, string]) => resolveHost(name, text, ENV),
  expected: (e) => e instanceof SshConfigError,
  check: (r: ResolvedHost) => {
    if (!(Number.isInteger(r.port) && r.port >= 1 && r.port <= 65535)) throw new Error(`port ${r.port}`)
    if (typeof r.hostName !== 'string' || typeof r.user !== 'string') throw new Error('hostName/user')
    for (const j of r.proxyJump)
      if (!j.host || (j.port !== undefined && !(j.port >= 1 && j.port <= 65535)))
        throw new Error(`jump ${JSON.stringify(j)}`)
    if (r.connectTimeoutMs !== undefined && !(Number.isSafeInteger(r.connectTimeoutMs) && r.connectTimeoutMs > 0))
      throw new Error(`timeout ${r.connectTimeoutMs}`)
    if (![...r.identityFiles, ...r.knownHostsFiles, ...r.globalKnownHostsFiles].every((f) => typeof f === 'string'))
      throw new Error('file lists')
  },
})

// known_hosts lines made by ssh-keygen itself: keys of three types, plain, [host]:port, hashed (-H), markers.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-fuzz-kh-'))
function key(name: string, type: string): string {
  const file = path.join(tmp, name)
  const r = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', file])
  if (r.status !== 0) throw new Error(String(r.stderr))
  return fs.readFileSync(`${file}.pub`, 'utf8').trim()
}
const [ED, RSA, EC] = [key('ed', 'ed25519'), key('rsa', 'rsa'), key('ec', 'ecdsa')]
const plain = [
  `lab-1,10.99.0.1 ${ED}`,
  `[lab-1]:2222 ${RSA} a comment`,
  `@revoked * ${EC}`,
  `@cert-authority *.example ${ED}`,
  `*.shop,!db.shop ${EC}`,
].join('\n')
fs.writeFileSync(path.join(tmp, 'kh'), `${plain}\n`)
spawnSync('ssh-keygen', ['-H', '-f', path.join(tmp, 'kh')])
const hashed = fs.readFileSync(path.join(tmp, 'kh'), 'utf8')
fs.rmSync(tmp, { recursive: true, force: true })
const BLOBS = [ED, RSA, EC].map((l) => Buffer.from(l.split(' ')[1], 'base64'))

fuzz({
  name: 'known_hosts',
  input: fc.tuple(
    textInput([plain, hashed]),
    fc.constantFrom('lab-1', '10.99.0.1', 'web.shop', 'db.shop', 'LAB-1'),
    fc.constantFrom(22, 2222),
    fc.nat({ max: 2 }),
  ),
  run: ([text, host, port, b]: [string, string, number, number]) => {
    const entries = parseKnownHosts(text, '/kh')
    return { entries, verdict: verifyHostKey(entries, host, port, BLOBS[b]), types: knownKeyTypes(entries, host, port) }
  },
  check: (
    { entries, verdict }: { entries: KnownHostEntry[]; verdict: HostKeyVerdict },
    [text, , , b]: [string, string, number, number],
  ) => {
    if (entries.length > text.split('\n').length)
      throw new Error(`${entries.length} entries from ${text.split('\n').length} lines`)
    for (const e of entries) {
      if (blobType(e.key) !== e.keyType)
        throw new Error(`line ${e.line}: key blob is ${blobType(e.key)}, type says ${e.keyType}`)
      if (e.hashed && (e.hashed.salt.length !== 20 || e.hashed.hash.length !== 20))
        throw new Error(`line ${e.line}: hashed host of the wrong size`)
      if (!e.hashed && !e.patterns) throw new Error(`line ${e.line}: neither patterns nor a hash`)
    }
    if ((verdict.status === 'match' || verdict.status === 'revoked') && !verdict.entry?.key.equals(BLOBS[b]))
      throw new Error(`${verdict.status} on an entry with another key`)
    if (verdict.status === 'mismatch' && !verdict.conflicts.length)
      throw new Error('mismatch without a conflicting entry')
  },
})

test.run()
