// Conventions checked over src/ (docs/CONTRIBUTING.md): util.inspect.custom is defined only by present()
// (src/present.ts), every error class is in the HintedError family, and file names are kebab-case.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { classesOf, inspectCustomDefinitions, readGraph, strayErrorClasses } from './graph.ts'

const root = path.resolve(import.meta.dirname, '../..')
const sources = Object.fromEntries(readGraph(root).files.map((f) => [f, fs.readFileSync(path.join(root, f), 'utf8')]))

test('util.inspect.custom is defined only in src/present.ts', () => {
  const where = Object.entries(sources).flatMap(([f, code]) =>
    inspectCustomDefinitions(code, f).map((l) => `${f}:${l}`),
  )
  assert.equal(
    where.map((w) => w.replace(/:\d+$/, '')),
    ['src/present.ts'],
  )
})

test('the inspect.custom checker finds members, object properties and defineProperty, not reads', () => {
  const code = [
    "import { inspect } from 'node:util'",
    'class A {',
    '  [inspect.custom](): string { return "a" }',
    '}',
    'const o = { [util.inspect.custom]: () => "o" }',
    'Object.defineProperty(o, inspect.custom, { value: () => "x" })',
    'if (typeof v[inspect.custom] === "function") {}',
  ].join('\n')
  assert.equal(inspectCustomDefinitions(code), [3, 5, 6])
})

test('every error class in src/ extends HintedError (directly or through another error class)', () => {
  assert.equal(strayErrorClasses(sources), [])
  const errors = Object.entries(sources)
    .flatMap(([f, code]) => classesOf(code, f))
    .filter((c) => c.name.endsWith('Error'))
    .map((c) => c.name)
    .sort()
  for (const name of [
    'ConfigError',
    'ExecError',
    'KubeError',
    'NameError',
    'NetError',
    'ParamError',
    'RecipeError',
    'RecipeFormatError',
    'ShellError',
    'SshConfigError',
    'SvcRulesError',
  ])
    assert.ok(errors.includes(name), name)
})

test('the error checker flags a class extending Error, TypeError, or a stray base, and follows chains', () => {
  const files = {
    'src/errors.ts': 'export class HintedError<K extends string> extends Error {}',
    'src/a.ts': "export class AError extends HintedError<'x'> {}\nexport class SubError extends AError {}",
    'src/b.ts':
      'export class BError extends Error {}\nclass Loose extends TypeError {}\nexport class CError extends BError {}\nexport class Fine {}',
  }
  assert.equal(strayErrorClasses(files), [
    'src/b.ts:1 class BError extends Error',
    'src/b.ts:2 class Loose extends TypeError',
    'src/b.ts:3 class CError extends BError',
  ])
})

test('file names are in one style: lower-case words joined by hyphens (kebab-case), in src/, test/ and bench/', () => {
  const root = path.resolve(import.meta.dirname, '../..')
  const bad: string[] = []
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`
      if (
        e.name === 'node_modules' ||
        e.name === 'fixtures' ||
        e.name.endsWith('-handwritten') ||
        e.name === 'handwritten' ||
        /^go(-|$)/.test(e.name) ||
        e.name === 'triage-lab-cannot-produce'
      )
        continue
      if (e.isDirectory()) walk(rel)
      else if (/\.(ts|mjs)$/.test(e.name) && !/^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+)*\.(ts|mjs)$/.test(e.name))
        bad.push(rel)
    }
  }
  for (const d of ['src', 'test', 'bench']) walk(d)
  assert.equal(bad, [])
})

test.run()
