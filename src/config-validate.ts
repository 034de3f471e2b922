// The checks of the `.recipes` YAML config: each failure a ConfigError naming the file, the key path and the line.
import path from 'node:path'
import { isMap, isSeq, isScalar, type LineCounter, type Node as YamlNode, type Pair } from 'yaml'
import { HintedError } from './errors.ts'
import { parseDuration } from './recipes/params.ts'

/** Why the config could not be used; names the file, the key path and the line. */
export class ConfigError extends HintedError<'missing' | 'parse' | 'invalid'> {
  override name = 'ConfigError'
  constructor(
    kind: 'missing' | 'parse' | 'invalid',
    public file: string,
    message: string,
    hint?: string,
    public keyPath?: string,
    public line?: number,
    cause?: unknown,
  ) {
    super(kind, message, hint, cause)
  }
}

/** The hint of every config error. */
export const HINT = 'see .recipes.example for every key and its type'

/** How a YAML node reads in an error message ("the string \"x\"", "a list"); `missing` is what an absent node reads as. */
export function describeYamlNode(node: unknown, missing = 'nothing (null)'): string {
  if (node === null || node === undefined) return missing
  if (isMap(node)) return 'a mapping'
  if (isSeq(node)) return 'a list'
  if (isScalar(node)) {
    const v = node.value
    if (v === null) return 'nothing (null)'
    if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`
    return `the ${typeof v} ${String(v)}`
  }
  return 'an alias or tag'
}

/** The checks a config section needs: key sets, scalars and lists, each failure naming the key path and line. */
export class Validator {
  constructor(
    private file: string,
    private lc: LineCounter,
    private dir: string,
    private home: string,
  ) {}

  line(node: unknown): number | undefined {
    const r = (node as YamlNode | undefined)?.range
    return r ? this.lc.linePos(r[0]).line : undefined
  }

  fail(keyPath: string, node: unknown, expected: string, received = describeYamlNode(node)): never {
    const line = this.line(node)
    throw new ConfigError(
      'invalid',
      this.file,
      `${this.file}${line ? `:${line}` : ''}: ${keyPath}: expected ${expected}, received ${received}`,
      HINT,
      keyPath,
      line,
    )
  }

  pairs(keyPath: string, node: unknown, allowed: readonly string[]): Map<string, { pair: Pair; value: unknown }> {
    if (!isMap(node)) this.fail(keyPath || '(top level)', node, 'a mapping')
    const out = new Map<string, { pair: Pair; value: unknown }>()
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined
      const kp = keyPath ? `${keyPath}.${String(key)}` : String(key)
      if (typeof key !== 'string')
        this.fail(keyPath || '(top level)', pair.key, 'string keys', describeYamlNode(pair.key))
      if (!allowed.includes(key))
        this.fail(kp, pair.key, `one of the keys ${allowed.join(', ')}`, `the unknown key "${key}"`)
      out.set(key, { pair, value: pair.value })
    }
    return out
  }

  str(keyPath: string, node: unknown): string {
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '')
      this.fail(keyPath, node, 'a non-empty string')
    return node.value
  }

  filePath(keyPath: string, node: unknown): string {
    const p = this.str(keyPath, node)
    const expanded = p === '~' ? this.home : p.startsWith('~/') ? path.join(this.home, p.slice(2)) : p
    return path.resolve(this.dir, expanded)
  }

  bool(keyPath: string, node: unknown): boolean {
    if (!isScalar(node) || typeof node.value !== 'boolean') this.fail(keyPath, node, 'true or false')
    return node.value
  }

  port(keyPath: string, node: unknown): number {
    if (
      !isScalar(node) ||
      typeof node.value !== 'number' ||
      !Number.isInteger(node.value) ||
      node.value < 1 ||
      node.value > 65535
    )
      this.fail(keyPath, node, 'a port number 1-65535')
    return node.value
  }

  count(keyPath: string, node: unknown, max: number): number {
    if (
      !isScalar(node) ||
      typeof node.value !== 'number' ||
      !Number.isInteger(node.value) ||
      node.value < 1 ||
      node.value > max
    )
      this.fail(keyPath, node, `a whole number from 1 to ${max}`)
    return node.value
  }

  /** A duration in ms: "30s", "500ms", "2m", or a number of seconds. */
  duration(keyPath: string, node: unknown): number {
    const v = isScalar(node) ? node.value : undefined
    const secs = typeof v === 'number' || typeof v === 'string' ? parseDuration(String(v)) : NaN
    if (typeof secs !== 'number' || !(secs > 0))
      this.fail(keyPath, node, 'a duration like 30s, 500ms or 2m (a bare number is seconds)')
    return secs * 1000
  }

  list(keyPath: string, node: unknown): unknown[] {
    if (!isSeq(node)) this.fail(keyPath, node, 'a list')
    return node.items
  }

  isMapping(node: unknown): boolean {
    return isMap(node)
  }

  scalar(node: unknown): unknown {
    return isScalar(node) ? node.value : undefined
  }
}
