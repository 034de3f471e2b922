// The recipe file format: YAML front matter (name, summary, params, changes) and Markdown steps. Pure.
import path from 'node:path'
import vm from 'node:vm'
import { LineCounter, Parser, parseDocument, isMap, isSeq, isScalar, type Node as YamlNode, type YAMLMap } from 'yaml'
import { lineAt, MAX_YAML_DEPTH, withoutStacks, yamlDepth } from '../yaml-depth.ts'
import { describeYamlNode } from '../config.ts'
import { HintedError } from '../errors.ts'
import { isDnsLabel } from '../names.ts'
import { isDotCommand, JS_LANGS, SH_LANGS, WRONG_CODE_LANGS, scanMarkdown, type MdToken } from './markdown.ts'
import { isParamType, parseParamValue, PARAM_TYPES, type ParamDef, type ParamType } from './params.ts'

/** One ```js block of a step; `line` is the file line of its first code line. */
export interface CodeBlock {
  code: string
  line: number
}

/** A `## Heading` section: a step when it has ```js blocks, a note (prose only) otherwise. */
export interface Section {
  kind: 'step' | 'note'
  title: string
  line: number
  /** Prose before the code: the teaching part (the "Manual equivalent" label is dropped). */
  explain: string
  /** Shell commands an operator would type (```sh blocks), `{{param}}` placeholders unexpanded. */
  manual: string[]
  blocks: CodeBlock[]
  /** Prose after the last code block: how to read the result. */
  after: string
}

/** A parsed recipe. */
export interface Recipe {
  name: string
  summary: string
  changes: boolean
  params: ParamDef[]
  /** The `# Title`, if any. */
  title?: string
  /** Prose between the title and the first section. */
  intro: string
  sections: Section[]
  /** The sections that run (kind 'step'), in order. */
  steps: Section[]
  file: string
}

/** A malformed recipe file: the file, the line and what was expected there. */
export class RecipeFormatError extends HintedError<'invalid'> {
  override name = 'RecipeFormatError'
  constructor(
    public file: string,
    public line: number,
    public what: string,
    hint = 'docs/recipes.md describes the format',
  ) {
    super('invalid', `${file}:${line}: ${what}`, hint)
  }
}

const TOP_KEYS = ['name', 'summary', 'params', 'changes'] as const
const PARAM_KEYS = ['name', 'type', 'default', 'required', 'description', 'example'] as const
/** Parameter names the runner itself uses (kinspect run NAME --teach ...). */
export const RESERVED_PARAMS = new Set(['teach', 'dry-run', 'dryRun', 'yes', 'y', 'o', 'output', 'help'])
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The recipe name a file must declare: its base name without .md. */
export function recipeNameOf(file: string): string {
  return path.basename(file).replace(/\.(md|markdown)$/i, '')
}

/** True when the text starts with a front matter line (`---`): the file means to be a recipe. */
export function hasFrontMatter(text: string): boolean {
  return /^\uFEFF?---[ \t]*\r?\n/.test(text)
}

const describeNode = (node: unknown) => describeYamlNode(node, 'nothing')

/** Parses and validates a recipe file's text; throws RecipeFormatError naming the file and line. */
export function parseRecipe(text: string, file: string): Recipe {
  const lines = text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\n')
  const fail = (line: number, what: string, hint?: string): never => {
    throw new RecipeFormatError(file, line, what, hint)
  }
  if (!/^---\s*$/.test(lines[0] ?? ''))
    fail(
      1,
      `expected YAML front matter: a first line "---", then name, summary, params, changes, then "---"; received ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`,
      'a notebook saved with .save becomes a recipe by adding front matter (docs/recipes.md)',
    )
  const end = lines.findIndex((l, i) => i > 0 && /^(---|\.\.\.)\s*$/.test(l))
  if (end < 0) fail(1, 'the front matter opened here is not closed: expected a line "---" after it')
  const fm = frontMatter(lines.slice(1, end).join('\n'), file, 2)
  if (fm.name !== recipeNameOf(file))
    fail(
      fm.nameLine,
      `name: expected ${JSON.stringify(recipeNameOf(file))} (the file name without .md), received ${JSON.stringify(fm.name)}`,
      `rename the file to ${fm.name}.md or set name: ${recipeNameOf(file)}`,
    )
  const body = structure(
    lines.slice(end + 1),
    end + 2,
    file,
    new Set(['namespace', 'context', ...fm.params.map((p) => p.name)]),
  )
  return { ...fm, ...body, steps: body.sections.filter((s) => s.kind === 'step'), file }
}

interface FrontMatter {
  name: string
  nameLine: number
  summary: string
  changes: boolean
  params: ParamDef[]
}

function frontMatter(yamlText: string, file: string, firstLine: number): FrontMatter {
  const deep = yamlDepth(yamlText, Parser)
  if (deep.depth > MAX_YAML_DEPTH)
    throw new RecipeFormatError(
      file,
      lineAt(yamlText, deep.offset) + firstLine - 1,
      `front matter is not valid YAML: collections nested ${deep.depth} levels deep (at most ${MAX_YAML_DEPTH})`,
    )
  const lc = new LineCounter()
  const doc = withoutStacks(() => parseDocument(yamlText, { lineCounter: lc, prettyErrors: false, uniqueKeys: true }))
  const lineOf = (node: unknown) => {
    const r = (node as YamlNode | undefined)?.range
    return r ? lc.linePos(r[0]).line + firstLine - 1 : firstLine
  }
  const fail = (node: unknown, what: string, hint?: string): never => {
    throw new RecipeFormatError(file, lineOf(node), what, hint)
  }
  if (doc.errors.length) {
    const e = doc.errors[0]
    throw new RecipeFormatError(
      file,
      lc.linePos(e.pos[0]).line + firstLine - 1,
      `front matter is not valid YAML: ${e.message.split('\n')[0]}`,
    )
  }
  const root = doc.contents
  if (!isMap(root))
    fail(root, `front matter: expected a mapping with name, summary, params, changes; received ${describeNode(root)}`)
  const map = root as YAMLMap
  const get = (key: string) => map.items.find((p) => isScalar(p.key) && p.key.value === key)
  for (const pair of map.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : ''
    if (!(TOP_KEYS as readonly string[]).includes(k))
      fail(pair.key, `front matter: unknown key ${JSON.stringify(k)}; expected one of ${TOP_KEYS.join(', ')}`)
  }
  const str = (key: string, pair = get(key)): { value: string; line: number } => {
    if (!pair) fail(map, `front matter: expected a key "${key}" (a string)`)
    const v = pair!.value
    if (!isScalar(v) || typeof v.value !== 'string' || v.value.trim() === '')
      fail(v ?? pair!.key, `${key}: expected a non-empty string, received ${describeNode(v)}`)
    return { value: (v as { value: string }).value.trim(), line: lineOf(v) }
  }
  const name = str('name')
  if (!isDnsLabel(name.value))
    throw new RecipeFormatError(
      file,
      name.line,
      `name: expected lowercase letters, digits and "-" (like crashloop or node-disk), received ${JSON.stringify(name.value)}`,
    )
  const summary = str('summary')
  if (summary.value.includes('\n'))
    throw new RecipeFormatError(file, summary.line, 'summary: expected one line (it is what `kinspect recipes` lists)')
  let changes = false
  const ch = get('changes')
  if (ch) {
    if (!isScalar(ch.value) || typeof ch.value.value !== 'boolean')
      fail(
        ch.value ?? ch.key,
        `changes: expected true or false (whether the recipe changes anything in the cluster or on a node), received ${describeNode(ch.value)}`,
      )
    changes = (ch.value as { value: boolean }).value
  }
  const params: ParamDef[] = []
  const pp = get('params')
  if (pp && !(isScalar(pp.value) && pp.value.value === null)) {
    if (!isSeq(pp.value))
      fail(
        pp.value ?? pp.key,
        `params: expected a list of parameters (- name: ..., type: ...), received ${describeNode(pp.value)}`,
      )
    for (const item of (pp.value as { items: unknown[] }).items) params.push(paramDef(item, params, fail, lineOf))
  }
  return { name: name.value, nameLine: name.line, summary: summary.value, changes, params }
}

function paramDef(
  item: unknown,
  seen: ParamDef[],
  fail: (node: unknown, what: string, hint?: string) => never,
  lineOf: (n: unknown) => number,
): ParamDef {
  if (!isMap(item))
    fail(
      item,
      `params: expected each parameter to be a mapping (name, type, description, ...), received ${describeNode(item)}`,
    )
  const m = item as YAMLMap
  const get = (key: string) => m.items.find((p) => isScalar(p.key) && p.key.value === key)
  for (const pair of m.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : ''
    if (!(PARAM_KEYS as readonly string[]).includes(k))
      fail(pair.key, `params: unknown key ${JSON.stringify(k)}; expected one of ${PARAM_KEYS.join(', ')}`)
  }
  const scalar = (key: string) => {
    const p = get(key)
    return p ? { node: p.value, value: isScalar(p.value) ? p.value.value : undefined, keyNode: p.key } : undefined
  }
  const name = scalar('name')
  if (!name || typeof name.value !== 'string' || !PARAM_NAME.test(name.value))
    fail(
      name?.node ?? m,
      `params: expected name to be an identifier (letters, digits, _; like pod or tail), received ${describeNode(name?.node)}`,
    )
  const pname = name!.value as string
  if (RESERVED_PARAMS.has(pname))
    fail(
      name!.node,
      `params: the name ${JSON.stringify(pname)} is reserved for the runner's own flags (${[...RESERVED_PARAMS].join(', ')}); expected another name`,
    )
  if (seen.some((p) => p.name === pname))
    fail(name!.node, `params: expected unique names, ${JSON.stringify(pname)} is declared twice`)
  const type = scalar('type')
  if (!type || !isParamType(type.value))
    fail(
      type?.node ?? m,
      `params: ${pname}: expected type to be one of ${Object.keys(PARAM_TYPES).join(', ')}; received ${describeNode(type?.node)}`,
    )
  const t = type!.value as ParamType
  const desc = scalar('description')
  if (!desc || typeof desc.value !== 'string' || desc.value.trim() === '')
    fail(
      desc?.node ?? m,
      `params: ${pname}: expected a description (one line saying what it selects), received ${describeNode(desc?.node)}`,
    )
  const req = scalar('required')
  if (req && typeof req.value !== 'boolean')
    fail(req.node, `params: ${pname}: required: expected true or false, received ${describeNode(req.node)}`)
  const def: ParamDef = {
    name: pname,
    type: t,
    description: (desc!.value as string).trim(),
    required: req?.value === true,
    line: lineOf(name!.node),
  }
  const dflt = scalar('default')
  if (dflt && dflt.value !== null) {
    if (def.required)
      fail(dflt.node, `params: ${pname}: a required parameter cannot have a default; expected one of the two`)
    if (dflt.value === undefined || typeof dflt.value === 'object')
      fail(
        dflt.node,
        `params: ${pname}: default: expected ${PARAM_TYPES[t].expected}, received ${describeNode(dflt.node)}`,
      )
    const v = parseParamValue(t, String(dflt.value))
    const wrongKind =
      (t === 'bool' && typeof dflt.value !== 'boolean') || (t === 'int' && typeof dflt.value !== 'number')
    if (v instanceof Error || wrongKind)
      fail(
        dflt.node,
        `params: ${pname}: default: expected ${PARAM_TYPES[t].expected} (type ${t}), received ${describeNode(dflt.node)}`,
      )
    def.default = v as string | number | boolean
  }
  const ex = scalar('example')
  if (ex && ex.value !== null) {
    if (
      !['string', 'number', 'boolean'].includes(typeof ex.value) ||
      parseParamValue(t, String(ex.value)) instanceof Error
    )
      fail(
        ex.node,
        `params: ${pname}: example: expected ${PARAM_TYPES[t].expected} (type ${t}), received ${describeNode(ex.node)}`,
      )
    def.example = String(ex.value)
  }
  return def
}

const MANUAL_LABEL = /^\W*manual equivalents?\b[^\n]*$/i

function structure(
  lines: string[],
  firstLine: number,
  file: string,
  placeholders: ReadonlySet<string>,
): { title?: string; intro: string; sections: Section[] } {
  const { tokens, unclosed } = scanMarkdown(lines, firstLine)
  if (unclosed)
    throw new RecipeFormatError(
      file,
      unclosed.line,
      `the code block opened here is not closed: expected a line ${unclosed.marker} after it`,
    )
  let title: string | undefined
  const intro: string[] = []
  type Draft = Section & { afterCode: boolean; proseBits: string[]; afterBits: string[] }
  const sections: Draft[] = []
  const hasSteps = tokens.some((t) => t.kind === 'heading' && t.level === 2)
  let cur: Draft | undefined
  const open = (t: string, line: number) => {
    cur = {
      kind: 'note',
      title: t,
      line,
      explain: '',
      manual: [],
      blocks: [],
      after: '',
      afterCode: false,
      proseBits: [],
      afterBits: [],
    }
    sections.push(cur)
  }
  const addText = (text: string) => {
    // trimEnd, not /\s+$/: that regex is quadratic on a long blank run inside a paragraph
    for (const para of text
      .split(/\n[ \t]*\n/)
      .map((p) => p.replace(/^\n+/, '').trimEnd())
      .filter((p) => p.trim() !== '')) {
      if (!cur) intro.push(para)
      else if (cur.afterCode) cur.afterBits.push(para)
      else if (!MANUAL_LABEL.test(para.trim())) cur.proseBits.push(para)
    }
  }
  for (const t of tokens as MdToken[]) {
    if (t.kind === 'heading') {
      if (t.level === 1 && title === undefined && !cur) title = t.text
      else if (t.level === 2) open(t.text, t.line)
      else addText(`${'#'.repeat(t.level)} ${t.text}`)
      continue
    }
    if (t.kind === 'prose') {
      addText(t.text)
      continue
    }
    if (JS_LANGS.has(t.lang)) {
      if (t.body.trim() === '')
        throw new RecipeFormatError(file, t.line, 'empty ```js block: expected the code the step runs')
      if (!cur) {
        if (hasSteps)
          throw new RecipeFormatError(
            file,
            t.line,
            'code outside a step: expected a `## Step title` heading before this ```js block',
          )
        // A notebook without ## headings: each block is a step, titled by the prose before it.
        const bits = intro.splice(0)
        open(stepTitle(bits, sections.length + 1), t.line)
        cur!.proseBits.push(...bits)
      } else if (cur.afterCode && !hasSteps) {
        // Recorded output (> ```text ...) stays with the block before; other prose explains the next block.
        let q = 0
        while (q < cur.afterBits.length && cur.afterBits[q].startsWith('>')) q++
        const bits = cur.afterBits.splice(q)
        open(stepTitle(bits, sections.length + 1), t.line)
        cur!.proseBits.push(...bits)
      } else if (cur.afterCode) {
        cur.proseBits.push(...cur.afterBits.splice(0))
      }
      checkSyntax(t.body, t.bodyLine, file)
      cur!.kind = 'step'
      cur!.blocks.push({ code: t.body, line: t.bodyLine })
      cur!.afterCode = true
      continue
    }
    if (WRONG_CODE_LANGS.has(t.lang))
      throw new RecipeFormatError(
        file,
        t.line,
        `expected a \`\`\`js block (steps run as JavaScript), received \`\`\`${t.lang}`,
      )
    if (SH_LANGS.has(t.lang)) {
      t.body.split('\n').forEach((l, k) => {
        for (const m of l.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
          if (!placeholders.has(m[1]))
            throw new RecipeFormatError(
              file,
              t.bodyLine + k,
              `unknown placeholder {{${m[1]}}} in a manual command: expected a parameter of the recipe (${[...placeholders].map((x) => `{{${x}}}`).join(', ')})`,
            )
        }
      })
      if (!cur) intro.push(fenceText(t))
      else cur.manual.push(t.body.trimEnd())
      continue
    }
    addText(fenceText(t))
  }
  const done = sections.map(({ afterCode: _a, proseBits, afterBits, ...s }) => ({
    ...s,
    explain: proseBits.join('\n\n'),
    after: afterBits.join('\n\n'),
  }))
  if (!done.some((s) => s.kind === 'step'))
    throw new RecipeFormatError(
      file,
      firstLine,
      'expected at least one step: a `## Title` heading followed by a ```js block',
    )
  return { title, intro: intro.join('\n\n'), sections: done }
}

function fenceText(t: { info: string; body: string }): string {
  const f = t.body.includes('```') ? '~~~' : '```'
  return `${f}${t.info}\n${t.body}\n${f}`
}

/** A step title for a notebook block: the first line of the last paragraph before it, else "Step N". */
function stepTitle(bits: string[], n: number): string {
  const para = [...bits]
    .reverse()
    .find((b) => /\w/.test(b) && !b.startsWith('>') && !b.startsWith('```') && !b.startsWith('~~~'))
  const t = para
    ?.split('\n')[0]
    .replace(/^[#>*\s-]+/, '')
    .replace(/[*_`]/g, '')
    .trim()
  return t ? (t.length > 60 ? `${t.slice(0, 59).trimEnd()}…` : t) : `Step ${n}`
}

/** Compiles a block (as the body of an async function, without running it) so syntax errors name their line. */
function checkSyntax(code: string, line: number, file: string): void {
  if (isDotCommand(code)) return
  try {
    new vm.Script(`(async () => {\n${code}\n})`, { filename: file, lineOffset: line - 2 })
  } catch (e) {
    const m = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`).exec(
      String((e as Error).stack ?? ''),
    )
    throw new RecipeFormatError(
      file,
      m ? Number(m[1]) : line,
      `JavaScript syntax error: ${(e as Error).message}; expected a valid \`\`\`js block`,
    )
  }
}
