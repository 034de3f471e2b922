// The module graph of src/ as the TypeScript parser sees it, and the two checks the arch tests make on it:
// import cycles and library boundaries. Pure functions over a graph, so a test can feed them a synthetic one.
import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

/** How one module depends on another. */
export type EdgeKind = 'import' | 'type' | 'export' | 'dynamic' | 'require' | 'type-expr'

/** One dependency: from a file (relative to the root, '/' separators) to a relative file or a package name. */
export interface Edge {
  from: string
  to: string
  kind: EdgeKind
  line: number
}

/** Files and their dependencies; `to` is a file of the graph for relative specifiers, else the package name. */
export interface Graph {
  files: string[]
  edges: Edge[]
}

/** The package a bare specifier names ("@kubernetes/client-node/dist/x" -> "@kubernetes/client-node"); undefined for node: and relative ones. */
export function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return undefined
  const parts = spec.split('/')
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/**
 * Every module specifier in one file: import and export-from statements (type-only ones too), import('x')
 * calls and types, and require('x'). Only string literals count: a computed specifier is reported as `<computed>`,
 * so hiding a dependency behind a variable is itself visible.
 */
export function specifiersOf(code: string, file = 'x.ts'): { spec: string; kind: EdgeKind; line: number }[] {
  const sf = ts.createSourceFile(file, code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
  const out: { spec: string; kind: EdgeKind; line: number }[] = []
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1
  const literal = (e: ts.Node | undefined) =>
    e && (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) ? e.text : '<computed>'
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n)) {
      const typeOnly =
        n.importClause?.isTypeOnly === true ||
        (n.importClause?.namedBindings !== undefined &&
          ts.isNamedImports(n.importClause.namedBindings) &&
          !n.importClause.name &&
          n.importClause.namedBindings.elements.length > 0 &&
          n.importClause.namedBindings.elements.every((e) => e.isTypeOnly))
      out.push({ spec: literal(n.moduleSpecifier), kind: typeOnly ? 'type' : 'import', line: lineOf(n) })
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier) {
      out.push({ spec: literal(n.moduleSpecifier), kind: n.isTypeOnly ? 'type' : 'export', line: lineOf(n) })
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) {
      out.push({ spec: literal(n.argument.literal), kind: 'type-expr', line: lineOf(n) })
    } else if (ts.isCallExpression(n)) {
      if (n.expression.kind === ts.SyntaxKind.ImportKeyword)
        out.push({ spec: literal(n.arguments[0]), kind: 'dynamic', line: lineOf(n) })
      else if (ts.isIdentifier(n.expression) && n.expression.text === 'require' && n.arguments.length === 1)
        out.push({ spec: literal(n.arguments[0]), kind: 'require', line: lineOf(n) })
    }
    ts.forEachChild(n, visit)
  }
  visit(sf)
  return out
}

/** Reads every .ts file under root/dir into a graph; relative specifiers are resolved to graph files. */
export function readGraph(root: string, dir = 'src'): Graph {
  const files: string[] = []
  const walk = (d: string) => {
    for (const e of fs.readdirSync(path.join(root, d), { withFileTypes: true })) {
      const rel = `${d}/${e.name}`
      if (e.isDirectory()) walk(rel)
      else if (e.name.endsWith('.ts')) files.push(rel)
    }
  }
  walk(dir)
  files.sort()
  const edges: Edge[] = []
  for (const from of files) {
    for (const s of specifiersOf(fs.readFileSync(path.join(root, from), 'utf8'), from)) {
      const to = s.spec.startsWith('.')
        ? path.posix.normalize(path.posix.join(path.posix.dirname(from), s.spec))
        : s.spec
      edges.push({ from, to, kind: s.kind, line: s.line })
    }
  }
  return { files, edges }
}

/** The import cycles of a graph: its strongly connected components with more than one file (or a self-import), each as a path. */
export function findCycles(g: Graph): string[][] {
  const next = new Map<string, string[]>(g.files.map((f) => [f, []]))
  for (const e of g.edges) if (next.has(e.to) && !next.get(e.from)!.includes(e.to)) next.get(e.from)?.push(e.to)
  // Tarjan's algorithm, iterative over the small graph.
  let index = 0
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const on = new Set<string>()
  const sccs: string[][] = []
  const strong = (v: string): void => {
    idx.set(v, index)
    low.set(v, index++)
    stack.push(v)
    on.add(v)
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!))
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        on.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1 || next.get(v)!.includes(v)) sccs.push(scc)
    }
  }
  for (const f of g.files) if (!idx.has(f)) strong(f)
  return sccs.map((scc) => cyclePath(scc, next))
}

/** One concrete cycle through the component, starting at its first file in sort order: a → b → … → a. */
function cyclePath(scc: string[], next: Map<string, string[]>): string[] {
  const inScc = new Set(scc)
  const start = [...scc].sort()[0]
  // Breadth-first search back to start, staying inside the component.
  const prev = new Map<string, string>()
  const queue = [start]
  while (queue.length) {
    const v = queue.shift()!
    for (const w of next.get(v) ?? []) {
      if (!inScc.has(w)) continue
      if (w === start) {
        const pathBack = [v]
        while (pathBack[0] !== start) pathBack.unshift(prev.get(pathBack[0])!)
        return [...pathBack, start]
      }
      if (!prev.has(w)) {
        prev.set(w, v)
        queue.push(w)
      }
    }
  }
  return [start, start]
}

/** A rule: files matching `from` must not depend on `to` (a package name or a path prefix), except files matching `except`. */
export interface BoundaryRule {
  name: string
  /** Which dependency the rule is about: a package name, or a src/ path prefix ending in '/'. */
  to: string
  /** Files allowed to depend on it (path prefixes or exact files); everyone else is checked. */
  allowed?: readonly string[]
  /** Only these files are checked (path prefixes); default every file. */
  only?: readonly string[]
  /** Exceptions among `only`. */
  except?: readonly string[]
}

const under = (file: string, prefixes: readonly string[] | undefined) =>
  (prefixes ?? []).some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p))

/** Dependencies that break a rule, as "file:line imports X (kind)". */
export function boundaryViolations(g: Graph, rule: BoundaryRule): string[] {
  const hits = (to: string) => (rule.to.endsWith('/') ? to.startsWith(rule.to) : packageOf(to) === rule.to)
  return g.edges
    .filter((e) => hits(e.to))
    .filter((e) => (rule.only ? under(e.from, rule.only) && !under(e.from, rule.except) : !under(e.from, rule.allowed)))
    .map(
      (e) =>
        `${e.from}:${e.line} ${e.kind === 'type' || e.kind === 'type-expr' ? 'imports types from' : 'imports'} ${e.to} (${rule.name})`,
    )
}

/** Where code defines util.inspect.custom: `[inspect.custom]` members and defineProperty(x, inspect.custom, …) calls, by line. */
export function inspectCustomDefinitions(code: string, file = 'x.ts'): number[] {
  const sf = ts.createSourceFile(file, code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
  const isCustom = (e: ts.Node | undefined) => e !== undefined && /(^|\.)inspect\.custom$/.test(e.getText(sf))
  const lines: number[] = []
  const visit = (n: ts.Node): void => {
    const member =
      (ts.isMethodDeclaration(n) ||
        ts.isPropertyDeclaration(n) ||
        ts.isPropertyAssignment(n) ||
        ts.isGetAccessorDeclaration(n)) &&
      ts.isComputedPropertyName(n.name) &&
      isCustom(n.name.expression)
    const define =
      ts.isCallExpression(n) && /defineProperty$/.test(n.expression.getText(sf)) && isCustom(n.arguments[1])
    if (member || define) lines.push(sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1)
    ts.forEachChild(n, visit)
  }
  visit(sf)
  return lines
}

/** The classes a file declares with the class they extend (undefined: none). */
export function classesOf(code: string, file = 'x.ts'): { name: string; extends?: string; line: number }[] {
  const sf = ts.createSourceFile(file, code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
  const out: { name: string; extends?: string; line: number }[] = []
  const visit = (n: ts.Node): void => {
    if ((ts.isClassDeclaration(n) || ts.isClassExpression(n)) && n.name) {
      const ext = n.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression
      out.push({
        name: n.name.text,
        extends: ext?.getText(sf),
        line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1,
      })
    }
    ts.forEachChild(n, visit)
  }
  visit(sf)
  return out
}

/** Error classes that are not in the HintedError family: every class extending Error (or named *Error) must reach HintedError. */
export function strayErrorClasses(files: Record<string, string>): string[] {
  const all = Object.entries(files).flatMap(([file, code]) => classesOf(code, file).map((c) => ({ ...c, file })))
  const parent = new Map(all.map((c) => [c.name, c.extends]))
  const reaches = (name: string | undefined, seen = new Set<string>()): boolean => {
    if (name === 'HintedError') return true
    if (!name || seen.has(name) || !parent.has(name)) return false
    seen.add(name)
    return reaches(parent.get(name)?.replace(/<.*$/, ''), seen)
  }
  return all
    .filter((c) => !(c.name === 'HintedError' && c.extends === 'Error'))
    .filter((c) => c.name.endsWith('Error') || /^(Error|TypeError|RangeError)$/.test(c.extends ?? ''))
    .filter((c) => !reaches(c.extends?.replace(/<.*$/, '')))
    .map((c) => `${c.file}:${c.line} class ${c.name} extends ${c.extends ?? 'nothing'}`)
}
