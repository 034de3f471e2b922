// Redaction replaces only a secret's characters: code cells still compile, output quoting stays intact.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import vm from 'node:vm'
import { inspect } from 'node:util'
import YAML from 'yaml'
import { compiles, redactCode, redactText, REDACTED, taintMatcher } from '../../src/render/notebook-redact.ts'
import { parseNotebook, renderNotebook } from '../../src/render/notebook.ts'

const date = new Date('2025-01-02T03:04:05Z')

/** Compiles as a REPL cell runs (async function body or expression): written here, not taken from the code under test. */
function cellCompiles(code: string): boolean {
  for (const w of [`(async () => {\n${code}\n})`, `(async () => (\n${code}\n))`]) {
    try {
      new vm.Script(w)
      return true
    } catch {
      // next
    }
  }
  return false
}

test('regression: node(…).$`echo --token=…` keeps its closing backtick and still compiles', () => {
  const cell = 'await node("lab-1").$`echo --token=abc123def`'
  const out = redactCode(cell)
  assert.is(out, `await node("lab-1").$\`echo --token=${REDACTED}\``)
  assert.ok(cellCompiles(out))
  const md = renderNotebook(
    [{ kind: 'code', input: cell, output: 'ssh:lab-1 $ echo --token=abc123def  (exit 0, 5 ms)\n--token=abc123def\n' }],
    { date },
  )
  assert.not.match(md, 'abc123def')
  assert.ok(parseNotebook(md).blocks.every(cellCompiles))
})

test("regression: a YAML string printed by the REPL keeps every `\\n' +` and its closing `\\n'`", () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db' },
    data: { apikey: 'YWstN0hxMnhMdzlacA==', password: 'cGFzcw==' },
  }
  const shown = inspect(YAML.stringify(secret))
  const out = redactText(shown)
  assert.is(out.split('\n').length, shown.split('\n').length)
  assert.ok(out.endsWith("\\n'"), out)
  assert.match(out, `'  apikey: ${REDACTED}\\n' +`)
  assert.match(out, `'  password: ${REDACTED}\\n'`)
  // still one JS string, which is still YAML with the same keys
  const back = YAML.parse(vm.runInNewContext(`(${out})`))
  assert.equal(back.data, { apikey: REDACTED, password: REDACTED })
  assert.equal(back.metadata, { name: 'db' })
})

test('quoted values keep their quotes; a bare value stops before a quote, backtick or escape', () => {
  assert.is(redactText(`"token": "ab\\"cd"`), `"token": "${REDACTED}"`)
  assert.is(redactText(`{ password: 'it\\'s' }`), `{ password: '${REDACTED}' }`)
  assert.is(redactText('`--password=abc`'), `\`--password=${REDACTED}\``)
  assert.is(redactText("'PASSWORD=abc\\n'"), `'PASSWORD=${REDACTED}\\n'`)
  assert.is(redactText('Authorization: Bearer eyJhbGciOi.x'), `Authorization: Bearer ${REDACTED}`)
})

test('no dangling escape: a tainted value ending in a backslash takes the escaped backslash with it', () => {
  const t = taintMatcher(['abcdef\\'])
  const shown = inspect('x abcdef\\') // 'x abcdef\\'
  const out = redactText(shown, t)
  assert.type(vm.runInNewContext(`(${out})`), 'string', out)
  assert.not.match(out, 'abcdef')
})

test('code: secrets inside strings, templates, comments and regexes are replaced in place; interpolations and references stay', () => {
  const cases: [string, string][] = [
    [
      "const s = { kind: 'Secret', data: { apikey: 'YWstN0hxMnhMdzlacA==' } }",
      `const s = { kind: 'Secret', data: { apikey: '${REDACTED}' } }`,
    ],
    [
      'const e = [{ name: "DB_PASSWORD", value: "hunter2-db" }]',
      `const e = [{ name: "DB_PASSWORD", value: "${REDACTED}" }]`,
    ],
    ['const e = { name: "DB_PASSWORD", value: pw }', 'const e = { name: "DB_PASSWORD", value: pw }'],
    ['await $`sshpass -p ${pw} ssh x`', 'await $`sshpass -p ${pw} ssh x`'],
    ['await $`curl -u admin:hunter22 ${url}`', `await $\`curl -u admin:${REDACTED} \${url}\``],
    ['x = 1 // PASSWORD=hunter2', `x = 1 // PASSWORD=${REDACTED}`],
    ['const pw = "hunter2"; pw.length', 'const pw = "hunter2"; pw.length'],
  ]
  for (const [input, want] of cases) {
    const out = redactCode(input)
    assert.is(out, want, input)
    assert.ok(cellCompiles(out), out)
  }
})

test('code: a tainted value typed as a number becomes a string literal; inside a longer word it is left alone when short', () => {
  const t = taintMatcher(['8642097', 'tok-Q1w2E3r4T5'])
  assert.is(redactCode('const pin = 8642097; pin + 1', t), `const pin = '${REDACTED}'; pin + 1`)
  assert.is(redactCode('x.y86420971', t), 'x.y86420971')
  assert.is(redactCode("login('tok-Q1w2E3r4T5')", t), `login('${REDACTED}')`)
  assert.is(redactCode('const t = "it is tok-Q1w2E3r4T5!"', t), `const t = "it is ${REDACTED}!"`)
})

test('code: when a secret cannot be hidden in place the cell is kept as comments, so the notebook still runs', () => {
  const t = taintMatcher(['secretIdentifierName'])
  const out = redactCode('const secretIdentifierName = 1', t)
  assert.ok(cellCompiles(out), out)
  assert.not.match(out, 'secretIdentifierName')
  assert.ok(
    out.split('\n').every((l) => l.startsWith('//')),
    out,
  )
  // an input that never compiled (a dot-command) is redacted as text
  assert.is(redactCode('.run dns-check password=hunter2'), `.run dns-check password=${REDACTED}`)
  assert.ok(compiles('await pods()'))
  assert.not.ok(compiles('const = ;'))
})

test('every saved cell compiles: a session of mixed inputs with secrets in strings, templates, comments and objects', () => {
  const inputs = [
    "const s = await session.kube.get('secret', 'db')",
    "Buffer.from(s.data.apikey, 'base64').toString()",
    "await node('lab-1').$`mysql -uroot -phunter2pw -e ${q}`",
    'const conf = `token: tok-Q1w2E3r4T5\\npassword: "p@ss w0rd"`',
    '/* Authorization: Bearer eyJabcdefghij.klmnopqrst */ 1',
    "fetch('https://app:pgPa55word@db:5432/app', { headers: { Authorization: 'Bearer abcdefghijkl' } })",
  ]
  const md = renderNotebook(
    inputs.map((input) => ({ kind: 'code' as const, input, output: "'ak-7Hq2xLw9Zp'\n" })),
    { date },
    ['YWstN0hxMnhMdzlacA=='],
  )
  const blocks = parseNotebook(md).blocks
  assert.is(blocks.length, inputs.length)
  for (const b of blocks) assert.ok(cellCompiles(b), b)
  for (const s of [
    'ak-7Hq2xLw9Zp',
    'hunter2pw',
    'tok-Q1w2E3r4T5',
    'p@ss w0rd',
    'eyJabcdefghij',
    'pgPa55word',
    'abcdefghijkl',
  ])
    assert.not.match(md, s)
})

test.run()
