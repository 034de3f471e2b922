// Type-checks every ```js block of every shipped recipe against the declarations generated from the shell's
// globals (GLOBALS, what buildContext installs) plus params/finding/change, with the TypeScript compiler API.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { parseRecipe, type Recipe } from '../../src/recipes/format.ts'
import { recipeGlobalsDts } from '../../src/recipes/dts.ts'
import { SHIPPED_DIR } from '../../src/recipes/loader.ts'
import { GLOBALS, buildContext, type GlobalSpec } from '../../src/repl/context.ts'
import { isDotCommand } from '../../src/recipes/markdown.ts'
import { fakeSession } from '../repl/fake.ts'

const root = path.resolve(import.meta.dirname, '../..')
const src = path.join(root, 'src')

const options: ts.CompilerOptions = {
  allowJs: true,
  checkJs: true,
  noEmit: true,
  strict: true,
  // Recipe blocks are JavaScript: untyped callback parameters are normal there. Null checks stay on.
  noImplicitAny: false,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  lib: ['lib.es2022.d.ts'],
  types: ['node'],
  skipLibCheck: true,
  allowImportingTsExtensions: true,
}

/** The recipe's code as one module whose line numbers are the Markdown file's (every other line blank). */
function codeWithMdLines(recipe: Recipe, mdLineCount: number): string {
  const lines = Array.from({ length: mdLineCount }, () => '')
  for (const s of recipe.steps) {
    for (const b of s.blocks) {
      if (isDotCommand(b.code)) continue
      b.code.split('\n').forEach((l, i) => (lines[b.line - 1 + i] = l))
    }
  }
  return lines.join('\n')
}

let previous: ts.Program | undefined

/** Type errors of a recipe's blocks as "file:line: TSxxxx message". */
function typeErrors(
  md: string,
  file: string,
  extra: { globals?: readonly GlobalSpec[]; checkDeclarations?: boolean } = {},
): string[] {
  const recipe = parseRecipe(md, file)
  const dir = path.join(root, '.typecheck-virtual', recipe.name)
  const virtual = new Map([
    [path.join(dir, 'globals.d.ts'), recipeGlobalsDts(recipe, { src, globals: extra.globals })],
    [path.join(dir, `${recipe.name}.mjs`), codeWithMdLines(recipe, md.split('\n').length)],
  ])
  const opts = extra.checkDeclarations ? { ...options, skipLibCheck: false } : options
  const host = ts.createCompilerHost(opts)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (f, lang, onError, create) =>
    virtual.has(f) ? ts.createSourceFile(f, virtual.get(f)!, lang, true) : getSourceFile(f, lang, onError, create)
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (f) => virtual.has(f) || fileExists(f)
  const readFile = host.readFile.bind(host)
  host.readFile = (f) => virtual.get(f) ?? readFile(f)
  const program = ts.createProgram({
    rootNames: [...virtual.keys()],
    options: opts,
    host,
    oldProgram: extra.checkDeclarations ? undefined : previous,
  })
  if (!extra.checkDeclarations) previous = program
  // Only the virtual files: checking all of src/ again is the job of tsc -p ., and slow.
  const files = [...virtual.keys()].map((f) => program.getSourceFile(f)!)
  return [
    ...program.getOptionsDiagnostics(),
    ...files.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]),
  ].map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0
    const shown = d.file?.fileName.endsWith('.d.ts') ? `${d.file.fileName}(generated)` : file
    return `${shown}:${where}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
  })
}

const shipped = fs
  .readdirSync(SHIPPED_DIR)
  .filter((f) => f.endsWith('.md'))
  .sort()

test('the shipped recipes are crashloop and node, and each parses', () => {
  assert.ok(shipped.includes('crashloop.md') && shipped.includes('node.md'), shipped.join(', '))
  for (const f of shipped) parseRecipe(fs.readFileSync(path.join(SHIPPED_DIR, f), 'utf8'), path.join(SHIPPED_DIR, f))
})

for (const f of shipped) {
  test(`recipes/${f}: every js block type-checks against the globals`, () => {
    const file = path.join(SHIPPED_DIR, f)
    const errors = typeErrors(fs.readFileSync(file, 'utf8'), path.relative(root, file))
    assert.equal(errors, [], errors.join('\n'))
  })
}

test('the example recipe in docs/recipes.md parses and type-checks', () => {
  const doc = fs.readFileSync(path.join(root, 'docs', 'recipes.md'), 'utf8')
  const m = /^````markdown\n([^]*?)\n````$/m.exec(doc)
  assert.ok(m, 'docs/recipes.md has a ````markdown example')
  const recipe = parseRecipe(m![1], 'pending.md')
  assert.equal(
    recipe.steps.map((s) => s.title),
    ['Scheduling events'],
  )
  assert.equal(recipe.steps[0].manual, [
    'kubectl get pod {{pod}} -n {{namespace}}\nkubectl events -n {{namespace}} --for pod/{{pod}}',
  ])
  const errors = typeErrors(m![1], 'pending.md')
  assert.equal(errors, [], errors.join('\n'))
})

test('the checker catches mistakes at the Markdown line: missing await, missing remedy, unknown global, wrong param type', () => {
  const md = [
    '---',
    'name: bad',
    'summary: broken on purpose',
    'params:',
    '  - name: tail',
    '    type: int',
    '    default: 5',
    '    description: lines',
    '---',
    '## One',
    '',
    '```js',
    'const names = pods().map((p) => p.metadata.name)',
    "finding({ severity: 'fail', message: 'no remedy' })",
    'podz()',
    'params.tail.toUpperCase()',
    '```',
    '',
    '## Two',
    '',
    '```js',
    'const names = 1',
    '```',
  ].join('\n')
  const errors = typeErrors(md, 'bad.md')
  const lines = errors.map((e) => Number(/^bad\.md:(\d+):/.exec(e)?.[1]))
  assert.equal(lines, [13, 13, 14, 15, 16, 22], errors.join('\n'))
  const at = (line: number) => errors.filter((e) => e.startsWith(`bad.md:${line}:`)).join('\n')
  assert.match(at(13), "Property 'map' does not exist on type 'Promise")
  assert.match(at(13), "Cannot redeclare block-scoped variable 'names'")
  assert.match(at(14), "Property 'remedy' is missing")
  assert.match(at(15), "Cannot find name 'podz'")
  assert.match(at(16), "Property 'toUpperCase' does not exist on type 'number'")
  assert.match(at(22), "Cannot redeclare block-scoped variable 'names'")
})

test('finding() next is typed: a recipe name and scalar parameters; anything else is caught at its line', () => {
  const md = [
    '---',
    'name: nexts',
    'summary: next on purpose',
    '---',
    '## One',
    '',
    '```js',
    "finding({ severity: 'fail', message: 'm', remedy: 'r', next: { recipe: 'crashloop', params: { pod: 'shop/web-1', tail: 50, deep: true } } })",
    "finding({ severity: 'info', message: 'm', next: { recipe: 'crashloop', params: { pod: ['a'] } } })",
    "finding({ severity: 'info', message: 'm', next: { name: 'crashloop' } })",
    '```',
  ].join('\n')
  const errors = typeErrors(md, 'nexts.md')
  assert.equal(
    errors.map((e) => Number(/^nexts\.md:(\d+):/.exec(e)?.[1])),
    [9, 10],
    errors.join('\n'),
  )
  assert.match(errors[0], "Type 'string[]' is not assignable to type 'string | number | boolean | undefined'")
  assert.match(errors[1], "'name' does not exist in type 'RecipeNext'")
})

test('the declarations follow GLOBALS, which is exactly what buildContext installs', () => {
  const ctx = buildContext(fakeSession(), {} as Record<string, unknown>)
  assert.equal(Object.keys(ctx).sort(), GLOBALS.map((g) => g.name).sort())
  const dts = recipeGlobalsDts({ params: [] }, { src })
  for (const g of GLOBALS) assert.match(dts, `declare const ${g.name}: `)
  assert.match(dts, 'declare function finding(f: RecipeFinding): void')
  assert.match(dts, 'declare const params: Readonly<Record<string, never>>')
  // Each declaration is GlobalTypes[name], derived from GLOBALS: a global outside the list has no type to take.
  const mystery = typeErrors('---\nname: mystery\nsummary: s\n---\n## S\n\n```js\nmystery\n```\n', 'mystery.md', {
    globals: [...GLOBALS, { name: 'mystery', group: 'data', help: 'x', make: () => 1 }],
    checkDeclarations: true,
  })
  assert.match(mystery.join('\n'), /Property 'mystery' does not exist on type/)
})

test('net helpers are typed from src/net: a wrong argument or a misspelt result field is an error', () => {
  const md = [
    '---',
    'name: nettypes',
    'summary: s',
    '---',
    '## S',
    '',
    '```js',
    "const r = await dnsQuery('web', { from: 'client', tries: 3 })",
    'r.rcodes',
    "const v = await vethOf('client')",
    'v.hostSide?.mtu.toFixed(0)',
    "const rules = await svcRules('shop/web', { node: 'lab-1' })",
    'rules.verdict.toUpperCase()',
    '```',
  ].join('\n')
  const errors = typeErrors(md, 'nettypes.md')
  const at = (line: number) => errors.filter((e) => e.startsWith(`nettypes.md:${line}:`)).join('\n')
  assert.equal(
    errors.map((e) => Number(/^nettypes\.md:(\d+):/.exec(e)?.[1])),
    [8, 9],
    errors.join('\n'),
  )
  assert.match(at(8), "'tries' does not exist in type 'DnsQueryOptions'")
  assert.match(at(9), "Property 'rcodes' does not exist on type 'DnsResult'")
})

test.run()
