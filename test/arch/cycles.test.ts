// No import cycles in src/. Every kind of dependency counts: import and export-from statements, `import type`
// (a type-only cycle still ties two layers together, and one value import later turns it into a runtime cycle),
// import('x') and require('x') (a lazy load is still a dependency). The checker is proven on synthetic graphs and on
// a copy of src/ with a planted cycle.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findCycles, readGraph, specifiersOf, type Graph } from './graph.ts'

const root = path.resolve(import.meta.dirname, '../..')

test('src/ has no import cycle', () => {
  const g = readGraph(root)
  assert.ok(g.files.length > 50, `read ${g.files.length} files`)
  assert.ok(g.edges.length > 200, `read ${g.edges.length} dependencies`)
  assert.equal(
    findCycles(g),
    [],
    findCycles(g)
      .map((c) => c.join(' -> '))
      .join('\n'),
  )
})

test('no module path is computed, except the user script that `kinspect FILE.mjs` imports', () => {
  const computed = readGraph(root)
    .edges.filter((e) => e.to === '<computed>')
    .map((e) => `${e.from} (${e.kind})`)
  assert.equal(computed, ['src/cli/run.ts (dynamic)'])
})

test('specifiersOf: every form of dependency, and none from strings or comments', () => {
  const code = [
    "import a from './a.ts'",
    "import type { B } from './b.ts'",
    "import { type C1, type C2 } from './c.ts'",
    "import { type D1, d2 } from './d.ts'",
    "export * from './e.ts'",
    "export type { F } from './f.ts'",
    'import {',
    '  g1,',
    '  g2,',
    "} from './g.ts'",
    "const h = await import('./h.ts')",
    "type I = typeof import('./i.ts').default",
    "const j = require('j-package')",
    'const k = await import(someVariable)',
    "import './l.ts'",
    "// import x from './comment.ts'",
    'const s = "import y from \'./string.ts\'"',
    "const t = `export * from './template.ts'`",
  ].join('\n')
  assert.equal(
    specifiersOf(code).map((s) => `${s.line} ${s.kind} ${s.spec}`),
    [
      '1 import ./a.ts',
      '2 type ./b.ts',
      '3 type ./c.ts',
      '4 import ./d.ts',
      '5 export ./e.ts',
      '6 type ./f.ts',
      '7 import ./g.ts',
      '11 dynamic ./h.ts',
      '12 type-expr ./i.ts',
      '13 require j-package',
      '14 dynamic <computed>',
      '15 import ./l.ts',
    ],
  )
})

const graph = (edges: [string, string][]): Graph => ({
  files: [...new Set(edges.flat())].filter((f) => f.startsWith('src/')).sort(),
  edges: edges.map(([from, to]) => ({ from, to, kind: 'import', line: 1 })),
})

test('findCycles on synthetic graphs: none, a pair, a longer ring, a self-import, two separate cycles', () => {
  assert.equal(
    findCycles(
      graph([
        ['src/a.ts', 'src/b.ts'],
        ['src/b.ts', 'src/c.ts'],
        ['src/a.ts', 'src/c.ts'],
        ['src/c.ts', 'node:fs'],
      ]),
    ),
    [],
  )
  assert.equal(
    findCycles(
      graph([
        ['src/a.ts', 'src/b.ts'],
        ['src/b.ts', 'src/a.ts'],
      ]),
    ),
    [['src/a.ts', 'src/b.ts', 'src/a.ts']],
  )
  assert.equal(
    findCycles(
      graph([
        ['src/x.ts', 'src/a.ts'],
        ['src/a.ts', 'src/b.ts'],
        ['src/b.ts', 'src/c.ts'],
        ['src/c.ts', 'src/a.ts'],
      ]),
    ),
    [['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/a.ts']],
  )
  assert.equal(findCycles(graph([['src/a.ts', 'src/a.ts']])), [['src/a.ts', 'src/a.ts']])
  const two = findCycles(
    graph([
      ['src/a.ts', 'src/b.ts'],
      ['src/b.ts', 'src/a.ts'],
      ['src/c.ts', 'src/d.ts'],
      ['src/d.ts', 'src/c.ts'],
      ['src/b.ts', 'src/c.ts'],
    ]),
  )
  assert.equal(two.map((c) => c[0]).sort(), ['src/a.ts', 'src/c.ts'])
})

test('a cycle planted in a copy of src/ is found, through a type-only import and through a lazy import()', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-arch-'))
  try {
    fs.cpSync(path.join(root, 'src'), path.join(tmp, 'src'), { recursive: true })
    assert.equal(findCycles(readGraph(tmp)), [], 'the copy starts clean')
    // The cycle this repository had: the DNS helper importing its renderer, which imports the helper's types.
    fs.appendFileSync(
      path.join(tmp, 'src/net/types.ts'),
      "\nimport type { NetRenderOptions } from '../render/net.ts'\n",
    )
    assert.equal(findCycles(readGraph(tmp)), [['src/net/types.ts', 'src/render/net.ts', 'src/net/types.ts']])
    fs.copyFileSync(path.join(root, 'src/net/types.ts'), path.join(tmp, 'src/net/types.ts'))
    // A lazy import back from the recipe runner into the shell that runs .run.
    fs.appendFileSync(
      path.join(tmp, 'src/recipes/runner.ts'),
      "\nexport const shell = () => import('../repl/index.ts')\n",
    )
    const cycles = findCycles(readGraph(tmp))
    assert.is(cycles.length, 1)
    assert.ok(
      cycles[0].includes('src/recipes/runner.ts') && cycles[0].includes('src/repl/index.ts'),
      cycles[0].join(' -> '),
    )
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
})

test.run()
