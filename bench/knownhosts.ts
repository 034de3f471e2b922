// Host key lookups for a fleet: 100 node names, each looked up twice as a connection does (the key types to offer,
// then the verdict on the offered key), in a known_hosts of an operator who has used ssh for a while: the fleet's
// 100 lines plus OTHER lines for other hosts, half of them hashed (HashKnownHosts yes, Debian's default). Rows:
// kinspect's lookup (knownKeyTypes + verifyHostKey, indexed: see entriesFor in src/exec/ssh/knownhosts.ts), the scan of
// every entry it replaced (entryMatches on each line, twice per node), and the peer, `ssh-keygen -F NAME` once per
// node: what each ssh process of pssh, clush or xargs does before its handshake (read the file, hash every hashed line).
// No lab needed. Usage: node --import tsx bench/knownhosts.ts [OTHER] [ROUNDS]   (default 5000 3)
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import {
  entryMatches,
  hashHostName,
  hostKeyName,
  knownKeyTypes,
  parseKnownHosts,
  verifyHostKey,
} from '../src/exec/ssh/knownhosts.ts'
import { countArg, median } from './common.ts'

const OTHER = countArg(2, 5000, 0, 100_000)
const ROUNDS = countArg(3, 3, 1, 20)
const NODES = 100

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-bench-knownhosts-'))
const keyFile = path.join(dir, 'key')
spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', keyFile], { stdio: 'ignore' })
const keyLine = fs.readFileSync(`${keyFile}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')
const blob = Buffer.from(keyLine.split(' ')[1], 'base64')

const names = Array.from({ length: NODES }, (_, i) => `node-${i + 1}.fleet.example`)
const file = path.join(dir, 'known_hosts')

/** Writes the file: OTHER lines for other hosts (every `hashEvery`-th one hashed; 0: none), then the fleet's. */
function writeFile(hashEvery: number): number {
  const lines: string[] = []
  for (let i = 0; i < OTHER; i++) {
    const host = `host-${i}.corp.example`
    const hashed = hashEvery > 0 && i % hashEvery === 0
    lines.push(
      `${hashed ? hashHostName(host, randomBytes(20)) : `${host},10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`} ${keyLine}`,
    )
    if (i === OTHER >> 1) lines.push(`*.lab.example ${keyLine}`) // one wildcard line, as many files have
  }
  for (const n of names) lines.push(`${n} ${keyLine}`)
  fs.writeFileSync(file, `${lines.join('\n')}\n`)
  return lines.length
}

function kinspect(): number {
  const t0 = performance.now()
  const es = parseKnownHosts(fs.readFileSync(file, 'utf8'), file) // once per change of the file (hostcheck.ts)
  for (const n of names) {
    if (!knownKeyTypes(es, n, 22).length || verifyHostKey(es, n, 22, blob).status !== 'match')
      throw new Error(`kinspect: ${n} not found`)
  }
  return performance.now() - t0
}

function scan(): number {
  const t0 = performance.now()
  const es = parseKnownHosts(fs.readFileSync(file, 'utf8'), file)
  for (const n of names) {
    const name = hostKeyName(n, 22)
    for (let pass = 0; pass < 2; pass++) {
      if (!es.filter((e) => entryMatches(e, name)).some((e) => e.key.equals(blob))) throw new Error(`scan: ${n}`)
    }
  }
  return performance.now() - t0
}

/** `ssh-keygen -F` per node, 32 at once (as `xargs -P 32`). */
function keygen(): Promise<number> {
  const t0 = performance.now()
  let next = 0
  const one = (): Promise<void> => {
    const n = names[next++]
    if (n === undefined) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const c = spawn('ssh-keygen', ['-F', n, '-f', file], { stdio: ['ignore', 'pipe', 'ignore'] })
      let out = ''
      c.stdout.on('data', (d) => (out += d))
      c.on('error', reject)
      c.on('close', () => (/found: line/.test(out) ? resolve() : reject(new Error(`ssh-keygen -F ${n}: not found`))))
    }).then(one)
  }
  return Promise.all(Array.from({ length: 32 }, one)).then(() => performance.now() - t0)
}

const fmt = (xs: number[]) => `${median(xs).toFixed(1).padStart(8)} ms   ${xs.map((x) => x.toFixed(1)).join(' ')}`
console.log(
  `# ${NODES} nodes, each looked up as a connection does; ${ROUNDS} rounds, medians; ${os.cpus().length} cores`,
)
for (const [what, hashEvery] of [
  ['no line hashed', 0],
  ['half of the other lines hashed', 2],
] as const) {
  const total = writeFile(hashEvery)
  const rows: Record<string, number[]> = { kinspect: [], scan: [], keygen: [] }
  for (let r = 0; r < ROUNDS; r++) {
    rows.kinspect.push(kinspect())
    rows.scan.push(scan())
    rows.keygen.push(await keygen())
  }
  console.log(`## known_hosts of ${total} lines, ${what}`)
  console.log(`kinspect (parse once, indexed lookups, 2 per node)    ${fmt(rows.kinspect)}`)
  console.log(`every entry scanned per lookup (before), 2 per node   ${fmt(rows.scan)}`)
  console.log(`ssh-keygen -F per node, 32 at once (the peer)         ${fmt(rows.keygen)}`)
}
fs.rmSync(dir, { recursive: true, force: true })
