// The config's checks on their own (src/config-validate.ts): each failure names the file, line, key path, what was
// expected and what was received; parseConfig's own tests (config.test.ts) go through them section by section.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LineCounter, parseDocument } from 'yaml'
import { ConfigError, describeYamlNode, Validator } from '../src/config-validate.ts'

function section(text: string): { v: Validator; root: unknown } {
  const lc = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lc })
  return { v: new Validator('/etc/kinspect/.recipes', lc, '/etc/kinspect', '/home/op'), root: doc.contents }
}

function failure(f: () => unknown): ConfigError {
  try {
    f()
  } catch (e) {
    assert.instance(e, ConfigError)
    return e as ConfigError
  }
  throw new Error('expected a ConfigError')
}

test('describeYamlNode: how a received value reads in a message', () => {
  const { root } = section('a: [1]\nb: {x: 1}\nc: "a string"\nd: 7\ne: ~\n')
  const items = (root as { items: { value: unknown }[] }).items.map((p) => describeYamlNode(p.value))
  assert.equal(items, ['a list', 'a mapping', 'the string "a string"', 'the number 7', 'nothing (null)'])
  assert.is(describeYamlNode(undefined, 'no value'), 'no value')
})

test('an unknown key or a wrong type names the file, line, key path, what was expected and what was received', () => {
  const { v, root } = section('nodes:\n  - match: "*"\n    prot: 22\nfleet:\n  fanout: lots\n')
  const top = v.pairs('', root, ['nodes', 'fleet'])
  const rule = v.list('nodes', top.get('nodes')!.value)[0]
  const e = failure(() => v.pairs('nodes[0]', rule, ['match', 'port']))
  assert.is(
    e.message,
    '/etc/kinspect/.recipes:3: nodes[0].prot: expected one of the keys match, port, received the unknown key "prot"',
  )
  assert.equal([e.kind, e.keyPath, e.line], ['invalid', 'nodes[0].prot', 3])
  assert.match(e.hint ?? '', '.recipes.example')
  const fleet = v.pairs('fleet', top.get('fleet')!.value, ['fanout'])
  const f = failure(() => v.count('fleet.fanout', fleet.get('fanout')!.value, 1024))
  assert.is(
    f.message,
    '/etc/kinspect/.recipes:5: fleet.fanout: expected a whole number from 1 to 1024, received the string "lots"',
  )
})

test('values: ports, durations (a bare number is seconds), and paths relative to the file or under ~', () => {
  const { v, root } = section('port: 2222\nbad: 70000\nwait: 1500ms\nsecs: 3\nkey: ~/.ssh/id\nrel: keys/id\n')
  const m = v.pairs('', root, ['port', 'bad', 'wait', 'secs', 'key', 'rel'])
  const at = (k: string) => m.get(k)!.value
  assert.is(v.port('port', at('port')), 2222)
  assert.match(
    failure(() => v.port('bad', at('bad'))).message,
    'bad: expected a port number 1-65535, received the number 70000',
  )
  assert.is(v.duration('wait', at('wait')), 1500)
  assert.is(v.duration('secs', at('secs')), 3000)
  assert.is(v.filePath('key', at('key')), '/home/op/.ssh/id')
  assert.is(v.filePath('rel', at('rel')), '/etc/kinspect/keys/id')
})

test.run()
