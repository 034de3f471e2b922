// Discovery (config recipeDirs, shipped, by path), the recipes port, and the CLI/REPL wiring with exit codes.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { listRecipes, runRecipe } from '../../src/recipes/index.ts'
import { findRecipe, listRecipeEntries, recipeDirs, SHIPPED_DIR } from '../../src/recipes/loader.ts'
import { RecipeError } from '../../src/recipes/report.ts'
import { recipesPort, takeRunFlags } from '../../src/repl/recipes.ts'
import { main, parseArgs, type CliIO } from '../../src/cli.ts'
import { ShellError } from '../../src/repl/errors.ts'
import { defaultConfig } from '../../src/config.ts'
import { drive, fakeSession } from '../repl/fake.ts'
import { headlessShell, startRepl } from '../../src/repl/index.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-recipes-'))
const mine = path.join(tmp, 'mine')
fs.mkdirSync(mine)
const write = (file: string, text: string) => fs.writeFileSync(file, text)
const recipeText = (name: string, code: string, extra = '') =>
  `---\nname: ${name}\nsummary: the ${name} recipe\n${extra}---\n\n## Only step\n\n\`\`\`js\n${code}\n\`\`\`\n`
write(
  path.join(mine, 'good.md'),
  recipeText(
    'good',
    "finding({ severity: 'ok', message: `fine ${params.who}` })",
    'params:\n  - name: who\n    type: string\n    default: all\n    description: who to greet\n',
  ),
)
write(
  path.join(mine, 'bad.md'),
  recipeText('bad', "finding({ severity: 'fail', message: 'broken', remedy: 'fix it' })"),
)
write(path.join(mine, 'crash.md'), recipeText('crash', "throw new Error('kaboom')"))
write(path.join(mine, 'node.md'), recipeText('node', "finding({ severity: 'info', message: 'my own node recipe' })"))
write(
  path.join(mine, 'fixer.md'),
  recipeText(
    'fixer',
    "const r = await change('restart the thing', () => 'done')\nfinding({ severity: 'info', message: `result ${r}` })",
    'changes: true\n',
  ),
)
write(
  path.join(mine, 'waiter.md'),
  recipeText('waiter', "await new Promise((r) => setTimeout(r, 400))\nfinding({ severity: 'ok', message: 'waited' })"),
)
write(
  path.join(mine, 'first.md'),
  recipeText(
    'first',
    "finding({ severity: 'fail', message: 'the web pod crash-loops', remedy: 'look at the crash loop', next: { recipe: 'second', params: { who: 'web-1' } } })\nfinding({ severity: 'info', message: 'an aside', next: { recipe: 'good' } })",
  ),
)
write(
  path.join(mine, 'second.md'),
  recipeText(
    'second',
    "finding({ severity: 'warn', message: `looked at ${params.who}`, remedy: 'read it', next: { recipe: 'first' } })",
    'params:\n  - name: who\n    type: string\n    required: true\n    description: what to look at\n',
  ),
)
write(path.join(mine, 'broken.md'), '---\nname: wrong\nsummary: s\n---\n')
write(path.join(mine, 'README.md'), '# Not a recipe\n')

const session = () =>
  Object.assign(fakeSession(), { config: { ...defaultConfig(), recipeDirs: [mine, path.join(tmp, 'missing-dir')] } })
const sink = () => {
  const s = new PassThrough()
  let t = ''
  s.on('data', (d) => (t += d))
  return Object.assign(s, { text: () => t })
}

test('recipeDirs: the config folders first, then the shipped recipes/ folder', () => {
  assert.equal(recipeDirs({ recipeDirs: ['/a', '/b'] }, '/kinspect/recipes'), [
    { dir: '/a', origin: 'config' },
    { dir: '/b', origin: 'config' },
    { dir: '/kinspect/recipes', origin: 'shipped' },
  ])
  assert.is(path.basename(SHIPPED_DIR), 'recipes')
  assert.ok(fs.existsSync(path.join(SHIPPED_DIR, 'crashloop.md')))
})

test('listing: recipes with params, malformed files with file:line, READMEs left out, shadowed names marked', async () => {
  const list = await listRecipes({ session: session() })
  const byName = (n: string) => list.filter((r) => r.name === n)
  assert.equal(byName('good')[0].params, [
    { name: 'who', type: 'string', required: false, default: 'all', description: 'who to greet' },
  ])
  assert.is(byName('good')[0].description, 'the good recipe')
  assert.match(byName('broken')[0].error ?? '', `${path.join(mine, 'broken.md')}:2: name: expected "broken"`)
  assert.is(byName('README').length, 0)
  assert.equal(
    byName('node').map((r) => [r.file, r.shadowed]),
    [
      [path.join(mine, 'node.md'), false],
      [path.join(SHIPPED_DIR, 'node.md'), true],
    ],
  )
  assert.ok(byName('crashloop').length === 1)
  const entries = await listRecipeEntries(recipeDirs({ recipeDirs: [] }))
  // every .md of recipes/ is listed (an empty listing would make the check below pass vacuously), and parses
  const shipped = fs
    .readdirSync(SHIPPED_DIR)
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((f) => f.replace(/\.md$/, ''))
  assert.ok(shipped.length >= 6, shipped.join(' '))
  assert.equal(entries.map((e) => e.name).sort(), shipped.sort())
  assert.ok(
    entries.every((e) => e.origin === 'shipped' && e.recipe),
    'every shipped recipe parses',
  )
})

test('finding: by name (a config folder overrides a shipped recipe), by path, not found with suggestions', async () => {
  const dirs = recipeDirs(session().config)
  assert.is((await findRecipe('node', { dirs })).file, path.join(mine, 'node.md'))
  assert.is((await findRecipe('crashloop', { dirs })).file, path.join(SHIPPED_DIR, 'crashloop.md'))
  assert.is((await findRecipe('mine/good.md', { dirs, cwd: tmp })).name, 'good')
  assert.is((await findRecipe(path.join(SHIPPED_DIR, 'node.md'), { dirs })).file, path.join(SHIPPED_DIR, 'node.md'))
  try {
    await findRecipe('crashlop', { dirs })
    assert.unreachable()
  } catch (e) {
    assert.instance(e, RecipeError)
    assert.match((e as Error).message, 'no recipe named "crashlop"; did you mean crashloop?')
    assert.match((e as RecipeError).hint ?? '', /recipes: .*good.*crashloop/)
  }
  try {
    await findRecipe('./nope.md', { dirs, cwd: tmp })
    assert.unreachable()
  } catch (e) {
    assert.match((e as Error).message, `cannot read recipe ${path.join(tmp, 'nope.md')}: no such file`)
  }
})

test('runRecipe: params validated before anything runs (word style for .run), report streamed and returned', async () => {
  const out = sink()
  const report = (await runRecipe(
    'good',
    { who: 'you' },
    { session: session(), shell: headlessShell, output: out, color: false },
  )) as { exitCode: number }
  assert.is(report.exitCode, 0)
  assert.match(out.text(), '  OK    fine you')
  try {
    await runRecipe(
      'good',
      { whom: 'x' },
      { session: session(), shell: headlessShell, output: sink(), paramStyle: 'word' },
    )
    assert.unreachable()
  } catch (e) {
    assert.match((e as Error).message, 'unknown parameter whom: recipe good takes who (string)')
    assert.match((e as { hint: string }).hint, 'usage: .run good [who=all]')
  }
})

test('the port imports src/recipes/index.ts, and .run in the REPL uses it (flags, word params, summary line)', async () => {
  const port = recipesPort(headlessShell)
  const { out } = await drive(['.run good who=me', '.run bad', '.run good --dry-run', '.run good nope=1'], {
    recipes: port,
    session: session(),
  })
  assert.match(out, '  OK    fine me')
  assert.match(out, 'RecipeReport good: OK: 1 ok (exit 0)')
  assert.match(out, 'RecipeReport bad: FAIL: 1 failed (exit 1)')
  assert.match(out, '1 step planned; nothing was run')
  assert.match(out, 'error: unknown parameter nope: recipe good takes who (string)')
})

test('takeRunFlags / parseArgs: runner flags are taken out, the rest are recipe params', () => {
  assert.equal(takeRunFlags(['--teach', 'a=1', '-o', 'text', '--yes']), {
    options: { teach: true, format: 'text', yes: true },
    rest: ['a=1'],
  })
  assert.throws(() => takeRunFlags(['--teach', '-o', 'json']), /--teach and -o json cannot be combined/)
  assert.equal(takeRunFlags(['--output=text', '-y', '--dry-run']), {
    options: { format: 'text', yes: true, dryRun: true },
    rest: [],
  })
  assert.throws(
    () => takeRunFlags(['-o', 'yaml']),
    (e: unknown) => e instanceof ShellError && /-o: expected text or json, received "yaml"/.test((e as Error).message),
  )
  assert.throws(() => takeRunFlags(['--teach', '--dry-run']), /cannot be combined/)
  assert.equal(parseArgs(['run', 'crashloop', '--pod', 'web-1', '--dry-run', '-o', 'json']), {
    kind: 'run',
    name: 'crashloop',
    params: { pod: 'web-1' },
    dryRun: true,
    format: 'json',
  })
  assert.equal(parseArgs(['-n', 'shop', 'run', 'node', '--teach', '--node=lab-1']), {
    kind: 'run',
    name: 'node',
    params: { node: 'lab-1' },
    teach: true,
    namespace: 'shop',
  })
})

// --- the CLI, without a cluster: these recipes only report findings --------------------------------------
const cfg = path.join(tmp, '.recipes')
write(cfg, `recipeDirs:\n  - ${mine}\n`)
const env = {
  KUBECONFIG: '/nonexistent/kubeconfig',
  KINSPECT_CONFIG: cfg,
  HOME: tmp,
  NO_COLOR: '1',
  PATH: process.env.PATH,
}
function io(stdin = ''): CliIO & { out: () => string; err: () => string } {
  const stdout = sink()
  const stderr = sink()
  const input = new PassThrough()
  input.end(stdin)
  return { stdin: input, stdout, stderr, env, cwd: tmp, prog: 'kinspect', out: stdout.text, err: stderr.text }
}

test('kinspect run: exit 0 nothing failed, 1 a finding failed, 2 a step threw or the recipe could not be found/validated', async () => {
  const ok = io()
  assert.is(await main(['run', 'good', '--who', 'cli'], ok), 0, ok.err())
  assert.match(ok.out(), '  OK    fine cli')
  const bad = io()
  assert.is(await main(['run', 'bad'], bad), 1)
  assert.match(bad.out(), 'Result: FAIL: 1 failed (exit 1)')
  const crash = io()
  assert.is(await main(['run', 'crash'], crash), 2)
  assert.match(crash.out(), 'ERROR the step could not run: kaboom')
  const missing = io()
  assert.is(await main(['run', 'nothing-like-it'], missing), 2)
  assert.match(missing.err(), /^error: no recipe named "nothing-like-it"\nhint: recipes: /)
  const params = io()
  assert.is(await main(['run', 'good', '--whom', 'x'], params), 2)
  assert.match(
    params.err(),
    'error: unknown parameter --whom: recipe good takes who (string)\nhint: usage: kinspect run good [--who all]',
  )
  const malformed = io()
  assert.is(await main(['run', 'broken'], malformed), 2)
  assert.match(malformed.err(), `error: ${path.join(mine, 'broken.md')}:2: name: expected "broken"`)
  const byPath = io()
  assert.is(await main(['run', './mine/bad.md'], byPath), 1)
})

test('.run in the REPL: --teach waits for Enter and q stops; change() asks; the lines answered never reach the REPL', async () => {
  const port = recipesPort(headlessShell)
  const { out } = await drive(
    ['.run good --teach', '', '.run good who=q --teach', 'q', '.run fixer', 'y', '.run fixer', 'n', '6 * 7'],
    { recipes: port, session: session() },
  )
  assert.match(out, '[1/1] Only step\n  Press Enter to run this step (s = skip it, q = stop here) \n')
  assert.match(out, 'RecipeReport good: OK: 1 ok (exit 0)')
  assert.match(out, 'stopped in teach mode before step 1')
  assert.match(out, '  change: restart the thing\n  apply it? [y/N] ')
  assert.match(out, '  apply it? [y/N] \n  CHANGED restart the thing\n  INFO  result done')
  assert.match(out, 'NOT CHANGED restart the thing (declined)')
  assert.match(out, /> 42\n/) // the REPL goes on
  assert.not.match(out, /ReferenceError|is not defined/) // "q", "y" and "n" were answers, not REPL input
})

test('.run in a terminal REPL: the answers typed at the prompts go to the recipe (readline question)', async () => {
  const input = new PassThrough()
  const output = new PassThrough()
  let out = ''
  output.on('data', (d) => (out += d))
  const shell = startRepl({
    input,
    output,
    session: session(),
    terminal: true,
    color: false,
    recipes: recipesPort(headlessShell),
  })
  // Type as a person does: each answer after its question is on screen.
  const typeWhen = async (seen: string, line: string) => {
    for (let i = 0; i < 200 && !out.includes(seen); i++) await new Promise((r) => setTimeout(r, 10))
    assert.ok(out.includes(seen), `waited for ${JSON.stringify(seen)}; screen: ${out.slice(-300)}`)
    input.write(`${line}\r`)
  }
  input.write('.run good --teach\r')
  await typeWhen('Press Enter to run this step', '')
  await typeWhen('RecipeReport good: OK', '.run fixer')
  await typeWhen('apply it? [y/N]', 'y')
  await typeWhen('RecipeReport fixer', '.run waiter')
  await typeWhen('Recipe waiter', '6 * 7') // typed ahead while the step runs: evaluated after it, at the prompt
  await typeWhen('42', '.exit')
  await shell.closed
  assert.match(out, 'CHANGED restart the thing')
  const done = out.indexOf('RecipeReport waiter: OK')
  assert.ok(done > 0 && done < out.indexOf('42'), 'the typed-ahead line waited for the recipe')
  assert.not.match(out, /not defined/)
})

test('kinspect run -o json: the whole report, or {error} with exit 2', async () => {
  const r = io()
  assert.is(await main(['run', 'bad', '-o', 'json'], r), 1)
  const j = JSON.parse(r.out())
  assert.equal([j.recipe.name, j.exitCode, j.status, j.steps[0].findings[0].remedy], ['bad', 1, 'fail', 'fix it'])
  const e = io()
  assert.is(await main(['run', 'zzzz', '-o', 'json'], e), 2)
  assert.equal(JSON.parse(e.out()).error.message, 'no recipe named "zzzz"')
})

test('kinspect run --teach reads Enter from stdin; kinspect recipes lists summaries and params', async () => {
  const t = io('\n')
  assert.is(await main(['run', 'good', '--teach'], t), 0)
  assert.match(t.out(), '[1/1] Only step\n  Press Enter to run this step')
  const l = io()
  assert.is(await main(['recipes'], l), 0)
  assert.match(l.out(), /good +the good recipe\n +--who \(string, default all\) who to greet\n/)
  assert.match(l.out(), /crashloop +Why does a pod keep restarting\?/)
  assert.match(l.out(), /--pod \(pod, optional\) the pod to check/)
  assert.match(l.out(), /broken +malformed: /)
})

test('kinspect FILE.md: a file with recipe front matter runs as a recipe (exit code from its findings)', async () => {
  const r = io()
  assert.is(await main([path.join(mine, 'bad.md')], r), 1)
  assert.match(r.out(), 'Recipe bad — the bad recipe')
  assert.match(r.out(), '  FAIL  broken')
})

test('--follow runs the next recipe of each warn/fail finding once (not info ones, no loops); JSON nests them; exit is the worst', async () => {
  const out = sink()
  const report = await runRecipe(
    'first',
    {},
    { session: session(), shell: headlessShell, output: out, color: false, follow: true },
  )
  assert.equal(
    report.followed?.map((r) => [r.recipe.name, r.params, r.exitCode]),
    [['second', { who: 'web-1' }, 0]],
  )
  assert.is(report.exitCode, 1)
  assert.is(report.overallExitCode, 1)
  const text = out.text()
  assert.match(
    text,
    '  FAIL  the web pod crash-loops\n        remedy: look at the crash loop\n        next:   kinspect run second --who web-1\n',
  )
  assert.match(text, /Next: kinspect run second --who web-1  \(--follow runs it\)/)
  assert.ok(
    text.indexOf('--follow: kinspect run second --who web-1') > text.indexOf('Result: FAIL'),
    'the followed recipe runs after the first one ends',
  )
  assert.match(text, 'Recipe second — the second recipe')
  assert.not.match(text, 'Recipe good', "an info finding's next is not followed")
  assert.is(text.split('Recipe first —').length, 2, 'second names first as its next: already run, not again')
  // Without --follow the next is printed, not run.
  const plain = sink()
  const alone = await runRecipe('first', {}, { session: session(), shell: headlessShell, output: plain, color: false })
  assert.is(alone.followed, undefined)
  assert.not.match(plain.text(), 'Recipe second')
  // JSON: one document, the followed reports inside it.
  const j = io()
  assert.is(await main(['run', 'first', '--follow', '-o', 'json'], j), 1)
  const doc = JSON.parse(j.out())
  assert.equal(doc.steps[0].findings[0].next, {
    recipe: 'second',
    params: { who: 'web-1' },
    command: 'kinspect run second --who web-1',
  })
  assert.equal(
    doc.followed.map((r: { recipe: { name: string }; steps: { findings: { message: string }[] }[] }) => [
      r.recipe.name,
      r.steps[0].findings[0].message,
    ]),
    [['second', 'looked at web-1']],
  )
  assert.equal(parseArgs(['run', 'first', '--follow']), { kind: 'run', name: 'first', params: {}, follow: true })
})

test('.run NAME --follow in the REPL runs the next recipe too', async () => {
  const { out } = await drive(['.run first --follow'], { recipes: recipesPort(headlessShell), session: session() })
  assert.match(out, 'Recipe second — the second recipe')
  assert.match(out, 'RecipeReport first: FAIL: 1 failed, 1 info (exit 1)')
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
