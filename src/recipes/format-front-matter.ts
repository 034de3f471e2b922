// A recipe's YAML front matter: name, summary, changes and the params list, validated with file lines. Pure.
import { LineCounter, isMap, isSeq, isScalar, type Node as YamlNode, type YAMLMap } from 'yaml'
import { lineAt, MAX_YAML_DEPTH, parseYaml } from '../yaml-depth.ts'
import { describeYamlNode } from '../config-validate.ts'
import { isDnsLabel } from '../names.ts'
import { isParamType, parseParamValue, PARAM_TYPES, type ParamDef, type ParamType } from './params.ts'
import { RecipeFormatError } from './format-types.ts'

const TOP_KEYS = ['name', 'summary', 'params', 'changes'] as const
const PARAM_KEYS = ['name', 'type', 'default', 'required', 'description', 'example'] as const
/** Parameter names the runner itself uses (kinspect run NAME --teach ...). */
export const RESERVED_PARAMS = new Set(['teach', 'dry-run', 'dryRun', 'yes', 'y', 'o', 'output', 'help'])
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

const describeNode = (node: unknown) => describeYamlNode(node, 'nothing')

/** What the front matter declares (nameLine: the line of its name, for messages). */
export interface FrontMatter {
  name: string
  nameLine: number
  summary: string
  changes: boolean
  params: ParamDef[]
}

/** Parses and validates the front matter text (starting at file line firstLine); throws RecipeFormatError. */
export function frontMatter(yamlText: string, file: string, firstLine: number): FrontMatter {
  const lc = new LineCounter()
  const parsed = parseYaml(yamlText, { lineCounter: lc, uniqueKeys: true })
  if ('tooDeep' in parsed)
    throw new RecipeFormatError(
      file,
      lineAt(yamlText, parsed.tooDeep.offset) + firstLine - 1,
      `front matter is not valid YAML: collections nested ${parsed.tooDeep.depth} levels deep (at most ${MAX_YAML_DEPTH})`,
    )
  const { doc } = parsed
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
