import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { main, parseArgs } from '../src/cli.ts'
import { cliSandbox, usageError } from './cli/sandbox.ts'

const root = path.resolve(import.meta.dirname, '..')
const { io, cleanup } = cliSandbox('kinspect-cli-')

test('parseArgs: modes and flags', () => {
  assert.equal(parseArgs([]), { kind: 'repl' })
  assert.equal(parseArgs(['--context', 'c', '-n', 'ns', '--kubeconfig=/k']), {
    kind: 'repl',
    context: 'c',
    namespace: 'ns',
    kubeconfig: '/k',
  })
  assert.equal(parseArgs(['--namespace=shop', '-e', '(await pods()).length']), {
    kind: 'eval',
    expr: '(await pods()).length',
    namespace: 'shop',
  })
  assert.equal(parseArgs(['-e', '-1']), { kind: 'eval', expr: '-1' })
  assert.equal(parseArgs(['notes.md']), { kind: 'notebook', file: 'notes.md' })
  assert.equal(parseArgs(['-n', 'x', 'check.mjs']), { kind: 'script', file: 'check.mjs', namespace: 'x' })
  assert.equal(parseArgs(['run', 'dns', '--host', 'web', '--port=80']), {
    kind: 'run',
    name: 'dns',
    params: { host: 'web', port: '80' },
  })
  // Global flags win among recipe parameters; a recipe parameter named like one goes after --.
  assert.equal(parseArgs(['--context', 'c', 'run', 'dns', '--', '--context', 'recipe-param']), {
    kind: 'run',
    name: 'dns',
    params: { context: 'recipe-param' },
    context: 'c',
  })
  assert.equal(parseArgs(['recipes']), { kind: 'recipes' })
  assert.equal(parseArgs(['-n', 'x', '--help']), { kind: 'help' })
  assert.equal(parseArgs(['--version']), { kind: 'version' })
})

test('parseArgs: --yes for every mode (with run it also applies changes); gc [--dry-run]', () => {
  assert.equal(parseArgs(['--yes']), { kind: 'repl', yes: true })
  assert.equal(parseArgs(['-y', '-e', '1']), { kind: 'eval', expr: '1', yes: true })
  assert.equal(parseArgs(['--yes', 'check.mjs']), { kind: 'script', file: 'check.mjs', yes: true })
  assert.equal(parseArgs(['--yes', 'run', 'dns']), { kind: 'run', name: 'dns', params: {}, yes: true })
  assert.equal(parseArgs(['run', 'dns', '--yes']), { kind: 'run', name: 'dns', params: {}, yes: true })
  assert.equal(parseArgs(['gc']), { kind: 'gc' })
  assert.equal(parseArgs(['gc', '--dry-run', '--context', 'c']), { kind: 'gc', dryRun: true, context: 'c' })
  usageError(['--dry-run'], /--dry-run goes with gc, or after the recipe name of run/)
  usageError(['gc', 'now'], /gc takes only --dry-run, received now/)
})

test('main gc without a cluster: exit 2, the reason on stderr', async () => {
  const t = io()
  assert.is(await main(['gc'], t), 2)
  assert.match(t.err(), /^error: no kubeconfig found/)
  assert.is(t.out(), '')
})

test('parseArgs: bad input names the flag or argument', () => {
  usageError(['--bogus'], /unknown flag --bogus/)
  usageError(['-x'], /unknown flag -x/)
  usageError(['--context'], /flag --context needs a value/)
  usageError(['-n', '--context', 'x'], /flag -n needs a value/)
  usageError(['--context=', 'x'], /needs a non-empty value/)
  usageError(['-n', 'a', '-n', 'b'], /given twice/)
  usageError(['notes.txt'], /FILE must be a .mjs\/.js script or a .md notebook, received notes.txt/)
  usageError(['a.md', 'b.md'], /at most one FILE/)
  usageError(['-e', '1', 'a.md'], /cannot be combined/)
  usageError(['run'], /run needs a recipe name/)
  usageError(['run', 'x', 'positional'], /expected --name value/)
  usageError(['run', 'x', '--p'], /--p needs a value/)
  usageError(['recipes', 'extra'], /recipes takes no arguments/)
})

test('main: bad flags exit 2 with the flag and the usage on stderr', async () => {
  const x = io()
  assert.is(await main(['--frobnicate'], x), 2)
  assert.match(x.err(), 'kinspect: unknown flag --frobnicate')
  assert.match(x.err(), 'Usage:\n  kinspect [--context C]')
  assert.is(x.out(), '')
})

test('main: --help and --version', async () => {
  const h = io()
  assert.is(await main(['--help'], h), 0)
  assert.match(h.out(), 'kinspect run NAME [--param value]...')
  const v = io()
  assert.is(await main(['--version'], v), 0)
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
  assert.is(v.out(), `kinspect ${pkg.version}\n`)
})

test.after(cleanup)
test.run()
