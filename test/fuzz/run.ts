// npm run fuzz: every test/fuzz/*.test.ts with a large budget (KINSPECT_FUZZ_CASES, default 100,000 cases per parser, no
// time limit), one file at a time, then a table per parser: cases, failures, max and p99 ms per case, total time.
// Usage: npm run fuzz [-- FILTER...]   (KINSPECT_FUZZ_SEED replays a run; KINSPECT_FUZZ_SECONDS caps each parser)
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { FuzzFigures } from './harness.ts'

const dir = import.meta.dirname
const root = path.resolve(dir, '../..')
const filters = process.argv.slice(2)
const cases = process.env.KINSPECT_FUZZ_CASES || '100000'
const files = fs
  .readdirSync(dir)
  .filter(
    (f) => f.endsWith('.test.ts') && f !== 'harness.test.ts' && (!filters.length || filters.some((x) => f.includes(x))),
  )
  .sort()

const rows: FuzzFigures[] = []
const broken: string[] = []
const t0 = Date.now()
for (const f of files) {
  const started = Date.now()
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, f)], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', KINSPECT_FUZZ_CASES: cases },
    maxBuffer: 256 << 20,
  })
  // uvu's progress dots share the line: "• • #fuzz {…}"
  const figs = (r.stdout ?? '').split('\n').flatMap((l) => {
    const m = /#fuzz (\{[^]*\})\s*$/.exec(l) // [^]: a failure message may hold U+2028, which JSON leaves raw and '.' does not match
    return m ? [JSON.parse(m[1]) as FuzzFigures] : []
  })
  rows.push(...figs)
  const failed = figs.some((x) => x.failures) || r.status !== 0
  console.log(`${failed ? 'FAIL' : 'ok  '} ${f} (${((Date.now() - started) / 1000).toFixed(0)} s)`)
  if (failed) {
    broken.push(f)
    // fast-check's shrunk counterexample and the assertion, as uvu printed them
    console.log(
      ((r.stdout ?? '') + (r.stderr ?? ''))
        .split('\n')
        .map((l) => `    ${l.replace(/#fuzz \{[^]*$/, '')}`)
        .join('\n'),
    )
  }
}

const table = [
  ['parser', 'cases', 'failures', 'remeasured', 'max ms', 'p99 ms', 'total s'],
  ...rows.map((x) => [
    x.name,
    String(x.cases),
    String(x.failures),
    String(x.remeasured),
    x.maxMs.toFixed(2),
    x.p99Ms.toFixed(2),
    (x.totalMs / 1000).toFixed(1),
  ]),
]
const width = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)))
console.log(
  `\n${table.map((row) => row.map((c, i) => (i ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ')).join('\n')}`,
)
for (const x of rows.filter((x) => x.failures))
  console.log(
    `\n${x.name}: ${x.failures} failures, by kind:\n${(x.kinds ?? []).map((k) => `  ${k.count}x ${k.kind}`).join('\n')}`,
  )
console.log(
  `\n${rows.length} parsers, ${rows.reduce((s, x) => s + x.cases, 0)} cases, ${rows.reduce((s, x) => s + x.failures, 0)} failures, ${((Date.now() - t0) / 1000).toFixed(0)} s` +
    '\n"remeasured": cases over 50 ms on their first run, measured again (a case fails only when its fastest of 5 runs is over, in wall time and in CPU time).',
)
process.exit(broken.length ? 1 : 0)
