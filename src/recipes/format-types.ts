// The recipe file format's data: a parsed Recipe, its Sections and CodeBlocks, and RecipeFormatError.
import { HintedError } from '../errors.ts'
import type { ParamDef } from './params.ts'

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
