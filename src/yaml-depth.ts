// Guards around the yaml library, found by fuzzing: how deeply YAML text nests its collections, read from the CST
// (linear) before composing a document (the library composes deeply nested, unclosed flow collections in quadratic
// time: seconds for 10 KB), and composing without stack traces on its errors (it builds one per broken line).
import type { CST, Parser } from 'yaml'

/** Deeper nesting than this is refused: no kubeconfig, recipe front matter or .recipes file comes close. */
export const MAX_YAML_DEPTH = 32

/** The deepest nesting of block and flow collections in the text (0 for a scalar), and the offset where it is reached (Infinity when too deep to parse). */
export function yamlDepth(text: string, YamlParser: typeof Parser): { depth: number; offset: number } {
  let max = { depth: 0, offset: 0 }
  let tokens: CST.Token[]
  try {
    tokens = [...new YamlParser().parse(text)]
  } catch (e) {
    // the CST parser closes nested collections with nested generators: thousands of levels overflow the stack
    if (e instanceof RangeError) return { depth: Infinity, offset: 0 }
    throw e
  }
  const stack: [CST.Token | null | undefined, number][] = tokens.map((t): [CST.Token, number] => [t, 0])
  while (stack.length) {
    const [t, d] = stack.pop()!
    if (!t) continue
    if (t.type === 'document') stack.push([t.value, d])
    else if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      if (d + 1 > max.depth) max = { depth: d + 1, offset: t.offset }
      for (const it of t.items as CST.CollectionItem[]) stack.push([it.key, d + 1], [it.value, d + 1])
    }
  }
  return max
}

/** The 1-based line of an offset. */
export function lineAt(text: string, offset: number): number {
  let n = 1
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) n++
  return n
}

/** Runs f with Error.stackTraceLimit 0: the yaml library makes an Error per broken line, and capturing each stack was half of its time on a broken file. */
export function withoutStacks<T>(f: () => T): T {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return f()
  } finally {
    Error.stackTraceLimit = limit
  }
}
