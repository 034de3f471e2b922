// A recipe's Markdown body: the title, intro and ## sections (steps with ```js blocks, notes), syntax-checked. Pure.
import vm from 'node:vm'
import { isDotCommand, JS_LANGS, SH_LANGS, WRONG_CODE_LANGS, scanMarkdown, type MdToken } from './markdown.ts'
import { RecipeFormatError, type Section } from './format-types.ts'

const MANUAL_LABEL = /^\W*manual equivalents?\b[^\n]*$/i

/** Splits the body lines (from file line firstLine) into title, intro and sections; throws RecipeFormatError. */
export function structure(
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
