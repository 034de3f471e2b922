// A line scanner for recipe Markdown: headings, fenced code blocks and prose, each with its line number. Pure.

/** One piece of a Markdown body, in document order; `line` is 1-based in the whole file. */
export type MdToken =
  | { kind: 'heading'; level: number; text: string; line: number }
  | { kind: 'fence'; lang: string; info: string; body: string; line: number; bodyLine: number; endLine: number }
  | { kind: 'prose'; text: string; line: number }

/** An unclosed code fence: where it opened and the marker that would close it. */
export interface UnclosedFence {
  line: number
  marker: string
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})\s*([^`]*)$/
const HEADING = /^ {0,3}(#{1,6})(?=\s|$)/

/**
 * Splits Markdown lines into headings, fenced blocks and prose runs (consecutive non-fence, non-heading
 * lines, blank lines included). `firstLine` is the file line of lines[0]. Returns the unclosed fence, if any.
 */
export function scanMarkdown(lines: readonly string[], firstLine = 1): { tokens: MdToken[]; unclosed?: UnclosedFence } {
  const tokens: MdToken[] = []
  let prose: string[] = []
  let proseLine = firstLine
  const flush = () => {
    if (prose.some((l) => l.trim() !== ''))
      tokens.push({ kind: 'prose', text: trimBlank(prose).join('\n'), line: proseLine + leadingBlank(prose) })
    prose = []
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const lineNo = firstLine + i
    const open = FENCE_OPEN.exec(line)
    if (open) {
      flush()
      const marker = open[1]
      const info = open[2].trim()
      const close = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`)
      let j = i + 1
      while (j < lines.length && !close.test(lines[j])) j++
      if (j >= lines.length) return { tokens, unclosed: { line: lineNo, marker } }
      tokens.push({
        kind: 'fence',
        lang: (info.split(/\s+/)[0] ?? '').toLowerCase(),
        info,
        body: lines.slice(i + 1, j).join('\n'),
        line: lineNo,
        bodyLine: lineNo + 1,
        endLine: firstLine + j,
      })
      i = j
      proseLine = firstLine + j + 1
      continue
    }
    const h = HEADING.exec(line)
    if (h) {
      flush()
      tokens.push({ kind: 'heading', level: h[1].length, text: headingText(line.slice(h[0].length)), line: lineNo })
      proseLine = lineNo + 1
      continue
    }
    if (prose.length === 0) proseLine = lineNo
    prose.push(line)
  }
  flush()
  return { tokens }
}

/**
 * A heading's text: trimmed, without a closing run of '#' preceded by a blank. By hand: the regexes this replaces
 * (/(.*?)\s*$/ and /\s+#+$/) were quadratic on a long blank run inside a heading (found by fuzzing).
 */
function headingText(rest: string): string {
  const t = rest.trim()
  let j = t.length
  while (j > 0 && t[j - 1] === '#') j--
  return j < t.length && j > 0 && /\s/.test(t[j - 1]) ? t.slice(0, j).trimEnd() : t
}

function leadingBlank(lines: readonly string[]): number {
  let n = 0
  while (n < lines.length && lines[n].trim() === '') n++
  return n
}

function trimBlank(lines: readonly string[]): string[] {
  const start = leadingBlank(lines)
  let end = lines.length
  while (end > start && lines[end - 1].trim() === '') end--
  return lines.slice(start, end)
}

/** Fence languages whose blocks a recipe runs. */
export const JS_LANGS = new Set(['js', 'javascript', 'mjs'])
/** Fence languages that hold the manual (shell) equivalent of a step. */
export const SH_LANGS = new Set(['sh', 'bash', 'shell', 'console', 'zsh'])
/** Fence languages that look like code meant to run but are not JavaScript. */
export const WRONG_CODE_LANGS = new Set(['ts', 'typescript', 'mts', 'cjs', 'jsx', 'tsx', 'node'])

/** True for a one-line REPL dot-command (`.ns shop`) as notebooks record them. */
export function isDotCommand(code: string): boolean {
  return /^\s*\.[a-z]+(?:[ \t].*)?\s*$/.test(code) && !code.trim().includes('\n')
}
