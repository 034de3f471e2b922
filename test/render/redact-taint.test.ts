// Taint: the forms a seen secret is looked for in, the minimum length, and the whole-word rule for short forms.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import {
  hasSecret,
  redactText,
  REDACTED,
  secretsOf,
  TAINT_MIN,
  TAINT_WORD,
  taintForms,
  taintMatcher,
} from '../../src/render/notebook-redact.ts'
import { ExecOutput } from '../../src/exec/types.ts'

test("forms: raw, JSON/inspect/shell-escaped, URL-encoded, base64 (padded, unpadded, url-safe, with echo's newline)", () => {
  const v = `it's "x"/y+z`
  const f = taintForms(v)
  for (const want of [
    v,
    JSON.stringify(v).slice(1, -1),
    inspect(v).slice(1, -1),
    `it'\\''s "x"/y+z`,
    encodeURIComponent(v),
    Buffer.from(v).toString('base64'),
    Buffer.from(v).toString('base64').replace(/=+$/, ''),
    Buffer.from(v).toString('base64url'),
    Buffer.from(`${v}\n`).toString('base64'),
  ])
    assert.ok(f.includes(want), `missing form ${want}`)
})

test('forms: a base64 value adds what it decodes to (and its hex, as a Buffer prints); binary decodes add hex only', () => {
  const f = taintForms(Buffer.from('ak-7Hq2xLw9Zp').toString('base64'))
  assert.ok(f.includes('ak-7Hq2xLw9Zp'))
  assert.ok(f.includes(Buffer.from('ak-7Hq2xLw9Zp').toString('hex')))
  assert.ok(f.includes('61 6b 2d 37 48 71 32 78 4c 77 39 5a 70'), 'as inspect prints Buffer.from(v, "base64")')
  const bin = Buffer.from([0xff, 0x00, 0x81, 0x7f, 0x10, 0x20]).toString('base64')
  assert.ok(taintForms(bin).includes('ff00817f1020'))
  assert.not.ok(taintForms(bin).some((x) => x.includes('\u0000')))
})

test(`minimum length: values shorter than ${TAINT_MIN} characters (after trimming) are not tainted; a 1-character pin never hides every "1"`, () => {
  assert.equal(taintForms('1'), [])
  assert.equal(taintForms('  12345  '), [])
  assert.ok(taintForms('123456').includes('123456'))
  const t = taintMatcher(['1', '42'])
  const text = 'port 1, 42 pods, 10.0.0.1'
  assert.is(redactText(text, t), text)
})

test(`whole words below ${TAINT_WORD} characters, anywhere from ${TAINT_WORD} on`, () => {
  const t = taintMatcher(['123456', 'hunter2x', 'tok-Q1w2E3r4T5'])
  assert.is(redactText('rv 1234567 and 123456.', t), `rv 1234567 and ${REDACTED}.`)
  assert.is(redactText('postgres://u:hunter2x@db', t), `postgres://u:${REDACTED}@db`)
  assert.is(redactText('xhunter2x', t), 'xhunter2x')
  assert.is(redactText('prefix-tok-Q1w2E3r4T5suffix', t), `prefix-${REDACTED}suffix`)
})

test('taint hides a seen value in any later text: decoded, base64, JSON-escaped, URL-encoded, shell-quoted', () => {
  const seen = secretsOf({
    kind: 'Secret',
    metadata: { name: 'x' },
    data: { note: Buffer.from(`it's "q"`).toString('base64'), pin: 'NDMyMQ==' },
  })
  const t = taintMatcher(seen)
  const outputs = [
    `it's "q"`,
    inspect(`it's "q"`),
    JSON.stringify({ v: `it's "q"` }),
    `https://x/?q=${encodeURIComponent(`it's "q"`)}`,
    `ssh:lab-1 $ echo 'it'\\''s "q"'`,
    'NDMyMQ==',
  ]
  for (const o of outputs) {
    const out = redactText(o, t)
    assert.not.match(out, `s "q"`, o)
    assert.not.match(out, 'NDMyMQ==', o)
  }
  // the decoded pin (4 characters) is below the minimum: structure only
  assert.is(redactText('pin is 4321', t), 'pin is 4321')
})

test('secretsOf walks live values: Secret data whatever the key, numbers, env entries, token fields, strings, errors; never calls getters', () => {
  let called = false
  const v = {
    list: [{ kind: 'Secret', metadata: { name: 'a' }, data: { 'tls.key': 'S0VZ' }, stringData: { pin: 1234 } }],
    pod: {
      spec: {
        containers: [
          {
            env: [
              { name: 'DB_PASSWORD', value: 'hunter2-db' },
              { name: 'HOME', value: '/root' },
            ],
          },
        ],
      },
    },
    user: { token: 'sa-tok.Kx81Lm0Pq7Rs', username: 'admin', 'client-key': '/etc/k/client.key' },
    out: new ExecOutput({
      target: 'local',
      argv: ['cat'],
      exitCode: 0,
      stdout: 'apiVersion: v1\nkind: Secret\ndata:\n  apikey: YWstN0hxMnhMdzlacA==\n',
      stderr: '',
      durationMs: 1,
    }),
    err: new Error('login failed: --password=b4sic-Pa55'),
    get lazy() {
      called = true
      return { token: 'never-read-me' }
    },
  }
  Object.defineProperty(v.list, Symbol.for('nodejs.util.inspect.custom'), { value: () => 'a table', enumerable: false })
  const found = secretsOf(v)
  assert.equal(
    new Set(found),
    new Set(['S0VZ', '1234', 'hunter2-db', 'sa-tok.Kx81Lm0Pq7Rs', 'YWstN0hxMnhMdzlacA==', 'b4sic-Pa55']),
  )
  assert.not.ok(called)
})

test('hasSecret (the history file): by structure, pattern or taint', () => {
  assert.ok(hasSecret("const s = { kind: 'Secret', data: { k: 'dmFsdWU=' } }"))
  assert.ok(hasSecret('kubectl --token=abcdef123456 get pods'))
  assert.not.ok(hasSecret("login('tok-Q1w2E3r4T5')"))
  assert.ok(hasSecret("login('tok-Q1w2E3r4T5')", taintMatcher(['tok-Q1w2E3r4T5'])))
  assert.not.ok(hasSecret('(await pods()).length', taintMatcher(['tok-Q1w2E3r4T5'])))
})

test.run()
