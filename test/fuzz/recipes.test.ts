// Fuzz: recipe files (front matter, Markdown steps, JS syntax check) and parameter values; a generated recipe written in
// the documented format (docs/recipes.md) reads back as what was written.
import { test } from 'uvu'
import fc from 'fast-check'
import fs from 'node:fs'
import path from 'node:path'
import { parseRecipe, RecipeFormatError, RESERVED_PARAMS, type Recipe } from '../../src/recipes/format.ts'
import { ParamError, PARAM_TYPES, validateParams, type ParamDef, type ParamType } from '../../src/recipes/params.ts'
import { fuzz, textInput } from './harness.ts'

const SHIPPED = path.join(import.meta.dirname, '../../recipes')
const RECIPES = fs
  .readdirSync(SHIPPED)
  .filter((f) => f.endsWith('.md'))
  .map((f) => fs.readFileSync(path.join(SHIPPED, f), 'utf8'))
const split = (t: string) => {
  const end = t.indexOf('\n---\n', 4)
  return { fm: t.slice(4, end), body: t.slice(end + 5) }
}
const FRONT = RECIPES.map((t) => split(t).fm)
const BODIES = RECIPES.map((t) => split(t).body)

// Front matter and body mutated apart (so most cases get past the front matter), or a whole shipped recipe mutated.
const recipeText = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(textInput(FRONT, 3000), textInput(BODIES, 12_000))
      .map(([fm, body]) => `---\n${fm}\n---\n${body}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...FRONT), textInput(BODIES, 12_000))
      .map(([fm, body]) => `---\n${fm.replace(/^name: .*$/m, 'name: fuzz')}\n---\n${body}`),
  },
  { weight: 1, arbitrary: textInput(RECIPES, 12_000) },
)

function checkRecipe(r: Recipe, text: string): void {
  const lines = text.split(/\r\n?|\n/).length
  if (!r.steps.length || r.steps.some((s) => s.kind !== 'step' || !s.blocks.length))
    throw new Error('a recipe without steps, or a step without code')
  if (r.steps.length !== r.sections.filter((s) => s.kind === 'step').length)
    throw new Error('steps are not the step sections')
  let last = 0
  for (const s of r.sections) {
    if (!(s.line > last && s.line <= lines))
      throw new Error(`section "${s.title}" at line ${s.line} after ${last} (of ${lines})`)
    last = s.line
    for (const b of s.blocks)
      if (!(b.line > s.line && b.line <= lines && b.code.trim()))
        throw new Error(`block at line ${b.line} of section at ${s.line}`)
  }
  if (new Set(r.params.map((p) => p.name)).size !== r.params.length) throw new Error('duplicate parameter names')
}

fuzz({
  name: 'recipe files',
  input: fc.tuple(recipeText, fc.constantFrom('/r/fuzz.md', '/r/dns.md', '/r/svc.md')),
  run: ([text, file]: [string, string]) => parseRecipe(text, file),
  expected: (e) => e instanceof RecipeFormatError,
  check: (r: Recipe, [text, file]: [string, string]) => {
    checkRecipe(r, text)
    if (`/r/${r.name}.md` !== file) throw new Error(`name ${r.name} in ${file}`)
  },
})

// A recipe model, written as Markdown the way docs/recipes.md describes it.
const word = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/)
const words = fc.array(word, { minLength: 1, maxLength: 8 }).map((w) => w.join(' '))
const paramName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/).filter((n) => !RESERVED_PARAMS.has(n))
const TYPES = Object.keys(PARAM_TYPES) as ParamType[]
const defaults: Record<ParamType, fc.Arbitrary<string | number | boolean>> = {
  string: words,
  int: fc.integer({ min: -1e6, max: 1e6 }),
  bool: fc.boolean(),
  duration: fc.constantFrom('90s', '5m', '1h30m', '500ms'),
  pod: fc.constantFrom('web', 'shop/web-7d4b9c6f5-x2x7p'),
  node: fc.constantFrom('lab-1', 'node-a.example'),
  service: fc.constantFrom('web', 'kube-system/kube-dns'),
  deployment: fc.constantFrom('web', 'kube-system/coredns'),
}
const param = fc
  .record({
    name: paramName,
    type: fc.constantFrom(...TYPES),
    description: words,
    required: fc.boolean(),
    withDefault: fc.boolean(),
  })
  .chain((p) =>
    (p.required || !p.withDefault ? fc.constant(undefined) : defaults[p.type]).map((d) => ({ ...p, default: d })),
  )
const step = fc.record({
  title: words,
  explain: fc.array(words, { maxLength: 2 }),
  manual: fc.option(words),
  code: fc.array(fc.tuple(word, fc.integer({ min: 0, max: 999 })), { minLength: 1, maxLength: 3 }),
  after: fc.option(words),
})
const model = fc.record({
  name: fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?$/),
  summary: words,
  changes: fc.boolean(),
  params: fc.uniqueArray(param, { selector: (p) => p.name, maxLength: 4 }),
  title: fc.option(words),
  steps: fc.array(step, { minLength: 1, maxLength: 4 }),
})
type Model = typeof model extends fc.Arbitrary<infer M> ? M : never

const q = (s: string) => JSON.stringify(s)
function write(m: Model): string {
  const params = m.params.map((p) =>
    [
      `  - name: ${p.name}`,
      `    type: ${p.type}`,
      `    description: ${q(p.description)}`,
      `    required: ${p.required}`,
      ...(p.default === undefined ? [] : [`    default: ${typeof p.default === 'string' ? q(p.default) : p.default}`]),
    ].join('\n'),
  )
  const out = [
    '---',
    `name: ${q(m.name)}`,
    `summary: ${q(m.summary)}`,
    `changes: ${m.changes}`,
    ...(params.length ? ['params:', ...params] : []),
    '---',
    '',
  ]
  if (m.title !== null) out.push(`# ${m.title}`, '')
  for (const s of m.steps) {
    out.push(`## ${s.title}`, '', ...s.explain.flatMap((e) => [e, '']))
    if (s.manual !== null) out.push('```sh', `kubectl get ${s.manual}`, '```', '')
    out.push('```js', ...s.code.map(([v, n], i) => `const ${v}_${i} = ${n}`), '```', '')
    if (s.after !== null) out.push(s.after, '')
  }
  return out.join('\n')
}

test('property: a recipe written in the documented format reads back as written', () => {
  fc.assert(
    fc.property(model, (m) => {
      const r = parseRecipe(write(m), `/r/${m.name}.md`)
      const want = {
        name: m.name,
        summary: m.summary,
        changes: m.changes,
        params: m.params.map((p) => [
          p.name,
          p.type,
          p.description,
          p.required,
          p.type === 'duration' && p.default !== undefined ? PARAM_TYPES.duration.parse(String(p.default)) : p.default,
        ]),
        title: m.title ?? undefined,
        steps: m.steps.map((s) => [
          s.title,
          s.explain.join('\n\n'),
          s.manual === null ? [] : [`kubectl get ${s.manual}`],
          s.code.map(([v, n], i) => `const ${v}_${i} = ${n}`).join('\n'),
          s.after ?? '',
        ]),
      }
      const got = {
        name: r.name,
        summary: r.summary,
        changes: r.changes,
        params: r.params.map((p) => [p.name, p.type, p.description, p.required, p.default]),
        title: r.title,
        steps: r.steps.map((s) => [s.title, s.explain, s.manual, s.blocks.map((b) => b.code).join('\n'), s.after]),
      }
      if (JSON.stringify(got) !== JSON.stringify(want))
        throw new Error(`read back\n${JSON.stringify(got)}\nwrote\n${JSON.stringify(want)}`)
    }),
    { numRuns: 300 },
  )
})

// Parameter values: what the user types, against the parameters of a generated recipe.
const TYPE_OF: Record<ParamType, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string' && v !== '',
  int: Number.isSafeInteger,
  bool: (v) => typeof v === 'boolean',
  duration: (v) => typeof v === 'number' && v >= 0 && Number.isFinite(v),
  pod: (v) => typeof v === 'string',
  node: (v) => typeof v === 'string',
  service: (v) => typeof v === 'string',
  deployment: (v) => typeof v === 'string',
}
const typed = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '5m',
    '1h30m',
    '-3',
    '+7',
    '1e3',
    'yes',
    'off',
    'shop/web',
    'a/b/c',
    '9'.repeat(30),
    '1'.repeat(5000) + 'x',
    `${'1m'.repeat(3000)}x`,
  ),
)
const INHERITED = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']
const given = fc.dictionary(fc.oneof(paramName, fc.constantFrom(...INHERITED)), typed, { maxKeys: 4 })
const defs = fc.uniqueArray(
  fc.oneof(
    param,
    fc.tuple(param, fc.constantFrom(...INHERITED)).map(([p, name]) => ({ ...p, name })),
  ),
  { selector: (p) => p.name, maxLength: 4 },
)

fuzz({
  name: 'recipe parameter values',
  input: fc.tuple(defs, given),
  run: ([ps, g]: [Model['params'], Record<string, string>]) => {
    const params: ParamDef[] = ps.map((p) => ({
      name: p.name,
      type: p.type,
      description: p.description,
      required: p.required,
      ...(p.default === undefined
        ? {}
        : { default: p.type === 'duration' ? (PARAM_TYPES.duration.parse(String(p.default)) as number) : p.default }),
    }))
    return { params, out: validateParams({ name: 'fuzz', params }, g) }
  },
  expected: (e) => e instanceof ParamError && e.params.length > 0,
  check: ({ params, out }: { params: ParamDef[]; out: Record<string, unknown> }) => {
    if (JSON.stringify(Object.keys(out)) !== JSON.stringify(params.map((p) => p.name)))
      throw new Error(`keys ${Object.keys(out)} for ${params.map((p) => p.name)}`)
    for (const p of params) {
      const v = out[p.name]
      if (v === undefined ? p.required || p.default !== undefined : !TYPE_OF[p.type](v))
        throw new Error(
          `${p.name} (${p.type}${p.required ? ', required' : ''}) came out as ${typeof v} ${String(v).slice(0, 40)}`,
        )
    }
  },
})

test.run()
