// Library boundaries (docs/CONTRIBUTING.md): each third-party library stays behind its one folder, and domain code
// never imports a renderer. Every rule is proven on a copy of src/ with a planted violation, and on a synthetic graph.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { boundaryViolations, readGraph, type BoundaryRule, type Graph } from './graph.ts'

const root = path.resolve(import.meta.dirname, '../..')

/** The rules, as docs/CONTRIBUTING.md states them. */
const RULES: readonly BoundaryRule[] = [
  { name: '@kubernetes/client-node only in src/kube/', to: '@kubernetes/client-node', allowed: ['src/kube/'] },
  { name: 'ssh2 only in src/exec/ssh/', to: 'ssh2', allowed: ['src/exec/ssh/'] },
  { name: 'chalk only in src/render/', to: 'chalk', allowed: ['src/render/'] },
  { name: 'ws (the exec WebSocket) only in src/kube/', to: 'ws', allowed: ['src/kube/'] },
  { name: 'zx only in src/repl/', to: 'zx', allowed: ['src/repl/'] },
  {
    name: 'domain code never imports src/render/ (the recipe runner and its progress display are the report rendering seam)',
    to: 'src/render/',
    only: ['src/net/', 'src/exec/', 'src/kube/', 'src/recipes/', 'src/triage/', 'src/access/', 'src/fleet/'],
    except: ['src/recipes/runner.ts', 'src/recipes/progress.ts'],
  },
]

test('src/ keeps every boundary', () => {
  const g = readGraph(root)
  for (const rule of RULES) assert.equal(boundaryViolations(g, rule), [], rule.name)
})

test('each rule catches a violation planted in a copy of src/, at its file and line', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-arch-'))
  try {
    fs.cpSync(path.join(root, 'src'), path.join(tmp, 'src'), { recursive: true })
    const plant = (file: string, line: string) => {
      const p = path.join(tmp, file)
      const n = fs.readFileSync(p, 'utf8').split('\n').length + 1
      fs.appendFileSync(p, `\n${line}\n`)
      return n
    }
    const planted = [
      `src/net/dns.ts:${plant('src/net/dns.ts', "const k8s = () => import('@kubernetes/client-node')")} imports @kubernetes/client-node`,
      `src/kube/client.ts:${plant('src/kube/client.ts', "import type { Client } from 'ssh2'")} imports types from ssh2`,
      `src/repl/index.ts:${plant('src/repl/index.ts', "import chalk from 'chalk'")} imports chalk`,
      `src/exec/local.ts:${plant('src/exec/local.ts', "import { $ } from 'zx'")} imports zx`,
      `src/kube/describe.ts:${plant('src/kube/describe.ts', "import { statusStyle } from '../render/kube-format.ts'")} imports src/render/kube-format.ts`,
      `src/recipes/report.ts:${plant('src/recipes/report.ts', "export type { Palette } from '../render/color.ts'")} imports types from src/render/color.ts`,
      `src/triage/group.ts:${plant('src/triage/group.ts', "import { renderTriage } from '../render/triage.ts'")} imports src/render/triage.ts`,
    ]
    // Allowed: the runner (the seam) and the REPL may use renderers; client-node in src/kube/.
    plant('src/recipes/runner.ts', "import { renderTable } from '../render/table.ts'")
    plant('src/repl/commands.ts', "import { renderTable } from '../render/table.ts'")
    plant('src/kube/resources.ts', "import type { KubeConfig } from '@kubernetes/client-node'")
    const g = readGraph(tmp)
    const found = RULES.flatMap((r) => boundaryViolations(g, r)).map((v) => v.replace(/ \(.*\)$/, ''))
    assert.equal(found, planted)
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
})

test('boundaryViolations on a synthetic graph: allowed folders, checked folders with exceptions, packages by name', () => {
  const g: Graph = {
    files: ['src/a/x.ts', 'src/b/y.ts', 'src/render/r.ts', 'src/b/seam.ts'],
    edges: [
      { from: 'src/a/x.ts', to: 'lib/sub/path', kind: 'import', line: 3 },
      { from: 'src/b/y.ts', to: 'lib', kind: 'dynamic', line: 7 },
      { from: 'src/b/y.ts', to: 'library', kind: 'import', line: 8 },
      { from: 'src/b/y.ts', to: 'src/render/r.ts', kind: 'type', line: 9 },
      { from: 'src/b/seam.ts', to: 'src/render/r.ts', kind: 'import', line: 1 },
      { from: 'src/render/r.ts', to: 'src/b/y.ts', kind: 'type', line: 2 },
    ],
  }
  assert.equal(boundaryViolations(g, { name: 'lib only in a', to: 'lib', allowed: ['src/a/'] }), [
    'src/b/y.ts:7 imports lib (lib only in a)',
  ])
  assert.equal(
    boundaryViolations(g, { name: 'b without render', to: 'src/render/', only: ['src/b/'], except: ['src/b/seam.ts'] }),
    ['src/b/y.ts:9 imports types from src/render/r.ts (b without render)'],
  )
})

test.run()
