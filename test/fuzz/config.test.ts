// Fuzz: the .recipes config (parse and validation), its node rules' matching, and their ssh_config form.
import { test } from 'uvu'
import fc from 'fast-check'
import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { ConfigError, nodesToSshConfig, parseConfig, ruleMatches, type KinspectConfig } from '../../src/config.ts'
import { parseConfigLines } from '../../src/exec/ssh/sshconfig.ts'
import { kinspectConfig } from '../lab/configs.ts'
import { fuzz, mutatedJson, textInput } from './harness.ts'

const EXAMPLE = fs.readFileSync(path.join(import.meta.dirname, '../../.recipes.example'), 'utf8')
const LAB = kinspectConfig('/var/lib/kinspect-lab')
// HAND-WRITTEN: the node keys .recipes.example leaves commented out
const HAND = `nodes:
  - match: "lab-*"
    user: root
    port: 2222
    identityFile: ~/.ssh/id_ed25519
    sudo: true
  - match: "edge-??"
    hostName: 10.0.0.5
    proxyJump: bastion
recipeDirs: [./recipes, ~/r]
`
const SEEDS = [EXAMPLE, LAB, HAND]

/** The reference: a glob (* any run, ? one character, case-insensitive) by dynamic programming, O(pattern x name). */
function globOracle(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase()
  const s = name.toLowerCase()
  let row = Array.from({ length: s.length + 1 }, (_, j) => j === 0)
  for (const c of p) {
    const next = [c === '*' && row[0]]
    for (let j = 1; j <= s.length; j++)
      next[j] = c === '*' ? row[j] || next[j - 1] : (c === '?' || c === s[j - 1]) && row[j - 1]
    row = next
  }
  return row[s.length]
}
// Node names, and rules made of wildcards and the letters the names use (where a backtracking matcher blows up).
const PIECES = ['*', '*', '?', 'a', 'a', 'b', 'lab-', '-', '1', 'LAB']
const nodeName = fc.oneof(
  fc.constantFrom('lab-1', 'edge-01', 'LAB-2', 'x'),
  fc.integer({ min: 1, max: 80 }).map((n) => `${'a'.repeat(n)}b`),
  fc.array(fc.constantFrom(...PIECES.filter((p) => !'*?'.includes(p))), { maxLength: 40 }).map((p) => p.join('')),
)
const generated = fc
  .array(
    fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 30 }).map((p) => p.join('')),
    { minLength: 1, maxLength: 3 },
  )
  .map((ms) => `nodes:\n${ms.map((m) => `  - match: "${m}"\n    user: u\n`).join('')}`)

// Text mutations; the same documents as JSON (valid YAML) for structural ones (wrong types, deleted keys); generated rules.
const input = fc.tuple(
  fc.oneof(
    { weight: 3, arbitrary: textInput(SEEDS, 4000) },
    { weight: 2, arbitrary: mutatedJson(SEEDS.map((t) => JSON.stringify(YAML.parse(t)))) },
    { weight: 2, arbitrary: generated },
  ),
  fc.array(nodeName, { minLength: 1, maxLength: 4 }),
)

fuzz({
  name: '.recipes config',
  input,
  run: ([text, nodes]: [string, string[]]) => {
    const cfg = parseConfig(text, '/home/u/proj/.recipes', '/home/u')
    return { cfg, matches: cfg.nodes.map((r) => nodes.map((n) => ruleMatches(r, n))), ssh: nodesToSshConfig(cfg.nodes) }
  },
  expected: (e) => e instanceof ConfigError,
  check: (
    { cfg, matches, ssh }: { cfg: KinspectConfig; matches: boolean[][]; ssh: string },
    [, nodes]: [string, string[]],
  ) => {
    for (const d of [...cfg.recipeDirs, cfg.ssh.configFile, cfg.ssh.knownHostsFile])
      if (d !== undefined && !path.isAbsolute(d)) throw new Error(`path ${d} is not absolute`)
    if (cfg.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(cfg.namespace))
      throw new Error(`namespace ${cfg.namespace}`)
    cfg.nodes.forEach((r, i) => {
      if (!r.match || /[\s,!#"]/.test(r.match)) throw new Error(`match ${JSON.stringify(r.match)}`)
      if (r.port !== undefined && !(Number.isInteger(r.port) && r.port >= 1 && r.port <= 65535))
        throw new Error(`port ${r.port}`)
      nodes.forEach((n, k) => {
        if (matches[i][k] !== globOracle(r.match, n))
          throw new Error(
            `rule ${r.match} on ${n}: ruleMatches says ${matches[i][k]}, the reference glob ${!matches[i][k]}`,
          )
      })
    })
    parseConfigLines(ssh, '.recipes (nodes)') // the generated ssh_config must be readable
  },
})

test.run()
