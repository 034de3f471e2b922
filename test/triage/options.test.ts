// The arguments of `kinspect triage` and `.triage`, and how the command line reaches them.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseTriageArgs } from '../../src/triage/options.ts'
import { TriageError } from '../../src/triage/errors.ts'
import { parseArgs } from '../../src/cli.ts'

const rejects = (args: string[], re: RegExp, namespace?: string) => {
  try {
    parseTriageArgs(args, namespace)
  } catch (e) {
    assert.instance(e, TriageError)
    assert.match((e as Error).message, re)
    assert.match((e as TriageError).hint ?? '', /^usage: kinspect triage/)
    return
  }
  assert.unreachable(`expected ${args.join(' ')} to be refused`)
}

test('namespaces: -n with commas, repeated, --namespace=; -A; --nodes / --no-nodes; -o json', () => {
  assert.equal(parseTriageArgs([]), { allNamespaces: false, format: 'text' })
  assert.equal(parseTriageArgs(['-n', 'shop,kube-system', '--namespace=default', '-n', 'shop']), {
    allNamespaces: false,
    format: 'text',
    namespaces: ['shop', 'kube-system', 'default'],
  })
  assert.equal(parseTriageArgs(['-A', '--nodes', '-o', 'json']), { allNamespaces: true, nodes: true, format: 'json' })
  assert.equal(parseTriageArgs(['--all-namespaces', '--no-nodes', '--output=text']), {
    allNamespaces: true,
    nodes: false,
    format: 'text',
  })
  assert.equal(parseTriageArgs(['-o', 'json'], 'shop,web'), {
    allNamespaces: false,
    format: 'json',
    namespaces: ['shop', 'web'],
  })
})

test('bad arguments name what was expected and what was received', () => {
  rejects(
    ['-n', 'shop,Bad_NS'],
    /^-n: expected namespace names separated by commas \(lowercase letters, digits and -\), received "Bad_NS" in "shop,Bad_NS"$/,
  )
  rejects(['-n'], /^-n needs a value$/)
  rejects(['-n', '-A'], /^-n needs a value$/)
  rejects(['-A', '-n', 'shop'], /^triage: -A and -n shop cannot be combined$/)
  rejects(['-A'], /^triage: -A and -n shop cannot be combined$/, 'shop')
  rejects(['-o', 'yaml'], /^-o: expected text or json, received "yaml"$/)
  rejects(
    ['--follow'],
    /^triage: unknown argument "--follow"; expected -n NS\[,NS\.\.\.\], -A, --nodes, --no-nodes or -o json$/,
  )
  rejects(['shop'], /unknown argument "shop"/)
})

test('kinspect triage: flags after the subcommand, -n before it, the session namespace is the first one', () => {
  assert.equal(parseArgs(['triage']), {
    kind: 'triage',
    allNamespaces: false,
    format: 'text',
    context: undefined,
    kubeconfig: undefined,
    namespace: undefined,
  })
  assert.equal(parseArgs(['-n', 'shop,kube-system', 'triage', '-o', 'json']), {
    kind: 'triage',
    allNamespaces: false,
    format: 'json',
    namespaces: ['shop', 'kube-system'],
    context: undefined,
    kubeconfig: undefined,
    namespace: 'shop',
  })
  assert.equal(parseArgs(['--context', 'lab', 'triage', '-A', '--nodes', '--kubeconfig', '/k']), {
    kind: 'triage',
    allNamespaces: true,
    nodes: true,
    format: 'text',
    context: 'lab',
    kubeconfig: '/k',
    namespace: undefined,
  })
  assert.throws(() => parseArgs(['triage', '-e', 'pods()']), /triage: unknown argument "-e"/)
  assert.throws(() => parseArgs(['-e', 'pods()', 'triage']), /-e cannot be combined with triage/)
})

test.run()
