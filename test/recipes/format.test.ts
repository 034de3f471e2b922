// The recipe format: front matter, steps (prose, manual equivalent, js, after-text), notebooks, malformed files.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseRecipe, RecipeFormatError, recipeNameOf } from '../../src/recipes/format.ts'
import { renderNotebook } from '../../src/render/notebook.ts'
import { assertFast } from '../fast.ts'

const GOOD = `---
name: demo
summary: A demo recipe
params:
  - name: pod
    type: pod
    description: the pod
    example: web-1
  - name: tail
    type: int
    default: 20
    description: log lines
  - name: since
    type: duration
    default: 5m
    description: how far back
  - name: deep
    type: bool
    default: false
    description: look harder
  - name: target
    type: node
    required: true
    description: the node
changes: true
---

# Demo

Intro paragraph.

## First step

Why this step matters.

Manual equivalent:

\`\`\`sh
kubectl get pod {{pod}} -n {{namespace}}
\`\`\`

\`\`\`js
finding({ severity: 'ok', message: 'fine' })
\`\`\`

What the result means.

## Background

Only prose: a note.

## Second step

\`\`\`javascript
const a = 1
\`\`\`

Between blocks.

\`\`\`js
a + 1
\`\`\`
`

test('front matter: name, summary, typed params with parsed defaults, changes', () => {
  const r = parseRecipe(GOOD, '/x/demo.md')
  assert.is(r.name, 'demo')
  assert.is(r.summary, 'A demo recipe')
  assert.is(r.changes, true)
  assert.equal(
    r.params.map((p) => [p.name, p.type, p.default, p.required, p.example]),
    [
      ['pod', 'pod', undefined, false, 'web-1'],
      ['tail', 'int', 20, false, undefined],
      ['since', 'duration', 300, false, undefined],
      ['deep', 'bool', false, false, undefined],
      ['target', 'node', undefined, true, undefined],
    ],
  )
  assert.is(r.params[0].line, 5)
  assert.is(r.title, 'Demo')
  assert.is(r.intro, 'Intro paragraph.')
})

test('steps: explanation without the label, manual commands, code with its line, the text after', () => {
  const r = parseRecipe(GOOD, '/x/demo.md')
  assert.equal(
    r.sections.map((s) => [s.kind, s.title]),
    [
      ['step', 'First step'],
      ['note', 'Background'],
      ['step', 'Second step'],
    ],
  )
  assert.equal(
    r.steps.map((s) => s.title),
    ['First step', 'Second step'],
  )
  const [first, second] = r.steps
  assert.is(first.explain, 'Why this step matters.')
  assert.equal(first.manual, ['kubectl get pod {{pod}} -n {{namespace}}'])
  const codeLine = GOOD.split('\n').indexOf("finding({ severity: 'ok', message: 'fine' })") + 1
  assert.equal(first.blocks, [{ code: "finding({ severity: 'ok', message: 'fine' })", line: codeLine }])
  assert.is(GOOD.split('\n')[codeLine - 2], '```js')
  assert.is(first.after, 'What the result means.')
  assert.equal(
    second.blocks.map((b) => b.code),
    ['const a = 1', 'a + 1'],
  )
  assert.is(second.explain, 'Between blocks.')
  assert.is(r.sections[1].explain, 'Only prose: a note.')
})

test('a notebook written by .save plus front matter is a recipe: each js block a step, outputs stay with it', () => {
  const nb = renderNotebook(
    [
      { kind: 'prose', text: 'Checking the web pods' },
      { kind: 'code', input: 'const n = (await pods()).length', output: '' },
      { kind: 'code', input: 'n + 1', output: '3\n' },
      { kind: 'prose', text: 'Now the node' },
      { kind: 'code', input: '.ns kube-system', output: '' },
    ],
    { context: 'lab', namespace: 'shop', date: new Date('2025-01-01T00:00:00Z') },
  )
  const md = `---\nname: saved\nsummary: a saved session\n---\n${nb}`
  const r = parseRecipe(md, 'saved.md')
  assert.equal(
    r.steps.map((s) => s.blocks.map((b) => b.code)),
    [['const n = (await pods()).length'], ['n + 1'], ['.ns kube-system']],
  )
  assert.equal(
    r.steps.map((s) => s.title),
    ['Checking the web pods', 'Step 2', 'Now the node'],
  )
  assert.match(r.steps[0].explain, /^Recorded with kinspect on 2025-01-01[^]*Checking the web pods$/)
  assert.match(r.steps[1].after, '> ```text')
  assert.is(r.title, 'kinspect notebook — lab:shop')
})

test('recipeNameOf: the file name without .md', () => {
  assert.is(recipeNameOf('/a/b/crashloop.md'), 'crashloop')
  assert.is(recipeNameOf('node.markdown'), 'node')
})

/** Asserts that parsing fails at `line` with a message matching `re` that starts with the file name. */
function malformed(text: string, line: number, re: RegExp, file = '/r/demo.md') {
  try {
    parseRecipe(text, file)
  } catch (e) {
    assert.instance(e, RecipeFormatError)
    const err = e as RecipeFormatError
    assert.is(err.file, file)
    assert.is(err.line, line, `line of: ${err.message}`)
    assert.ok(err.message.startsWith(`${file}:${line}: `), err.message)
    assert.match(err.message, re)
    assert.ok(err.hint, 'a hint')
    return
  }
  assert.unreachable(`expected a RecipeFormatError for:\n${text}`)
}

const fm = (body: string) => `---\nname: demo\nsummary: s\n${body}---\n## S\n\n\`\`\`js\n1\n\`\`\`\n`

test('malformed front matter names the file, the line and what was expected', () => {
  malformed('# no front matter\n', 1, /expected YAML front matter: a first line "---"/)
  malformed('---\nname: demo\nsummary: s\n', 1, /front matter opened here is not closed: expected a line "---"/)
  malformed('---\nname: demo\nsummary: [unclosed\n---\n', 3, /front matter is not valid YAML/)
  malformed(fm('colour: red\n'), 4, /unknown key "colour"; expected one of name, summary, params, changes/)
  malformed('---\nsummary: s\n---\n', 2, /expected a key "name"/)
  malformed(
    '---\nname: other\nsummary: s\n---\n',
    2,
    /name: expected "demo" \(the file name without \.md\), received "other"/,
  )
  malformed('---\nname: Demo_1\nsummary: s\n---\n', 2, /name: expected lowercase letters/, '/r/Demo_1.md')
  malformed('---\nname: demo\nsummary: |\n  two\n  lines\n---\n', 3, /summary: expected one line/)
  malformed(fm('changes: yes please\n'), 4, /changes: expected true or false/)
  malformed(fm('params: pod\n'), 4, /params: expected a list of parameters/)
  malformed(
    fm('params:\n  - name: tail\n    type: integer\n    description: d\n'),
    6,
    /tail: expected type to be one of string, int, bool, duration, pod, node, service, deployment; received the string "integer"/,
  )
  malformed(
    fm('params:\n  - name: tail\n    type: int\n    default: ten\n    description: d\n'),
    7,
    /tail: default: expected a whole number \(type int\), received the string "ten"/,
  )
  malformed(
    fm('params:\n  - name: deep\n    type: bool\n    default: "maybe"\n    description: d\n'),
    7,
    /deep: default: expected true or false/,
  )
  malformed(
    fm('params:\n  - name: p\n    type: string\n    description: d\n    required: true\n    default: x\n'),
    9,
    /a required parameter cannot have a default/,
  )
  malformed(fm('params:\n  - name: p\n    type: string\n'), 5, /p: expected a description/)
  malformed(fm('params:\n  - name: yes\n    type: bool\n    description: d\n'), 5, /the name "yes" is reserved/)
  malformed(
    fm('params:\n  - name: p\n    type: string\n    description: d\n  - name: p\n    type: int\n    description: d\n'),
    8,
    /"p" is declared twice/,
  )
  malformed(
    fm('params:\n  - name: p\n    type: string\n    description: d\n    colour: x\n'),
    8,
    /params: unknown key "colour"/,
  )
  malformed(
    fm('params:\n  - name: 9lives\n    type: string\n    description: d\n'),
    5,
    /expected name to be an identifier/,
  )
  malformed(
    fm('params:\n  - name: s\n    type: duration\n    example: soon\n    description: d\n'),
    7,
    /s: example: expected a duration/,
  )
})

test('malformed steps name the line: unclosed fence, no steps, wrong language, syntax error, stray code, placeholders', () => {
  const head = '---\nname: demo\nsummary: s\n---\n'
  malformed(
    `${head}## S\n\n\`\`\`js\nconst a = 1\n`,
    7,
    /the code block opened here is not closed: expected a line ``` after it/,
  )
  malformed(
    `${head}# Title\n\nOnly prose.\n`,
    5,
    /expected at least one step: a `## Title` heading followed by a ```js block/,
  )
  malformed(
    `${head}## S\n\n\`\`\`ts\nconst a: number = 1\n\`\`\`\n`,
    7,
    /expected a ```js block \(steps run as JavaScript\), received ```ts/,
  )
  malformed(
    `${head}## S\n\n\`\`\`js\nconst a = 1\nconst = 2\n\`\`\`\n`,
    9,
    /JavaScript syntax error: .*; expected a valid ```js block/,
  )
  malformed(
    `${head}\`\`\`js\n1\n\`\`\`\n\n## S\n\n\`\`\`js\n2\n\`\`\`\n`,
    5,
    /code outside a step: expected a `## Step title` heading before this ```js block/,
  )
  malformed(`${head}## S\n\n\`\`\`js\n\n\`\`\`\n`, 7, /empty ```js block/)
  malformed(
    `${head}## S\n\n\`\`\`sh\nkubectl get pod {{pod}}\n\`\`\`\n\n\`\`\`js\n1\n\`\`\`\n`,
    8,
    /unknown placeholder \{\{pod\}\} in a manual command: expected a parameter of the recipe \(\{\{namespace\}\}, \{\{context\}\}\)/,
  )
})

test('top-level await, return-free blocks and ~~~ fences parse; other fences stay prose', () => {
  const r = parseRecipe(
    '---\nname: demo\nsummary: s\n---\n## S\n\n~~~yaml\na: 1\n~~~\n\n~~~js\nconst p = await pods()\n~~~\n',
    'demo.md',
  )
  assert.equal(r.steps[0].blocks, [{ code: 'const p = await pods()', line: 12 }])
  assert.match(r.steps[0].explain, 'a: 1')
})

// Regression cases found by test/fuzz/recipes.test.ts (fast-check counterexamples, shrunk).
test('fuzz regressions: a long blank run inside a heading or a paragraph is read in linear time; closing #s still go', () => {
  const blanks = ' '.repeat(30000)
  const text = `---\nname: demo\nsummary: s\n---\n## Step${blanks}one ##\n\nwhy${blanks}not\n\n\`\`\`js\n1\n\`\`\`\n`
  // the heading and paragraph regexes took seconds on this
  const r = assertFast(() => parseRecipe(text, 'demo.md'), 50, 'long blank runs in a heading and a paragraph')
  assert.equal([r.steps[0].title, r.steps[0].explain], [`Step${blanks}one`, `why${blanks}not`])
  assert.equal(
    parseRecipe('---\nname: demo\nsummary: s\n---\n## C# ###\n```js\n1\n```\n', 'demo.md').steps[0].title,
    'C#',
  )
})

test.run()
