// known_hosts parsing and verification, cross-checked with ssh-keygen (-F lookups, -H hashing, -l fingerprints).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import {
  blobType,
  entriesFor,
  entryMatches,
  fingerprint,
  hashHostName,
  hostKeyName,
  knownKeyTypes,
  parseKnownHosts,
  verifyHostKey,
} from '../../../src/exec/ssh/knownhosts.ts'
import { assertFast } from '../../fast.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-knownhosts-'))

function key(name: string, type = 'ed25519'): { line: string; blob: Buffer; file: string } {
  const file = path.join(tmp, name)
  const r = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', file])
  if (r.status !== 0) throw new Error(String(r.stderr))
  const line = fs.readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')
  return { line, blob: Buffer.from(line.split(' ')[1], 'base64'), file: `${file}.pub` }
}
const A = key('a')
const B = key('b')
const R = key('r', 'rsa')
const E = key('e', 'ecdsa')

// Lines ssh-keygen -F reports for a lookup name.
function keygenFind(file: string, name: string): number[] {
  const r = spawnSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' })
  return [...r.stdout.matchAll(/found: line (\d+)/g)].map((m) => Number(m[1]))
}
// The lookup fleets use (entriesFor: an index of plain names, a scan of the rest).
function ourFind(file: string, name: string): number[] {
  const es = parseKnownHosts(fs.readFileSync(file, 'utf8'), file)
  return entriesFor(es, name)
    .map((i) => es[i])
    .filter((e) => !e.marker)
    .map((e) => e.line)
}

test('parses plain, [host]:port, markers and comments; skips malformed lines', () => {
  const text = [
    '# comment',
    '',
    `node1,10.0.0.1 ${A.line} a comment`,
    `[node2]:2222 ${B.line}`,
    `@revoked * ${R.line}`,
    `@cert-authority *.example ${E.line}`,
    '@bogus x ssh-ed25519 AAAA',
    'only-two-fields ssh-ed25519',
    `badb64 ssh-ed25519 !!!notbase64`,
    `mismatch ssh-rsa ${A.line.split(' ')[1]}`,
    `|2|unknown|scheme ${A.line}`,
  ].join('\n')
  const es = parseKnownHosts(text, '/kh')
  assert.equal(
    es.map((e) => e.line),
    [3, 4, 5, 6],
  )
  assert.equal(es[0].patterns, ['node1', '10.0.0.1'])
  assert.is(es[0].comment, 'a comment')
  assert.is(es[0].file, '/kh')
  assert.is(es[0].keyType, 'ssh-ed25519')
  assert.ok(es[0].key.equals(A.blob))
  assert.is(es[2].marker, 'revoked')
  assert.is(es[3].marker, 'cert-authority')
  assert.is(blobType(R.blob), 'ssh-rsa')
})

test('hashed entries made with HMAC-SHA1 match their name only; ssh-keygen -F agrees', () => {
  const salt = randomBytes(20)
  const file = path.join(tmp, 'hashed')
  fs.writeFileSync(
    file,
    `${hashHostName('node1', salt)} ${A.line}\n${hashHostName('[node2]:2222', randomBytes(20))} ${B.line}\n`,
  )
  for (const name of ['node1', '[node2]:2222', 'node2', '[node1]:2222', 'node3']) {
    assert.equal(ourFind(file, name), keygenFind(file, name), `lookup ${name}`)
  }
  assert.equal(ourFind(file, 'node1'), [1])
  assert.equal(ourFind(file, '[node2]:2222'), [2])
})

test('entries hashed by ssh-keygen -H are matched', () => {
  const file = path.join(tmp, 'tohash')
  fs.writeFileSync(file, `alpha ${A.line}\n[beta]:2200 ${B.line}\n`)
  const r = spawnSync('ssh-keygen', ['-H', '-f', file])
  assert.is(r.status, 0)
  const es = parseKnownHosts(fs.readFileSync(file, 'utf8'))
  assert.is(es.length, 2)
  assert.ok(
    es.every((e) => e.hashed),
    'all lines hashed',
  )
  assert.is(verifyHostKey(es, 'alpha', 22, A.blob).status, 'match')
  assert.is(verifyHostKey(es, 'beta', 2200, B.blob).status, 'match')
  assert.is(verifyHostKey(es, 'beta', 22, B.blob).status, 'unknown')
})

test('wildcards and negation agree with ssh-keygen -F', () => {
  const file = path.join(tmp, 'wild')
  fs.writeFileSync(
    file,
    [`*.lab,!bad.lab ${A.line}`, `node? ${B.line}`, `[10.0.0.*]:2222 ${R.line}`, `Mixed.Case ${E.line}`].join('\n') +
      '\n',
  )
  for (const name of ['x.lab', 'bad.lab', 'node1', 'node12', '[10.0.0.9]:2222', '10.0.0.9', 'mixed.case']) {
    assert.equal(ourFind(file, name), keygenFind(file, name), `lookup ${name}`)
  }
})

test('entriesFor finds exactly the entries a scan with entryMatches finds, in file order, on random files', () => {
  // Names from a small alphabet so that plain, wildcard and negated patterns, case variants, hashed names and repeated
  // lookups collide often.
  const name = fc.oneof(fc.stringMatching(/^[abAB.]{1,3}$/), fc.stringMatching(/^\[[ab]{1,2}\]:2[02]$/))
  const pattern = fc.oneof(
    name,
    name.map((n) => `!${n}`),
    fc.stringMatching(/^[ab*?]{1,3}$/),
  )
  const salt = randomBytes(20)
  const entry = fc.oneof(
    { weight: 4, arbitrary: fc.array(pattern, { minLength: 1, maxLength: 3 }).map((ps) => ps.join(',')) },
    { weight: 1, arbitrary: name.map((n) => hashHostName(n.toLowerCase(), salt)) },
  )
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 12 }), fc.array(name, { minLength: 1, maxLength: 6 }), (hosts, names) => {
      const es = parseKnownHosts(hosts.map((h) => `${h} ${A.line}`).join('\n'))
      for (const n of [...names, ...names]) {
        const want = es.flatMap((e, i) => (entryMatches(e, n) ? [i] : []))
        assert.equal([...entriesFor(es, n)], want, `lookup ${n} in ${JSON.stringify(hosts)}`)
      }
    }),
    { numRuns: 300 },
  )
})

test('entriesFor: an array that grew after a lookup is indexed again', () => {
  const es = parseKnownHosts(`a ${A.line}\n`)
  assert.equal([...entriesFor(es, 'b')], [])
  es.push(...parseKnownHosts(`b ${B.line}\n`))
  assert.equal([...entriesFor(es, 'b')], [1])
  assert.is(verifyHostKey(es, 'b', 22, B.blob).status, 'match')
})

test('hostKeyName: [host]:port except for port 22, lower case', () => {
  assert.is(hostKeyName('Node1', 22), 'node1')
  assert.is(hostKeyName('10.99.0.1', 2222), '[10.99.0.1]:2222')
})

test('verifyHostKey: match, mismatch (same type, other key), unknown, other types', () => {
  const es = parseKnownHosts(`[n1]:2222 ${A.line}\nn2 ${R.line}\n`, '/kh')
  const m = verifyHostKey(es, 'n1', 2222, A.blob)
  assert.is(m.status, 'match')
  assert.is(m.entry!.line, 1)
  const x = verifyHostKey(es, 'n1', 2222, B.blob)
  assert.is(x.status, 'mismatch')
  assert.is(x.conflicts[0].line, 1)
  assert.is(x.host, '[n1]:2222')
  assert.is(verifyHostKey(es, 'n1', 22, A.blob).status, 'unknown', 'port 22 is a different name')
  const o = verifyHostKey(es, 'n2', 22, A.blob)
  assert.is(o.status, 'unknown', 'a key of another type is not a change')
  assert.equal(o.otherTypes, ['ssh-rsa'])
  assert.equal(knownKeyTypes(es, 'n2', 22), ['ssh-rsa'])
})

test('verifyHostKey: @revoked wins over a match; @cert-authority lines are ignored', () => {
  const es = parseKnownHosts(`n1 ${A.line}\n@revoked * ${A.line}\n@cert-authority n2 ${B.line}\n`)
  const v = verifyHostKey(es, 'n1', 22, A.blob)
  assert.is(v.status, 'revoked')
  assert.is(v.entry!.line, 2)
  assert.is(verifyHostKey(es, 'n2', 22, B.blob).status, 'unknown')
})

test('fingerprint matches ssh-keygen -l', () => {
  for (const k of [A, R, E]) {
    const out = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', k.file], { encoding: 'utf8' }).stdout
    assert.is(fingerprint(k.blob), out.split(' ')[1])
  }
})

// Regression cases found by test/fuzz/ssh.test.ts (fast-check counterexamples, shrunk).
test('fuzz regressions: a key field with a long run of "=" inside is rejected in linear time (/=+$/ was quadratic)', () => {
  const line = `lab-1 ssh-ed25519 AAAA${'='.repeat(30000)}A`
  assert.equal(
    assertFast(() => parseKnownHosts(line), 50, '30,000 "=" in a key'),
    [],
  )
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
