// Property tests: random secrets through every printer that can reach a notebook; none may survive `.save`, and every
// saved code cell must still compile. The forms and the whole-word rule are re-stated here, independent of the code.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import vm from 'node:vm'
import YAML from 'yaml'
import { Notebook } from '../../src/repl/notebook.ts'
import { formatValue } from '../../src/repl/index.ts'
import { formatError } from '../../src/repl/errors.ts'
import { ExecOutput, exitError } from '../../src/exec/types.ts'
import { renderDescription } from '../../src/render/kube-describe.ts'
import { describeGeneric } from '../../src/kube/describe.ts'
import { parseNotebook } from '../../src/render/notebook.ts'
import { REDACTED, TAINT_MIN, TAINT_WORD } from '../../src/render/notebook-redact.ts'

const RUNS = Number(process.env.KINSPECT_PROPERTY_RUNS ?? 100)
const date = new Date('2025-01-02T03:04:05Z')

/** The forms of a secret the notebook must not contain: raw, base64, base64-decoded, JSON-escaped, URL-encoded. */
function forms(v: string): string[] {
  const t = v.trim()
  const out = [t, Buffer.from(t).toString('base64'), JSON.stringify(t).slice(1, -1), encodeURIComponent(t)]
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(t) && t.length % 4 === 0) {
    const d = Buffer.from(t, 'base64').toString('utf8')
    if (!d.includes('\ufffd') && !/[\x00-\x1f\x7f]/.test(d)) out.push(d.trim())
  }
  return out.filter((f) => f.length >= TAINT_MIN)
}

/** Where a form survives in text: anywhere when long, as a whole word (no letter/digit glued to it) when short. */
function survives(text: string, f: string): boolean {
  const w = /[A-Za-z0-9]/
  for (let i = text.indexOf(f); i >= 0; i = text.indexOf(f, i + 1)) {
    if (f.length >= TAINT_WORD) return true
    const before = i > 0 && w.test(text[i - 1]) && w.test(f[0])
    const after = w.test(text[i + f.length] ?? '') && w.test(f[f.length - 1])
    if (!before && !after) return true
  }
  return false
}

function compilesAsCell(code: string): boolean {
  for (const wrapped of [`(async () => {\n${code}\n})`, `(async () => (\n${code}\n))`]) {
    try {
      new vm.Script(wrapped)
      return true
    } catch {
      // next form
    }
  }
  return false
}

function checkNotebook(md: string, secret: string, where: string): void {
  for (const f of forms(secret)) assert.not.ok(survives(md, f), `${where}: ${JSON.stringify(f)} survives in\n${md}`)
  for (const block of parseNotebook(md).blocks)
    assert.ok(compilesAsCell(block), `${where}: a saved cell does not compile:\n${block}`)
}

// Secrets long enough for taint: base64 of random bytes, random printable text, long numbers.
const longSecret = fc.oneof(
  fc.uint8Array({ minLength: 5, maxLength: 48 }).map((b) => Buffer.from(b).toString('base64')),
  fc
    .string({ minLength: TAINT_MIN, maxLength: 40 })
    .filter((s) => s.trim().length >= TAINT_MIN && !s.includes(REDACTED)),
  fc.integer({ min: 100_000, max: 2 ** 31 }).map(String),
)
// Short ones (a PIN): structure only.
const shortSecret = fc.oneof(
  fc.integer({ min: 0, max: 99_999 }).map(String),
  fc.string({ minLength: 1, maxLength: TAINT_MIN - 1 }).filter((s) => s.trim() !== ''),
)
const dataKey = fc.oneof(
  fc.constantFrom('apikey', 'tls.key', 'pin', 'config.json', 'x', 'user'),
  fc.stringMatching(/^[A-Za-z0-9._-]{1,16}$/),
)
const envName = fc.constantFrom(
  'DB_PASSWORD',
  'API_TOKEN',
  'AWS_SECRET_ACCESS_KEY',
  'STRIPE_KEY',
  'client_secret',
  'GITHUB_AUTH',
  'PASSWD',
  'MY_CREDENTIALS',
  'redisPassword',
)

const secretObject = (key: string, v: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'shop-creds', namespace: 'shop' },
  type: 'Opaque',
  data: { [key]: Buffer.from(v).toString('base64') },
  stringData: { [key]: v },
})
const podObject = (name: string, v: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'shop' },
  spec: {
    containers: [
      {
        name: 'web',
        image: 'busybox',
        env: [
          { name: 'HOME', value: '/root' },
          { name, value: v },
        ],
      },
    ],
  },
})
const kubeconfigObject = (v: string) => ({
  apiVersion: 'v1',
  kind: 'Config',
  users: [
    { name: 'admin', user: { token: v } },
    { name: 'oidc', user: { 'auth-provider': { name: 'oidc', config: { 'refresh-token': v } } } },
  ],
})

/** The REPL's printers of an object, each with a reader that gets the object back from the printed text. */
const PRINTERS: { name: string; print: (o: object) => string; read: (t: string) => unknown }[] = [
  // inspect prints nested objects past depth 4 as [Object]: read as the string '[Object]' on both sides.
  {
    name: 'inspect',
    print: (o) => formatValue(o, false),
    read: (t) => vm.runInNewContext(`(${t.replace(/\[(Object|Array)\]/g, "'[$1]'")})`),
  },
  { name: 'JSON (console.log)', print: (o) => JSON.stringify(o, null, 2), read: (t) => JSON.parse(t) },
  { name: 'JSON compact', print: (o) => JSON.stringify(o), read: (t) => JSON.parse(t) },
  {
    name: 'JSON (result string)',
    print: (o) => formatValue(JSON.stringify(o), false),
    read: (t) => JSON.parse(vm.runInNewContext(`(${t})`)),
  },
  { name: 'YAML (console.log)', print: (o) => YAML.stringify(o), read: (t) => YAML.parse(t) },
  {
    name: 'YAML (result string)',
    print: (o) => formatValue(YAML.stringify(o), false),
    read: (t) => YAML.parse(vm.runInNewContext(`(${t})`)),
  },
]

/** A notebook holding one input and its output. */
function alone(output: string, input = 'x'): string {
  const nb = new Notebook()
  nb.addCode(input, output)
  return nb.render({ date })
}

/** The quoted output of the notebook's only cell, as printed. */
function outputOf(md: string): string {
  return md
    .split('\n')
    .filter((l) => (l.startsWith('> ') || l === '>') && !/^> `{3,}/.test(l))
    .map((l) => l.slice(2))
    .join('\n')
}

/** The object with every secret position replaced by <redacted>; a value folded over lines reads `<redacted> <redacted>`. */
function normalise(v: unknown): unknown {
  if (typeof v === 'string') return /^<redacted>(?:\s+<redacted>)*$/.test(v) ? REDACTED : v
  if (Array.isArray(v)) return Array.from(v, normalise) // in this realm (v may come from a vm context)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]))
  return v
}

const SCAFFOLD = [
  'v1',
  'Secret',
  'Opaque',
  'shop-creds',
  'shop',
  'Pod',
  'web-1',
  'web',
  'busybox',
  'HOME',
  '/root',
  'Config',
  'admin',
  'oidc',
  'kinspect notebook',
  'Recorded with kinspect on 2025-01-02 03:04:05 UTC. Run it again with `kinspect FILE.md`.',
]
const clashes = (v: string, ...words: string[]) =>
  [...SCAFFOLD, ...words].some((w) => forms(v).some((f) => w.includes(f)) || w === v.trim())

test("structure alone: Secret data/stringData, secret env values and kubeconfig tokens are hidden, whatever their length; nothing else changes and every printer's output still reads back", () => {
  fc.assert(
    fc.property(fc.oneof(longSecret, shortSecret), dataKey, envName, (v, key, name) => {
      fc.pre(key !== '__proto__' && !clashes(v, key, name))
      const cases: [string, object, object][] = [
        [
          'Secret',
          secretObject(key, v),
          { ...secretObject(key, v), data: { [key]: REDACTED }, stringData: { [key]: REDACTED } },
        ],
        ['pod env', podObject(name, v), podObject(name, REDACTED)],
        ['kubeconfig', kubeconfigObject(v), kubeconfigObject(REDACTED)],
      ]
      for (const [what, obj, expected] of cases) {
        for (const p of PRINTERS) {
          const md = alone(p.print(obj))
          let back: unknown
          try {
            back = p.read(outputOf(md))
          } catch (e) {
            assert.unreachable(
              `${what} ${p.name}: the redacted output no longer reads back (${(e as Error).message}):\n${md}`,
            )
          }
          assert.equal(normalise(back), normalise(p.read(p.print(expected))), `${what} ${p.name}:\n${md}`)
          if (v.trim().length >= TAINT_MIN) checkNotebook(md, v, `${what} ${p.name}`)
        }
      }
    }),
    { numRuns: RUNS, includeErrorInReport: true },
  )
})

test('taint: a secret seen once is hidden in every later printer and in code the user typed; every cell still compiles', () => {
  fc.assert(
    fc.property(longSecret, dataKey, envName, (v, key, name) => {
      const nb = new Notebook()
      // Seen as a value (the REPL observes what `const s = await …` bound), never printed structurally.
      nb.taint.observe(secretObject(key, v))
      nb.addCode(`const s = await session.kube.get('secret', 'shop-creds')`, '')
      const result = {
        target: 'ssh:lab-1',
        argv: ['echo', v],
        exitCode: 1,
        stdout: `${v}\n`,
        stderr: `bad value ${v}\n`,
        durationMs: 3,
      }
      const outputs: [string, string][] = [
        [`Buffer.from(s.data[${JSON.stringify(key)}], 'base64').toString()`, formatValue(v, false)],
        [`s.data[${JSON.stringify(key)}]`, formatValue(Buffer.from(v).toString('base64'), false)],
        [`console.log(Buffer.from(s.data[${JSON.stringify(key)}], 'base64').toString())`, `${v}\n`],
        ["await node('lab-1').nothrow().$`echo ${x}`", formatValue(new ExecOutput(result), false)],
        ["await node('lab-1').$`echo ${x}`", formatError(exitError(new ExecOutput(result)))],
        ['await check()', formatError(new Error(`login failed for ${v}`))],
        ['JSON.stringify({ v })', formatValue(JSON.stringify({ v }), false)],
        ['url', formatValue(`https://api.example/?q=${encodeURIComponent(v)}`, false)],
        ['$`env`', `HOME=/root\n${name}=${v}\n`],
        ["describe('pod/web-1')", `    Environment:\n      ${name}:  ${v}\n`],
        [
          "describe('secret/shop-creds')",
          renderDescription(describeGeneric(secretObject(key, v) as never), { now: date.getTime(), color: false }),
        ],
      ]
      for (const [input, out] of outputs) nb.addCode(input, out)
      // Typed by the user: in a string, a template literal, a trailing comment, and (for a number) as a literal.
      nb.addCode(`const typed = ${JSON.stringify(v)}`, '')
      nb.addCode(`await node('lab-1').$\`echo ${v.replace(/[`\\$]/g, (c) => `\\${c}`)}\``, '')
      nb.addCode(`let n = 1 // was ${v.replace(/\n/g, ' ')}`, '')
      if (/^\d+$/.test(v)) nb.addCode(`const pin = ${v}; pin + 1`, `${Number(v) + 1}\n`)
      checkNotebook(nb.render({ date }), v, 'taint')
    }),
    { numRuns: RUNS, includeErrorInReport: true },
  )
})

test.run()
