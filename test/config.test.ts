import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseConfig, loadConfig, configCandidates, ConfigError, defaultConfig } from '../src/config.ts'

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
  assert.match(e.message, 'one of the keys recipeDirs, context, namespace, nodes, ssh')
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
})

test('fleet: fanout, timeout (a duration) and connectsPerHost; wrong values name the key and the line', () => {
  const cfg = parseConfig('fleet:\n  fanout: 32\n  timeout: 5s\n  connectsPerHost: 4\n', file)
  assert.equal(cfg.fleet, { fanout: 32, timeoutMs: 5000, connectsPerHost: 4 })
  assert.equal(parseConfig('fleet:\n  timeout: 2\n', file).fleet, { timeoutMs: 2000 })
  assert.equal(defaultConfig().fleet, {})
  assert.is(err('fleet:\n  fanout: 0\n').message, `${file}:2: fleet.fanout: expected a whole number from 1 to 10000, received the number 0`)
  assert.is(err('fleet:\n  timeout: soon\n').message, `${file}:2: fleet.timeout: expected a duration like 30s, 500ms or 2m (a bare number is seconds), received the string "soon"`)
  assert.match(err('fleet:\n  forks: 5\n').message, /fleet\.forks: expected one of the keys fanout, timeout, connectsPerHost, received the unknown key "forks"/)
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
  assert.equal(configCandidates({ cwd, env }).files, [path.join(cwd, '.recipes'), path.join(home, '.config', 'kinspect', '.recipes')])
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

test('the shipped .recipes.example is valid', () => {
  const ex = path.resolve(import.meta.dirname, '..', '.recipes.example')
  const cfg = parseConfig(fs.readFileSync(ex, 'utf8'), ex, '/home/u')
  assert.ok(cfg.nodes.length > 0)
  assert.ok(cfg.recipeDirs.length > 0)
  assert.ok(cfg.ssh.configFile)
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
