// The lint of npm test: the whole tree type-checks (strict, no unused locals, no switch fall-through: tsconfig.json),
// is formatted as prettier formats it (.prettierrc.json, width 120), and no source file outgrows 400 lines.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '../..')
const bin = (pkg: string, file: string) => path.join(root, 'node_modules', pkg, file)

function run(argv: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, argv, { cwd: root, encoding: 'utf8', timeout: 240_000 })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

test('tsc --noEmit -p . is clean (src, test, bench and scripts)', () => {
  const r = run([bin('typescript', 'bin/tsc'), '--noEmit', '-p', '.'])
  assert.is(r.status, 0, `type errors (npm run typecheck): ${r.out.replace(/\s*\n\s*/g, ' | ').slice(0, 4000)}`)
})

test('every file is formatted (prettier --check .)', () => {
  const r = run([bin('prettier', 'bin/prettier.cjs'), '--check', '.', '--log-level', 'warn'])
  assert.is(r.status, 0, `not formatted (npm run format): ${r.out.replace(/\s*\n\s*/g, ' | ').slice(0, 4000)}`)
})

/** The .ts and .mjs files of src/, test/, bench/, bin/ and scripts/ (the lab's Go trees and fixtures aside). */
function sources(dir: string): string[] {
  const out: string[] = []
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name)
    if (e.isDirectory()) {
      if (!['node_modules', 'fixtures'].includes(e.name) && !e.name.startsWith('go')) out.push(...sources(rel))
    } else if (/\.(ts|mjs)$/.test(e.name)) out.push(rel)
  }
  return out
}

test('no source file is over 400 lines (split it: docs/CONTRIBUTING.md)', () => {
  const long = ['src', 'test', 'bench', 'bin', 'scripts']
    .flatMap(sources)
    .map((f) => ({ f, n: fs.readFileSync(path.join(root, f), 'utf8').split('\n').length - 1 }))
    .filter((x) => x.n > 400)
    .map((x) => `${x.f} (${x.n})`)
  assert.equal(long, [])
})

test.run()
