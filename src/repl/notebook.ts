// The session notebook: records every input with its printed output; saves it as redacted Markdown.
import fs from 'node:fs/promises'
import path from 'node:path'
import { renderNotebook, parseNotebook, proseOf, type NotebookEntry, type NotebookMeta } from '../render/notebook.ts'
import { ShellError } from './errors.ts'
import { TaintSet } from './taint.ts'

export { proseOf }

const OBSERVE_MAX = 64 * 1024

/** Recorded inputs and outputs of one session, in order, and the secret values seen (in memory only). */
export class Notebook {
  readonly entries: NotebookEntry[] = []
  /** Every secret value seen this session: hidden wherever it turns up in the saved notebook. */
  readonly taint = new TaintSet()

  /** Records one evaluated input and everything it printed (and the secrets either shows). */
  addCode(input: string, output: string): void {
    if (input.trim() === '') return
    // Learnt now for the history file; bounded so a huge output does not delay the prompt (.save reads all of it).
    this.taint.observeCode(input.slice(0, OBSERVE_MAX))
    this.taint.observeText(output.slice(0, OBSERVE_MAX))
    this.entries.push({ kind: 'code', input: input.replace(/\n+$/, ''), output })
  }

  /** Records prose (from `// text` lines); consecutive prose lines join into one paragraph. */
  addProse(text: string): void {
    this.taint.observeText(text)
    const last = this.entries[this.entries.length - 1]
    if (last?.kind === 'prose') last.text += `\n${text}`
    else this.entries.push({ kind: 'prose', text })
  }

  /** Number of recorded code inputs. */
  get codeCount(): number {
    return this.entries.filter((e) => e.kind === 'code').length
  }

  /** The Markdown text, redacted by structure, pattern and this session's taint set. */
  render(meta: NotebookMeta = {}): string {
    return renderNotebook(this.entries, meta, this.taint.values())
  }

  /** Writes the notebook to a .md file (mode 0600, redacted); returns the absolute path. */
  async save(file: string, meta: NotebookMeta = {}): Promise<string> {
    const target = notebookFile(file)
    await fs.writeFile(target, this.render(meta), { mode: 0o600 })
    return target
  }
}

/** Validates a notebook file name: required, `.md` appended when missing; absolute path. */
export function notebookFile(file: string): string {
  const f = (file ?? '').trim()
  if (f === '') throw new ShellError('usage', '.save needs a file name', 'usage: .save FILE.md')
  return path.resolve(/\.(md|markdown)$/i.test(f) ? f : `${f}.md`)
}

/** Reads a notebook's runnable blocks; a file without any is an error naming it. */
export async function readNotebook(file: string): Promise<{ title?: string; blocks: string[] }> {
  let md: string
  try {
    md = await fs.readFile(file, 'utf8')
  } catch (e) {
    throw new ShellError(
      'notfound',
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
      'pass a notebook written by .save (FILE.md)',
      e,
    )
  }
  const nb = parseNotebook(md)
  if (nb.blocks.length === 0)
    throw new ShellError(
      'invalid',
      `${file} has no \`\`\`js code blocks to run`,
      'a notebook runs its ```js blocks in order',
    )
  return nb
}
