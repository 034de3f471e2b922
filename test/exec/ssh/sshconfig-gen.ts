// Random but valid ssh_config files for differential tests against `ssh -G` (fast-check arbitraries).
// Left out on purpose, each for a reason: CanonicalizeHostname yes/always (ssh asks DNS, which the built-in reader
// does not); IPv6 zone ids (%eth0) in HostName (getnameinfo output depends on the host's interfaces).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'

/** A generated case: the main config, files to Include from DIR/inc, and names to resolve. */
export interface GenCase {
  main: string
  includes: Record<string, string>
  names: string[]
}

const NAMES = ['web1', 'Web1', 'WEB-2', 'db1', 'db12.prod', 'bastion', 'x', '10.1.2.3', 'node-a.Example.com']
const HOST_PATTERNS = [
  'web*',
  'Web*',
  'WEB-?',
  'db?',
  'db*',
  '*.prod',
  '*',
  'x',
  'bastion',
  '*1',
  '?b*',
  '10.1.*',
  'node-*',
  'WEB1',
]
const MATCH_HOSTS = [
  'web1.example.com',
  '*.example.com',
  '*.EXAMPLE.com',
  'db*',
  '10.0.0.*',
  '8.0.0.1',
  'fe80::1',
  'real-*',
  'x',
  '*',
]
const USERS = ['root', 'Admin', 'admin', 'ops', 'alice', 'a*', 'R*', 'r*']
const EXECS = [
  'true',
  'false',
  'test %h = web1.example.com',
  'test %n = web1',
  'test %p = 2222',
  'test %r = root',
  '[ %u = root ]',
  'test %k = %h',
  'test -n %C',
  'test %d = /root',
]

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs)
const neg = (a: fc.Arbitrary<string>) => fc.tuple(fc.boolean(), a).map(([n, s]) => (n ? `!${s}` : s))
const list = (xs: readonly string[]) => fc.array(neg(pick(xs)), { minLength: 1, maxLength: 3 }).map((l) => l.join(','))

const VALUES: Record<string, readonly string[]> = {
  HostName: [
    '%h.example.com',
    '%h.Example.COM',
    'real-%h',
    '10.0.0.5',
    'ALIAS.example.org',
    '%h',
    '010.0.0.1',
    'fe80::1',
    'FE80:0:0::2',
    '"%h.example.com"',
  ],
  User: ['root', 'Admin', 'ops', 'alice'],
  Port: ['22', '2222', '0022', 'ssh'],
  IdentityFile: [
    '~/.ssh/id_%h',
    'none',
    '${HOME}/.ssh/k_%r',
    '~root/.ssh/rk',
    '%d/k_%p_%k_%n_%u_%L_%l_%i_%C',
    '"/keys/with space"',
    '~',
    'NONE',
  ],
  IdentitiesOnly: ['yes', 'no', 'true', 'false', 'YES'],
  UserKnownHostsFile: ['none', '~/kh %d/kh2', '${HOME}/kh_%k', '/etc/kh_%h_%C', 'None'],
  GlobalKnownHostsFile: ['none', '/etc/g1 ~/g2', '/g/%h'],
  StrictHostKeyChecking: ['yes', 'no', 'ask', 'accept-new', 'off', 'true', 'false', 'Yes', 'OFF'],
  ConnectTimeout: ['10', '10s', '1m', '1m30s', 'none', '0', '2H'],
  ProxyJump: [
    'bastion',
    'bob@bastion:2022',
    'ssh://carol@jump2:23,jump3',
    'none',
    '[10.0.0.1]:2200',
    'j1,j2',
    '10.9.9.9',
  ],
  ProxyCommand: ['nc %h %p', 'none', 'ssh -W %h:%p bastion', 'nc %h %p # comment'],
  HostKeyAlias: ['Alias1', 'node-key'],
  HostKeyAlgorithms: [
    'ssh-ed25519',
    '+ssh-rsa',
    '-ecdsa*',
    '^rsa-sha2-512',
    'ssh-ed25519,rsa-sha2-256',
    'ecdsa-sha2-*',
  ],
  IdentityAgent: ['none', 'SSH_AUTH_SOCK', '~/agent.sock', '${HOME}/a.%h', '$HOME'],
}

const keywordSpelling = (k: string) => pick([k, k.toLowerCase(), k.toUpperCase()])
const separator = pick([' ', '=', ' = ', '\t', '  '])
const indent = pick(['', '  ', '\t'])
const trailer = pick(['', '', ' # note'])

const setting = fc
  .constantFrom(...Object.keys(VALUES))
  .chain((k) =>
    fc
      .tuple(indent, keywordSpelling(k), separator, pick(VALUES[k]), trailer)
      .map(([i, kw, sep, v, t]) => `${i}${kw}${sep}${v}${t}`),
  )

const hostLine = fc.array(neg(pick(HOST_PATTERNS)), { minLength: 1, maxLength: 3 }).map((ps) => `Host ${ps.join(' ')}`)

const criterion = fc.oneof(
  list(MATCH_HOSTS).map((l) => `host ${l}`),
  list(NAMES.map((n) => n.replace(/\d/, '*'))).map((l) => `originalhost ${l}`),
  list(USERS).map((l) => `user ${l}`),
  list(['root', 'nobody', 'r*']).map((l) => `localuser ${l}`),
  pick(EXECS).map((c) => `exec "${c}"`),
  pick(['final', 'canonical']),
)
const matchLine = fc.oneof(
  { weight: 1, arbitrary: fc.constant('Match all') },
  { weight: 1, arbitrary: pick(['final', 'canonical', '!final']).map((c) => `Match ${c} all`) },
  {
    weight: 6,
    arbitrary: fc.array(neg(criterion), { minLength: 1, maxLength: 3 }).map((cs) => `Match ${cs.join(' ')}`),
  },
)

const INCLUDES = [
  'inc/*.conf',
  'inc/[ab].conf',
  'inc/?.conf',
  'inc/[!a]*.conf',
  'inc/missing.conf',
  'inc/b.conf',
  'inc/*',
]

function blocks(include: boolean): fc.Arbitrary<string> {
  const body = fc.array(
    include
      ? fc.oneof(
          { weight: 5, arbitrary: setting },
          { weight: 1, arbitrary: pick(INCLUDES).map((p) => `  Include DIR/${p}`) },
        )
      : setting,
    { maxLength: 4 },
  )
  const block = fc.tuple(fc.oneof(hostLine, matchLine), body).map(([h, b]) => [h, ...b].join('\n'))
  return fc
    .tuple(fc.array(setting, { maxLength: 2 }), fc.array(block, { minLength: 1, maxLength: 5 }))
    .map(([top, bs]) => [...top, ...bs, ''].join('\n'))
}

/** A random case: main config (with Includes), five include files (one hidden, one not *.conf), 1-3 names. */
export const genCase: fc.Arbitrary<GenCase> = fc.record({
  main: blocks(true),
  includes: fc.record({
    'a.conf': blocks(false),
    'b.conf': blocks(false),
    'c1.conf': blocks(false),
    '.hidden.conf': blocks(false),
    'z.txt': blocks(false),
  }),
  names: fc.uniqueArray(pick(NAMES), { minLength: 1, maxLength: 3 }),
})

/** Writes a case under dir (DIR in the text becomes dir); returns the main config's path. */
export function writeCase(dir: string, c: GenCase): string {
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(path.join(dir, 'inc'), { recursive: true })
  for (const [f, text] of Object.entries(c.includes))
    fs.writeFileSync(path.join(dir, 'inc', f), text.split('DIR').join(dir), { mode: 0o644 })
  const main = path.join(dir, 'config')
  fs.writeFileSync(main, c.main.split('DIR').join(dir), { mode: 0o644 })
  return main
}

/** Runs `ssh -G -F file -- name` (argv only); stdout, stderr and exit code. */
export function sshG(file: string, name: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', ['-G', '-F', file, '--', name], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
