// The command line as kubectl users type it: global flags anywhere (before or after the subcommand, among recipe
// parameters), -- ending option parsing, --help for every subcommand. Pure parsing; main() only for the streams.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { main, parseArgs } from '../../src/cli.ts'
import { scanArgs, SUBCOMMANDS } from '../../src/cli/args.ts'
import { cliSandbox, usageError } from './sandbox.ts'

const { io, cleanup } = cliSandbox('kinspect-cli-args-')

test('global flags among recipe parameters: kinspect run crashloop -n shop --pod x', () => {
  assert.equal(parseArgs(['run', 'crashloop', '-n', 'shop', '--pod', 'x']), {
    kind: 'run',
    name: 'crashloop',
    params: { pod: 'x' },
    namespace: 'shop',
  })
  assert.equal(
    parseArgs(['run', 'crashloop', '--pod', 'x', '--context=lab', '--kubeconfig', '/k', '-y', '--namespace=shop']),
    {
      kind: 'run',
      name: 'crashloop',
      params: { pod: 'x' },
      context: 'lab',
      kubeconfig: '/k',
      namespace: 'shop',
      yes: true,
    },
  )
  assert.equal(parseArgs(['run', '-n=shop', 'crashloop', '--teach', '--tail', '5']), {
    kind: 'run',
    name: 'crashloop',
    params: { tail: '5' },
    namespace: 'shop',
    teach: true,
  })
  // the same command, globals before the subcommand
  assert.equal(
    parseArgs(['-n', 'shop', 'run', 'crashloop', '--pod', 'x']),
    parseArgs(['run', 'crashloop', '--pod', 'x', '-n', 'shop']),
  )
})

test('global flags after every subcommand', () => {
  assert.equal(parseArgs(['gc', '-n', 'x', '--dry-run', '--context', 'c']), {
    kind: 'gc',
    dryRun: true,
    namespace: 'x',
    context: 'c',
  })
  assert.equal(parseArgs(['recipes', '--kubeconfig=/k']), { kind: 'recipes', kubeconfig: '/k' })
  assert.equal(parseArgs(['triage', '--context', 'lab', '-o', 'json', '-n', 'shop']), {
    kind: 'triage',
    allNamespaces: false,
    format: 'json',
    namespaces: ['shop'],
    context: 'lab',
    kubeconfig: undefined,
    namespace: 'shop',
  })
  // triage takes several namespaces: -n before and after the subcommand add up
  assert.equal((parseArgs(['-n', 'a', 'triage', '-n', 'b,c']) as { namespaces?: string[] }).namespaces, ['a', 'b', 'c'])
  assert.equal(parseArgs(['check.mjs', '-n', 'x', '--yes']), {
    kind: 'script',
    file: 'check.mjs',
    namespace: 'x',
    yes: true,
  })
  assert.equal(parseArgs(['-e', '1', '--context', 'c']), { kind: 'eval', expr: '1', context: 'c' })
})

test('-o before the subcommand, as kubectl takes it: run, triage and fleet; elsewhere a clear error', () => {
  assert.equal(parseArgs(['-o', 'json', 'triage', '-n', 'shop']), parseArgs(['triage', '-n', 'shop', '-o', 'json']))
  assert.equal(parseArgs(['--output=json', 'run', 'dns', '--pod', 'p']), {
    kind: 'run',
    name: 'dns',
    params: { pod: 'p' },
    format: 'json',
  })
  assert.equal((parseArgs(['-o', 'json', 'fleet', '--', 'id']) as { format: string }).format, 'json')
  usageError(['-o', 'json', 'gc'], /-o goes with run, triage or fleet, not gc/)
  usageError(['-o', 'json'], /-o goes with run, triage or fleet/)
  assert.throws(() => parseArgs(['-o', 'yaml', 'triage']), /-o: expected text or json, received "yaml"/)
})

test('-- ends option parsing: the fleet argv stays untouched; after run NAME -- every word is a recipe parameter', () => {
  const f = parseArgs([
    'fleet',
    'lab-1',
    '-n',
    'shop',
    '--',
    'kubectl',
    '-n',
    'kube-system',
    '--context',
    'x',
    '--help',
  ]) as { kind: string; argv: string[]; namespace?: string; context?: string }
  assert.equal(
    [f.kind, f.argv, f.namespace, f.context],
    ['fleet', ['kubectl', '-n', 'kube-system', '--context', 'x', '--help'], 'shop', undefined],
  )
  // a recipe parameter named like a global flag: globals win before --, parameters after it
  assert.equal(parseArgs(['run', 'mine', '-n', 'shop', '--', '--namespace', 'other', '--yes=no', '--teach', 'x']), {
    kind: 'run',
    name: 'mine',
    params: { namespace: 'other', yes: 'no', teach: 'x' },
    namespace: 'shop',
  })
  assert.equal(parseArgs(['run', 'mine', '--namespace', 'shop']), {
    kind: 'run',
    name: 'mine',
    params: {},
    namespace: 'shop',
  })
  usageError(['gc', '--', 'x'], /gc takes nothing after --, received x/)
})

test('bad global flags name themselves', () => {
  usageError(['run', 'crashloop', '--pod', '-n', 'shop'], /recipe parameter --pod needs a value/)
  usageError(['run', 'crashloop', '-n'], /flag -n needs a value/)
  usageError(['run', 'crashloop', '-n', '--pod', 'x'], /flag -n needs a value, received the flag --pod/)
  usageError(['run', 'crashloop', '-n', 'a', '-n', 'b'], /flag -n given twice \(a, b\)/)
  usageError(['--context', 'a', 'gc', '--context=b'], /flag --context given twice/)
  usageError(['run', 'x', '--yes=1'], /flag --yes takes no value, received --yes=1/)
  usageError(['gc', '--kubeconfig='], /flag --kubeconfig needs a non-empty value/)
  usageError(['--teach', 'run', 'x'], /unknown flag --teach before run/)
  usageError(['run', 'x', '-q'], /recipe parameter "-q": expected --name value/)
  usageError(['completion', 'fish'], /completion: expected bash or zsh, received fish/)
  usageError(['completion'], /completion: expected bash or zsh, received nothing/)
})

test('--help and -h for every subcommand; run NAME --help asks for the recipe; not after --', () => {
  for (const sub of SUBCOMMANDS) {
    assert.equal(parseArgs([sub, '--help']), { kind: 'help', topic: sub }, sub)
    assert.equal(parseArgs(['-n', 'x', sub, '-h']), { kind: 'help', topic: sub }, sub)
  }
  assert.equal(parseArgs(['run', 'crashloop', '--help']), { kind: 'recipe-help', name: 'crashloop' })
  assert.equal(parseArgs(['run', '--pod', 'x', 'crashloop', '-h', '-n', 'shop']), {
    kind: 'recipe-help',
    name: 'crashloop',
    namespace: 'shop',
  })
  assert.equal(parseArgs(['--help']), { kind: 'help' })
  assert.equal(parseArgs(['completion', 'bash']), { kind: 'completion', shell: 'bash' })
  assert.equal((parseArgs(['fleet', '--', 'ls', '-h']) as { argv: string[] }).argv, ['ls', '-h'])
})

test('scanArgs, lenient (completion): records the flag left waiting for a value instead of throwing', () => {
  assert.is(scanArgs(['run', 'crashloop', '--pod'], true).pending, '--pod')
  assert.is(scanArgs(['-n'], true).pending, '-n')
  assert.is(scanArgs(['fleet', '-l'], true).pending, '-l')
  assert.is(scanArgs(['run', 'crashloop', '--pod', 'x'], true).pending, undefined)
  assert.throws(() => scanArgs(['-n']), /flag -n needs a value/)
})

test('main: SUB --help prints that usage on stdout, exit 0', async () => {
  for (const sub of SUBCOMMANDS) {
    const t = io()
    assert.is(await main([sub, '--help'], t), 0, sub)
    assert.ok(t.out().startsWith(`Usage: kinspect ${sub}`), `${sub}: ${t.out().slice(0, 80)}`)
    assert.is(t.err(), '')
  }
  const h = io()
  assert.is(await main(['-h'], h), 0)
  assert.match(h.out(), 'kinspect completion bash|zsh')
  assert.match(h.out(), '-n, --namespace NS')
})

test('main: an unknown flag names the flag and prints the subcommand usage on stderr, exit 2', async () => {
  const g = io()
  assert.is(await main(['gc', '--bogus'], g), 2)
  assert.match(g.err(), /^kinspect: gc takes only --dry-run, received --bogus\n/)
  assert.match(g.err(), '\nUsage: kinspect gc [--dry-run]')
  assert.is(g.out(), '')
  const t = io()
  assert.is(await main(['-n', 'shop', 'triage', '--frob'], t), 2)
  assert.match(t.err(), /^kinspect: triage: unknown argument "--frob"/)
  assert.match(t.err(), '\nUsage: kinspect triage [-n NS[,NS...] | -A]')
  const r = io()
  assert.is(await main(['run', 'crashloop', '-x'], r), 2)
  assert.match(r.err(), /^kinspect: recipe parameter "-x": expected --name value or --name=value\n/)
  assert.match(r.err(), '\nUsage: kinspect run NAME [--param value]')
  const f = io()
  assert.is(await main(['fleet', '--frob', '--', 'id'], f), 2)
  assert.match(f.err(), /^kinspect: unknown flag --frob/)
  assert.match(f.err(), '\nUsage: kinspect fleet [-l SELECTOR | NODE...]')
})

test('main: run NAME --help lists the recipe parameters from its front matter (no cluster); an unknown recipe exits 2', async () => {
  const t = io()
  assert.is(await main(['run', 'crashloop', '-n', 'shop', '--help'], t), 0, t.err())
  assert.match(t.out(), /^Usage: kinspect run crashloop \[--pod POD\] \[--app STRING\] \[--tail INT\]\n/)
  assert.match(t.out(), /--tail int +lines of the previous container's log to show \(default 20\)/)
  assert.match(t.out(), 'It reads only: it changes nothing.')
  const d = io()
  assert.is(await main(['run', 'dns', '--help'], d), 0)
  assert.match(d.out(), /--pod pod +the pod whose DNS is in question \(name or namespace\/name\) \(required\)/)
  const m = io()
  assert.is(await main(['run', 'crashlop', '--help'], m), 2)
  assert.match(m.err(), 'no recipe named "crashlop"; did you mean crashloop?')
  assert.is(m.out(), '')
})

test.after(cleanup)
test.run()
