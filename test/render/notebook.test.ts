import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { renderNotebook, parseNotebook, proseOf, type NotebookEntry } from '../../src/render/notebook.ts'

const date = new Date('2025-01-02T03:04:05Z')

test('render: title, header, prose, js blocks and quoted output', () => {
  const entries: NotebookEntry[] = [
    { kind: 'prose', text: 'Why is web slow?' },
    { kind: 'code', input: '(await pods()).length', output: '5\n' },
    { kind: 'code', input: 'const x = 1', output: '' },
    { kind: 'code', input: 'await pods()', output: 'NAME   READY\n\nweb    1/1\n' },
  ]
  const md = renderNotebook(entries, { context: 'lab', namespace: 'shop', date })
  assert.is(
    md,
    `# kinspect notebook — lab:shop

Recorded with kinspect on 2025-01-02 03:04:05 UTC (context lab, namespace shop). Run it again with \`kinspect FILE.md\`.

Why is web slow?

\`\`\`js
(await pods()).length
\`\`\`

> \`\`\`text
> 5
> \`\`\`

\`\`\`js
const x = 1
\`\`\`

\`\`\`js
await pods()
\`\`\`

> \`\`\`text
> NAME   READY
>
> web    1/1
> \`\`\`
`,
  )
})

test('render strips ANSI colours and redacts secrets in inputs, outputs and prose', () => {
  const md = renderNotebook(
    [
      { kind: 'prose', text: 'token was --token=abcdef123' },
      {
        kind: 'code',
        input: "$`curl -H 'Authorization: Bearer eyJabc.def.ghi' x`",
        output: '\u001b[32m200\u001b[39m\nPASSWORD=hunter2\n',
      },
    ],
    { date },
  )
  assert.not.match(md, 'abcdef123')
  assert.not.match(md, 'eyJabc.def.ghi')
  assert.not.match(md, 'hunter2')
  assert.not.match(md, '\u001b[')
  assert.match(md, '> 200\n')
})

test('a code block containing ``` gets a longer fence and parses back whole', () => {
  const input = 'const md = `\n```js\nx\n```\n`'
  const md = renderNotebook([{ kind: 'code', input, output: '' }], { date })
  assert.match(md, '````js\n')
  assert.equal(parseNotebook(md).blocks, [input])
})

test('parse: js/javascript/mjs blocks in order; quoted, other-language and ~~~ text blocks are skipped', () => {
  const md =
    '# Title here\n\n```js\na()\n```\n\n> ```text\n> out\n> ```\n\n```sh\nls\n```\n\n~~~javascript\nb()\n~~~\n\n```mjs\nc()\nd()\n```\n'
  const nb = parseNotebook(md)
  assert.is(nb.title, 'Title here')
  assert.equal(nb.blocks, ['a()', 'b()', 'c()\nd()'])
})

test('round trip: render then parse gives the inputs back', () => {
  const inputs = ['const a = await pods()', 'a.length\n', 'q(a, "[*].metadata.name")']
  const md = renderNotebook(inputs.map((input) => ({ kind: 'code' as const, input, output: 'x' })))
  assert.equal(
    parseNotebook(md).blocks,
    inputs.map((i) => i.replace(/\n+$/, '')),
  )
})

test('proseOf: only inputs made of // lines are prose', () => {
  assert.is(proseOf('// hello there'), 'hello there')
  assert.is(proseOf('  //two\n// lines\n'), 'two\nlines')
  assert.is(proseOf('x // not prose'), undefined)
  assert.is(proseOf('/// triple'), undefined)
  assert.is(proseOf(''), undefined)
})

test.run()
