// Parameter validation: every type, defaults, required, unknown names; messages name param, type, example.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { ParamError, parseDuration, parseParamValue, validateParams, type ParamDef } from '../../src/recipes/params.ts'

const recipe = {
  name: 'demo',
  params: [
    { name: 'pod', type: 'pod', description: 'the pod', required: false, example: 'web-1' },
    { name: 'tail', type: 'int', description: 'log lines', required: false, default: 20 },
    { name: 'deep', type: 'bool', description: 'look harder', required: false, default: false },
    { name: 'since', type: 'duration', description: 'how far back', required: false },
    { name: 'node', type: 'node', description: 'the node to check', required: true },
    { name: 'svc', type: 'service', description: 'a service', required: false },
    { name: 'label', type: 'string', description: 'a label', required: false },
    { name: 'deploy', type: 'deployment', description: 'a Deployment', required: false },
  ] satisfies ParamDef[],
}

function rejects(given: Record<string, string>, re: RegExp, style: 'flag' | 'word' = 'flag'): ParamError {
  try {
    validateParams(recipe, given, style)
  } catch (e) {
    assert.instance(e, ParamError)
    assert.match((e as Error).message, re)
    return e as ParamError
  }
  return assert.unreachable(`expected a ParamError for ${JSON.stringify(given)}`) as never
}

test('values parse to their types; defaults fill in; unset optional params are undefined; declaration order', () => {
  const v = validateParams(recipe, {
    node: 'lab-1',
    since: '1h30m',
    deep: 'yes',
    svc: 'kube-system/kube-dns',
    label: 'a b',
    pod: 'shop/web-1',
    deploy: 'shop/web.v2',
  })
  assert.equal(v, {
    pod: 'shop/web-1',
    tail: 20,
    deep: true,
    since: 5400,
    node: 'lab-1',
    svc: 'kube-system/kube-dns',
    label: 'a b',
    deploy: 'shop/web.v2',
  })
  assert.equal(Object.keys(v), ['pod', 'tail', 'deep', 'since', 'node', 'svc', 'label', 'deploy'])
  const d = validateParams(recipe, { node: 'lab-1', tail: '-5' })
  assert.is(d.tail, -5)
  assert.is(d.pod, undefined)
  assert.ok('pod' in d)
})

test('bad values: the message names the parameter, its type, what was received and an example', () => {
  const e = rejects(
    { node: 'lab-1', tail: 'ten' },
    /^parameter tail \(int\): expected a whole number, received "ten"; example: --tail 20$/,
  )
  assert.equal(e.params, ['tail'])
  assert.match(e.hint ?? '', /^usage: kinspect run demo \[--pod web-1\] \[--tail 20\] .* --node lab-1 /)
  rejects(
    { node: 'lab-1', pod: 'Web_1' },
    /parameter pod \(pod\): expected a pod name, or namespace\/name, received "Web_1"; example: --pod web-1/,
  )
  rejects({ node: 'lab-1', pod: 'a/b/c' }, /parameter pod \(pod\)/)
  rejects(
    { node: 'lab-1', since: 'soon' },
    /parameter since \(duration\): expected a duration like 90s, 5m, 1h30m or 500ms .* example: --since 5m/,
  )
  rejects({ node: 'lab-1', deep: 'maybe' }, /parameter deep \(bool\): expected true or false/)
  rejects({ node: 'Lab 1' }, /parameter node \(node\): expected a node name, received "Lab 1"; example: --node lab-1/)
  rejects({ node: 'lab-1', label: '' }, /parameter label \(string\): expected a non-empty string/)
  rejects({ node: 'lab-1', tail: 'x' }, /example: tail=20$/, 'word')
  rejects(
    { node: 'lab-1', deploy: 'shop/Web' },
    /^parameter deploy \(deployment\): expected a Deployment name, or namespace\/name, received "shop\/Web"; example: --deploy web$/,
  )
  rejects({ node: 'lab-1', deploy: 'a/b/c' }, /parameter deploy \(deployment\): expected a Deployment name/)
})

test('missing required and unknown parameters; several problems are listed together', () => {
  rejects({}, /^parameter node \(node\) is required: the node to check; example: --node lab-1$/)
  rejects(
    { node: 'lab-1', colour: 'red' },
    /^unknown parameter --colour: recipe demo takes pod \(pod\), tail \(int\), deep \(bool\)/,
  )
  const e = rejects(
    { colour: 'red', tail: 'x' },
    /^3 problems with the parameters of demo:\n- unknown parameter --colour.*\n- parameter tail \(int\).*\n- parameter node \(node\) is required/,
  )
  assert.equal(e.params.sort(), ['colour', 'node', 'tail'])
  try {
    validateParams({ name: 'bare', params: [] }, { x: '1' })
    assert.unreachable()
  } catch (err) {
    assert.match((err as Error).message, 'recipe bare takes no parameters')
  }
})

test('durations: units add up, bare numbers are seconds', () => {
  assert.is(parseDuration('90s'), 90)
  assert.is(parseDuration('5m'), 300)
  assert.is(parseDuration('1h30m'), 5400)
  assert.is(parseDuration('500ms'), 0.5)
  assert.is(parseDuration('2d'), 172800)
  assert.is(parseDuration('42'), 42)
  assert.instance(parseDuration('5 minutes'), Error)
  assert.instance(parseDuration(''), Error)
})

test('property: any int round-trips; any valid pod name is accepted as name and as ns/name', () => {
  fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), (n) => parseParamValue('int', String(n)) === n))
  const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/)
  fc.assert(
    fc.property(
      label,
      label,
      (ns, name) =>
        parseParamValue('pod', name) === name && parseParamValue('pod', `${ns}/${name}`) === `${ns}/${name}`,
    ),
  )
  fc.assert(
    fc.property(
      fc.string().filter((s) => /[A-Z_ ]/.test(s)),
      (s) => parseParamValue('node', s) instanceof Error,
    ),
  )
})

// Regression case found by test/fuzz/recipes.test.ts: parameters named like Object.prototype's members.
test('fuzz regression: a parameter named constructor, toString or __proto__ gets its own value, not an inherited one', () => {
  const ps: ParamDef[] = ['constructor', 'toString', '__proto__'].map((name) => ({
    name,
    type: 'string',
    description: 'd',
    required: false,
  }))
  const out = validateParams({ name: 'x', params: ps }, { toString: 'given' })
  assert.equal(Object.keys(out), ['constructor', 'toString', '__proto__'])
  assert.equal(
    [out.constructor, out.toString, Object.getOwnPropertyDescriptor(out, '__proto__')?.value],
    [undefined, 'given', undefined],
  )
})

test.run()
