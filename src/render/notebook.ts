// Notebook Markdown: rendering a recorded session (redacted) and reading the code blocks back. Pure.
import { redactCode, redactText, secretsInCode, secretsInText, taintMatcher } from './notebook-redact.ts'
import { stripAnsi } from './color.ts'

/** One recorded step: code with what it printed, or prose typed as `// text`. */
export type NotebookEntry = { kind: 'code'; input: string; output: string } | { kind: 'prose'; text: string }

/** What the title and header line say. */
export interface NotebookMeta {
  title?: string
  context?: string
  namespace?: string
  date?: Date
}

function fence(body: string, min = 3): string {
  const longest = Math.max(0, ...[...body.matchAll(/`{3,}/g)].map((m) => m[0].length))
  return '`'.repeat(Math.max(min, longest + 1))
}

/** Text of `// comment` lines without the slashes; undefined when the input is not only comments. */
export function proseOf(input: string): string | undefined {
  const lines = input.split('\n').filter((l) => l.trim() !== '')
  if (lines.length === 0 || !lines.every((l) => /^\s*\/\/(?!\/)/.test(l))) return undefined
  return lines.map((l) => l.replace(/^\s*\/\/\s?/, '')).join('\n')
}

/**
 * The Markdown for a notebook, redacted: structure and patterns hide what they recognise; every secret value seen (the
 * session's `taint` plus what structure and patterns find anywhere in this notebook) is hidden wherever else it appears.
 * Code cells stay runnable (see redactCode).
 */
export function renderNotebook(
  entries: readonly NotebookEntry[],
  meta: NotebookMeta = {},
  taint: Iterable<string> = [],
): string {
  const seen = new Set(taint)
  for (const e of entries) {
    const found =
      e.kind === 'prose' ? secretsInText(e.text) : [...secretsInCode(e.input), ...secretsInText(stripAnsi(e.output))]
    for (const v of found) seen.add(v)
  }
  const matcher = taintMatcher(seen)
  const text = (t: string) => redactText(t, matcher)
  const where = meta.context || meta.namespace ? `${meta.context || '(no context)'}:${meta.namespace ?? 'default'}` : ''
  const title = meta.title ?? `kinspect notebook${where ? ` — ${where}` : ''}`
  const out: string[] = [`# ${text(title)}`, '']
  const date = meta.date ?? new Date()
  out.push(
    text(
      `Recorded with kinspect on ${date
        .toISOString()
        .replace('T', ' ')
        .replace(
          /\.\d+Z$/,
          ' UTC',
        )}${where ? ` (context ${meta.context || '-'}, namespace ${meta.namespace ?? 'default'})` : ''}. Run it again with \`kinspect FILE.md\`.`,
    ),
    '',
  )
  for (const e of entries) {
    if (e.kind === 'prose') {
      out.push(text(e.text), '')
      continue
    }
    const input = redactCode(e.input.replace(/\n+$/, ''), matcher)
    const f = fence(input)
    out.push(`${f}js`, input, f, '')
    const output = text(stripAnsi(e.output)).trimEnd()
    if (output !== '') {
      const of = fence(output)
      out.push(`> ${of}text`, ...output.split('\n').map((l) => (l === '' ? '>' : `> ${l}`)), `> ${of}`, '')
    }
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`
}

/** A notebook read back: its title and the js code blocks in order (quoted output is ignored). */
export interface ParsedNotebook {
  title?: string
  blocks: string[]
}

const RUNNABLE = /^(?:js|javascript|mjs)$/i

/** Reads the runnable code blocks (```js / ```javascript / ```mjs) of a Markdown file, in order. */
export function parseNotebook(md: string): ParsedNotebook {
  const lines = md.replace(/\r\n/g, '\n').split('\n')
  const blocks: string[] = []
  let title: string | undefined
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (title === undefined && /^# /.test(line)) title = line.slice(2).trim()
    const open = /^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)[^`]*$/.exec(line)
    if (!open) continue
    const marker = open[1]
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const close = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`)
      if (close.test(lines[j])) break
      body.push(lines[j])
    }
    if (RUNNABLE.test(open[2])) blocks.push(body.join('\n'))
    i = j
  }
  return { title, blocks }
}
