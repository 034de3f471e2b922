// Generic aligned text tables (kubectl style: columns separated by 3 spaces) with optional colour.
// Colour is plain ANSI (the same codes chalk emits at level 1) so importing this never loads chalk at start-up.

/** Colours a cell may ask for; ignored when colour is off. */
export type Style = 'red' | 'green' | 'yellow' | 'blue' | 'cyan' | 'magenta' | 'dim' | 'bold'

/** A cell: plain text, or text with a style. */
export type Cell = string | number | null | undefined | { text: string; style?: Style }

/** Headers + rows before rendering (what tests assert on); every table renderer builds one. */
export interface Rows {
  headers: string[]
  rows: Cell[][]
}

/** Options of renderTable. */
export interface TableOptions {
  /** Colour on/off; default from colorEnabled(). */
  color?: boolean
  /** Spaces between columns (kubectl uses 3). */
  gap?: number
  /** Text when there are no rows (default "No resources found."); '' prints only the header. */
  empty?: string
  /** Clip the last column to this many characters (0 = never). */
  maxLastWidth?: number
}

/**
 * Whether to colour output. FORCE_COLOR wins (0/false = off, anything else = on), then NO_COLOR (any
 * non-empty value = off), then `preferred` (e.g. the REPL's inspect options.colors), then stdout is a TTY.
 */
export function colorEnabled(preferred?: boolean, env: Record<string, string | undefined> = process.env): boolean {
  const force = env.FORCE_COLOR
  if (force !== undefined) return !(force === '0' || force.toLowerCase() === 'false')
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (preferred !== undefined) return preferred
  return Boolean(process.stdout?.isTTY)
}

const CODES: Record<Style, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
}

/** Applies a style when color is true, otherwise returns text unchanged. */
export function paint(text: string, style: Style | undefined, color: boolean): string {
  if (!color || !style || text === '') return text
  const [open, close] = CODES[style]
  return `\u001b[${open}m${text}\u001b[${close}m`
}

function cellText(c: Cell): string {
  if (c === null || c === undefined) return ''
  if (typeof c === 'object') return c.text
  return String(c)
}

/** Visible width (code points; no ANSI expected in cell text). */
function width(s: string): number {
  return [...s].length
}

/** Renders headers + rows as aligned text; rows shorter than headers are padded with ''. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  opts: TableOptions = {},
): string {
  const color = opts.color ?? colorEnabled()
  const gap = ' '.repeat(opts.gap ?? 3)
  if (rows.length === 0 && opts.empty !== '') return opts.empty ?? 'No resources found.'
  const n = headers.length
  const texts = rows.map((r) => Array.from({ length: n }, (_, i) => cellText(r[i]).replace(/\s*\n\s*/g, ' ')))
  if (opts.maxLastWidth) {
    for (const t of texts)
      if (width(t[n - 1]) > opts.maxLastWidth) t[n - 1] = [...t[n - 1]].slice(0, opts.maxLastWidth - 1).join('') + '…'
  }
  const widths = headers.map((h, i) => Math.max(width(h), ...texts.map((t) => width(t[i]))))
  const line = (cells: string[], styles: (Style | undefined)[]) =>
    cells
      .map((c, i) => {
        const padded = i === n - 1 ? c : c + ' '.repeat(widths[i] - width(c))
        // style only the text, not the padding, so colour codes never shift columns
        return paint(c, styles[i], color) + padded.slice(c.length)
      })
      .join(gap)
      .trimEnd()
  const out = [
    line(
      [...headers],
      headers.map(() => 'bold' as Style),
    ),
  ]
  rows.forEach((r, ri) => {
    const styles = Array.from({ length: n }, (_, i) => {
      const c = r[i]
      return c && typeof c === 'object' ? c.style : undefined
    })
    out.push(line(texts[ri], styles))
  })
  return out.join('\n')
}
