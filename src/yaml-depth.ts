// Guards around the yaml library, found by fuzzing: how deeply YAML text nests its collections, read from the CST
// (linear) before composing a document (the library composes deeply nested, unclosed flow collections in quadratic
// time: seconds for 10 KB), and composing without stack traces on its errors (it builds one per broken line).
import {
  Composer,
  Parser,
  YAMLParseError,
  type CST,
  type Document,
  type DocumentOptions,
  type LineCounter,
  type ParseOptions,
  type SchemaOptions,
} from 'yaml'

/** Deeper nesting than this is refused: no kubeconfig, recipe front matter or .recipes file comes close. */
export const MAX_YAML_DEPTH = 32

/** How deep a text nests, when it is deeper than MAX_YAML_DEPTH (Infinity: too deep for the parser itself). */
export interface TooDeep {
  depth: number
  offset: number
}

/** yaml's parseDocument options, as kinspect's readers pass them (errors are never prettified: no prettyErrors). */
export type YamlOptions = Omit<ParseOptions, 'prettyErrors'> &
  DocumentOptions &
  SchemaOptions & { lineCounter?: LineCounter }

/**
 * yaml's parseDocument behind the guards: the text is lexed and parsed once, its nesting checked on those tokens, and
 * the document composed from the same tokens (parseDocument would parse the text again), without error stacks.
 * Returns the document (its errors in doc.errors, the first of several documents as parseDocument keeps it), or how
 * deep the text nests when that is over MAX_YAML_DEPTH.
 */
export function parseYaml(text: string, opts: YamlOptions = {}): { doc: Document.Parsed } | { tooDeep: TooDeep } {
  return withoutStacks(() => {
    let tokens: CST.Token[]
    try {
      tokens = [...new Parser(opts.lineCounter?.addNewLine).parse(text)]
    } catch (e) {
      // the CST parser closes nested collections with nested generators: thousands of levels overflow the stack
      if (e instanceof RangeError) return { tooDeep: { depth: Infinity, offset: 0 } }
      throw e
    }
    const deep = depthOf(tokens)
    if (deep.depth > MAX_YAML_DEPTH) return { tooDeep: deep }
    let doc: Document.Parsed | undefined
    for (const d of new Composer(opts).compose(tokens, true, text.length)) {
      if (!doc) doc = d
      else {
        doc.errors.push(
          new YAMLParseError(
            [d.range[0], d.range[1]],
            'MULTIPLE_DOCS',
            'Source contains multiple documents; please use YAML.parseAllDocuments()',
          ),
        )
        break
      }
    }
    return { doc: doc! } // compose(…, true) always ends with a document
  })
}

// The deepest nesting of block and flow collections in the tokens (0 for a scalar), and where it is reached.
function depthOf(tokens: readonly CST.Token[]): TooDeep {
  let max = { depth: 0, offset: 0 }
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
