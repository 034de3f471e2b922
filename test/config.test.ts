import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  parseConfig,
  loadConfig,
  configCandidates,
  ConfigError,
  defaultConfig,
  nodesToSshConfig,
  ruleMatches,
} from '../src/config.ts'
import { parseConfigLines } from '../src/exec/ssh/sshconfig.ts'
import { withoutStacks } from '../src/yaml-depth.ts'
import { nodeAccessFor, parseDeadline } from '../src/config-access.ts'
import { assertFast } from './fast.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-config-'))
const file = path.join(tmp, '.recipes')

function err(text: string): ConfigError {
  try {
    parseConfig(text, file, '/home/u')
  } catch (e) {
    if (e instanceof ConfigError) return e
    throw e
  }
  throw new Error('expected a ConfigError')
}

test('a full config parses; paths resolve against the file and ~', () => {
  const cfg = parseConfig(
    `# comment
recipeDirs: [recipes, ~/more, /abs/r]
context: kinspect-lab
namespace: shop
ssh:
  configFile: ssh/ssh_config
  knownHostsFile: /var/lib/x/known_hosts
nodes:
  - match: "lab-*"
    user: root
    port: 2222
    identityFile: ~/.ssh/id
    sudo: false
  - match: "gpu-?"
    proxyJump: bastion
    hostName: 10.0.0.5
    sudo: true
`,
    file,
    '/home/u',
  )
  assert.equal(cfg.recipeDirs, [path.join(tmp, 'recipes'), '/home/u/more', '/abs/r'])
  assert.is(cfg.context, 'kinspect-lab')
  assert.is(cfg.namespace, 'shop')
  assert.equal(cfg.ssh, { configFile: path.join(tmp, 'ssh/ssh_config'), knownHostsFile: '/var/lib/x/known_hosts' })
  assert.equal(cfg.nodes[0], { match: 'lab-*', user: 'root', port: 2222, identityFile: '/home/u/.ssh/id', sudo: false })
  assert.equal(cfg.nodes[1], { match: 'gpu-?', proxyJump: 'bastion', hostName: '10.0.0.5', sudo: true })
  assert.is(cfg.file, file)
})

test('an empty file gives the defaults', () => {
  assert.equal(parseConfig('# nothing\n', file), { ...defaultConfig(), file })
})

test('unknown key: names file, key path, line, expected and received', () => {
  const e = err('context: a\nnamespace: b\ncontxt: c\n')
  assert.is(e.kind, 'invalid')
  assert.is(e.keyPath, 'contxt')
  assert.is(e.line, 3)
  assert.is(e.file, file)
  assert.match(e.message, `${file}:3: contxt:`)
  assert.match(e.message, 'one of the keys recipeDirs, context, namespace, nodes, ssh, triage')
  assert.match(e.message, 'unknown key "contxt"')
  assert.ok(e.hint)
})

test('wrong types name the nested key path and line', () => {
  const e1 = err('nodes:\n  - match: "lab-*"\n    port: "22"\n')
  assert.is(e1.keyPath, 'nodes[0].port')
  assert.is(e1.line, 3)
  assert.match(e1.message, 'expected a port number 1-65535, received the string "22"')
  const e2 = err('nodes:\n  - match: a\n  - match: b\n    sudo: yes please\n')
  assert.is(e2.keyPath, 'nodes[1].sudo')
  assert.is(e2.line, 4)
  assert.match(e2.message, 'expected true or false')
  const e3 = err('recipeDirs: ./recipes\n')
  assert.is(e3.keyPath, 'recipeDirs')
  assert.match(e3.message, 'expected a list, received the string "./recipes"')
  const e4 = err('ssh:\n  configFile: x\n  identity: y\n')
  assert.is(e4.keyPath, 'ssh.identity')
  assert.is(e4.line, 3)
  const e5 = err('nodes:\n  - user: root\n')
  assert.is(e5.keyPath, 'nodes[0].match')
  assert.is(e5.line, 2)
  const e6 = err('namespace: Shop_1\n')
  assert.match(e6.message, 'namespace: expected a namespace name')
  const e7 = err('- a\n- b\n')
  assert.match(e7.message, '(top level): expected a mapping, received a list')
  const e8 = err('nodes:\n  - match: x\n    port: 70000\n')
  assert.match(e8.message, 'received the number 70000')
  const e9 = err('triage:\n  nodes: sometimes\n')
  assert.is(e9.keyPath, 'triage.nodes')
  assert.match(e9.message, 'expected true or false, received the string "sometimes"')
  const e10 = err('triage:\n  node: true\n')
  assert.match(e10.message, 'triage.node: expected one of the keys nodes')
})

test('fleet: fanout, timeout (a duration) and connectsPerHost; wrong values name the key and the line', () => {
  const cfg = parseConfig('fleet:\n  fanout: 32\n  timeout: 5s\n  connectsPerHost: 4\n', file)
  assert.equal(cfg.fleet, { fanout: 32, timeoutMs: 5000, connectsPerHost: 4 })
  assert.equal(parseConfig('fleet:\n  timeout: 2\n', file).fleet, { timeoutMs: 2000 })
  assert.equal(defaultConfig().fleet, {})
  assert.is(
    err('fleet:\n  fanout: 0\n').message,
    `${file}:2: fleet.fanout: expected a whole number from 1 to 10000, received the number 0`,
  )
  assert.is(
    err('fleet:\n  timeout: soon\n').message,
    `${file}:2: fleet.timeout: expected a duration like 30s, 500ms or 2m (a bare number is seconds), received the string "soon"`,
  )
  assert.match(
    err('fleet:\n  forks: 5\n').message,
    /fleet\.forks: expected one of the keys fanout, timeout, connectsPerHost, daemonSetAbove, received the unknown key "forks"/,
  )
  assert.equal(parseConfig('fleet:\n  daemonSetAbove: 2\n', file).fleet, { daemonSetAbove: 2 })
  assert.is(
    err('fleet:\n  daemonSetAbove: many\n').message,
    `${file}:2: fleet.daemonSetAbove: expected a whole number from 1 to 1000000, received the string "many"`,
  )
})

test('invalid YAML reports the line', () => {
  const e = err('context: a\nnodes: [\n  - x\n')
  assert.is(e.kind, 'parse')
  assert.ok(e.line && e.line >= 2, `line ${e.line}`)
  assert.match(e.message, file)
  const dup = err('context: a\ncontext: b\n')
  assert.is(dup.kind, 'parse')
  assert.is(dup.line, 2)
})

test('lookup: KINSPECT_CONFIG, then ./.recipes, then XDG', () => {
  const cwd = fs.mkdtempSync(path.join(tmp, 'cwd-'))
  const home = fs.mkdtempSync(path.join(tmp, 'home-'))
  const env = { HOME: home }
  assert.equal(configCandidates({ cwd, env }).files, [
    path.join(cwd, '.recipes'),
    path.join(home, '.config', 'kinspect', '.recipes'),
  ])
  assert.equal(configCandidates({ cwd, env: { ...env, XDG_CONFIG_HOME: '/x' } }).files[1], '/x/kinspect/.recipes')
  // nothing anywhere: defaults
  assert.equal(loadConfig({ cwd, env }), defaultConfig())
  // XDG file
  fs.mkdirSync(path.join(home, '.config', 'kinspect'), { recursive: true })
  fs.writeFileSync(path.join(home, '.config', 'kinspect', '.recipes'), 'namespace: from-xdg\n')
  assert.is(loadConfig({ cwd, env }).namespace, 'from-xdg')
  // cwd wins over XDG; a .recipes directory in cwd is skipped
  fs.mkdirSync(path.join(cwd, '.recipes'))
  assert.is(loadConfig({ cwd, env }).namespace, 'from-xdg')
  fs.rmdirSync(path.join(cwd, '.recipes'))
  fs.writeFileSync(path.join(cwd, '.recipes'), 'namespace: from-cwd\n')
  assert.is(loadConfig({ cwd, env }).namespace, 'from-cwd')
  // KINSPECT_CONFIG wins, and must exist
  const explicit = path.join(tmp, 'explicit.yaml')
  fs.writeFileSync(explicit, 'namespace: explicit\n')
  assert.is(loadConfig({ cwd, env: { ...env, KINSPECT_CONFIG: explicit } }).namespace, 'explicit')
  try {
    loadConfig({ cwd, env: { ...env, KINSPECT_CONFIG: path.join(tmp, 'nope') } })
    assert.unreachable('should throw')
  } catch (e) {
    assert.instance(e, ConfigError)
    assert.is((e as ConfigError).kind, 'missing')
    assert.match((e as ConfigError).message, 'KINSPECT_CONFIG names')
  }
})

test('nodeAccess: a list of rules; per setting the first fitting rule wins, then the defaults', () => {
  const cfg = parseConfig(
    `nodeAccess:
  - match: "prod-*"
    transports: [ssh]
  - match: "*"
    transports: [pod, ssh]
    pods: always
    image: reg.example/nodepod@sha256:${'a'.repeat(64)}
    imagePullSecrets: [pull-a, pull-b]
    namespace: kinspect
    deadline: 1h30m
    priorityClassName: system-node-critical
`,
    file,
  )
  assert.equal(cfg.nodeAccess[0], { match: 'prod-*', transports: ['ssh'] })
  assert.is(cfg.nodeAccess[1].deadlineSeconds, 5400)
  const prod = nodeAccessFor(cfg.nodeAccess, 'prod-7')
  assert.equal(prod, {
    transports: ['ssh'],
    pods: 'always',
    image: `reg.example/nodepod@sha256:${'a'.repeat(64)}`,
    imagePullSecrets: ['pull-a', 'pull-b'],
    namespace: 'kinspect',
    deadlineSeconds: 5400,
    priorityClassName: 'system-node-critical',
  })
  assert.equal(nodeAccessFor(cfg.nodeAccess, 'lab-2').transports, ['pod', 'ssh'])
  // nothing configured: [ssh, pod], ask, kube-system, 1 h, the transport's default image
  assert.equal(nodeAccessFor([], 'x'), {
    transports: ['ssh', 'pod'],
    pods: 'ask',
    image: undefined,
    imagePullSecrets: [],
    namespace: 'kube-system',
    deadlineSeconds: 3600,
    priorityClassName: undefined,
  })
  // one mapping is a rule for every node
  const single = parseConfig('nodeAccess:\n  pods: never\n  deadline: 600\n', file)
  assert.equal(single.nodeAccess, [{ match: '*', pods: 'never', deadlineSeconds: 600 }])
  assert.equal(parseDeadline('2d'), 172800)
  assert.ok(Number.isNaN(parseDeadline('1.5h')))
})

test('nodeAccess errors name the key path, the line, what was expected and what was received', () => {
  const cases: [string, string, number, string][] = [
    ['nodeAccess:\n  - pods: ask\n', 'nodeAccess[0].match', 2, 'match is required'],
    [
      'nodeAccess:\n  transports: [ssh, telnet]\n',
      'nodeAccess.transports[1]',
      2,
      'expected "ssh" or "pod", received the string "telnet"',
    ],
    ['nodeAccess:\n  transports: []\n', 'nodeAccess.transports', 2, 'received an empty list'],
    ['nodeAccess:\n  transports: [pod, pod]\n', 'nodeAccess.transports', 2, 'each transport at most once'],
    [
      'nodeAccess:\n  pods: sometimes\n',
      'nodeAccess.pods',
      2,
      'expected "ask", "always" or "never", received the string "sometimes"',
    ],
    ['nodeAccess:\n  image: "a b"\n', 'nodeAccess.image', 2, 'an image reference without spaces'],
    ['nodeAccess:\n  namespace: Kube_System\n', 'nodeAccess.namespace', 2, 'a namespace name'],
    [
      'nodeAccess:\n  deadline: 10s\n',
      'nodeAccess.deadline',
      2,
      'a duration from 1m to 7d (the pod’s activeDeadlineSeconds), received 10 s',
    ],
    ['nodeAccess:\n  deadline: soon\n', 'nodeAccess.deadline', 2, 'expected a duration such as 30m'],
    ['nodeAccess:\n  imagePullSecrets: [Not_A_Name]\n', 'nodeAccess.imagePullSecrets[0]', 2, 'the name of a Secret'],
    ['nodeAccess:\n  - match: "*"\n    pod: always\n', 'nodeAccess[0].pod', 3, 'unknown key "pod"'],
    ['nodeAccess: always\n', 'nodeAccess', 1, 'expected a list, received the string "always"'],
  ]
  for (const [text, keyPath, line, msg] of cases) {
    const e = err(text)
    assert.is(e.keyPath, keyPath, text)
    assert.is(e.line, line, text)
    assert.match(e.message, `${file}:${line}: ${keyPath}: `)
    assert.match(e.message, msg)
  }
})

test('the shipped .recipes.example is valid', () => {
  const ex = path.resolve(import.meta.dirname, '..', '.recipes.example')
  const cfg = parseConfig(fs.readFileSync(ex, 'utf8'), ex, '/home/u')
  assert.ok(cfg.nodes.length > 0)
  assert.ok(cfg.recipeDirs.length > 0)
  assert.ok(cfg.ssh.configFile)
  assert.equal(cfg.triage, { nodes: false })
  assert.match(nodeAccessFor(cfg.nodeAccess, 'lab-1').image ?? '', /@sha256:[0-9a-f]{64}$/)
  assert.equal(nodeAccessFor(cfg.nodeAccess, 'prod-1').transports, ['ssh'])
})

// Regression cases found by test/fuzz/config.test.ts (fast-check counterexamples, shrunk).
test('fuzz regressions: node rules match in linear time; values with a backslash or a line break cannot corrupt the ssh_config they become', () => {
  // "*a*a*a*a*a*a*c" took seconds against a 60-letter name (each * a backtracking .*)
  const starry = { match: `${'*a'.repeat(12)}*c` }
  assert.not.ok(assertFast(() => ruleMatches(starry, `${'a'.repeat(60)}b`), 50, '*a*a…*c against 60 letters'))
  assert.ok(ruleMatches({ match: 'LAB-?' }, 'lab-1'))
  assert.not.ok(ruleMatches({ match: 'lab-?' }, 'lab-12'))
  const rule = parseConfig('nodes:\n  - match: "lab-*"\n    user: "r\\\\"\n', file).nodes[0] // user r\
  const lines = parseConfigLines(nodesToSshConfig([rule]))
  assert.equal(lines.find((l) => l.keyword === 'user')!.args, ['r\\'])
  assert.is(err('nodes:\n  - match: "lab-*"\n    user: "root\\nHost *"\n').keyPath, 'nodes[0].user')
  assert.match(
    err('nodes:\n  - match: "lab-*"\n    hostName: "a\\tb"\n').message,
    /expected a value on one line without control characters/,
  )
  // from npm run fuzz: a quote, a leading '#' or an '=' was written bare (an unterminated quote, a comment, a separator)
  for (const user of ["o'brien", '#ops', '=x', 'a"" b']) {
    const text = nodesToSshConfig([{ match: 'lab-*', user }])
    assert.equal(parseConfigLines(text).find((l) => l.keyword === 'user')?.args, [user], text)
  }
  // from npm run fuzz: a match pattern with a single quote or a backslash became a Host line ssh cannot read
  for (const match of ["'", 'lab\\1'])
    assert.is(err(`nodes:\n  - match: ${JSON.stringify(match)}\n    user: root\n`).keyPath, 'nodes[0].match')
  // U+2028 ends a line for JavaScript's '.', and nothing can quote it in an ssh_config line
  assert.is(err('nodes:\n  - match: "lab-*"\n    user: "o\\Lps"\n').keyPath, 'nodes[0].user')
})

test('fuzz regression: collections nested thousands deep are a parse error (the yaml library ran out of memory on them)', () => {
  const e = err(`nodes: ${'['.repeat(5000)}`)
  assert.equal([e.kind, e.line], ['parse', 1])
  assert.match(e.message, /collections nested 5001 levels deep \(at most 32\)/)
})

test('fuzz regression: a broken file with an error on every line is one clear error; yaml errors are built without stack traces', () => {
  // the shrunk counterexample: 2,000 stray lines after a rule cost the yaml library >50 ms of CPU, half of it capturing stacks
  const text = `nodes:\n  - match: "lab-*"\n    user: root\n    port: 2222\n${'2\n'.repeat(2000)}    identityFile: /x\n`
  const e = err(text)
  assert.equal([e.kind, e.line], ['parse', 5])
  assert.match(e.message, /invalid YAML: Implicit map keys need to be followed by map values/)
  const limit = Error.stackTraceLimit
  assert.is(
    withoutStacks(() => Error.stackTraceLimit),
    0,
  )
  assert.throws(() =>
    withoutStacks(() => {
      throw new Error('x')
    }),
  )
  assert.is(Error.stackTraceLimit, limit)
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
