// POSIX quoting: argv -> one string any POSIX shell (bash, dash, busybox ash) reads back as the same argv.
import { received } from '../errors.ts'

const SAFE = /^[A-Za-z0-9_\/.,:=@%+-]+$/

// Words a shell treats specially in command position (POSIX reserved words plus bash's extras).
const RESERVED = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'case',
  'esac',
  'while',
  'until',
  'for',
  'in',
  'function',
  'select',
  'time',
  'coproc',
  '!',
  '{',
  '}',
  '[[',
  ']]',
])

/** Quotes one argument with single quotes; safe under every POSIX sh (no $'…'). */
export function shQuote(arg: string): string {
  if (typeof arg !== 'string') throw new TypeError(`shQuote: expected a string, received ${received(arg)}`)
  if (arg.includes('\0')) throw new TypeError('shQuote: an argument cannot contain a NUL byte')
  if (arg !== '' && SAFE.test(arg)) return arg
  return `'${arg.replace(/'/g, `'\\''`)}'`
}

/** Quotes the command word: also quotes reserved words (`time`, `if`) and `A=b`, which a shell would not run as a command. */
function quoteCommandWord(arg: string): string {
  const q = shQuote(arg)
  if (q === arg && (RESERVED.has(arg) || arg.includes('='))) return `'${arg}'`
  return q
}

/** Joins an argv into a POSIX command line. */
export function shJoin(argv: readonly string[]): string {
  if (!Array.isArray(argv)) throw new TypeError(`shJoin: expected an array of strings, received ${received(argv)}`)
  return argv.map((a, i) => (i === 0 ? quoteCommandWord(a) : shQuote(a))).join(' ')
}

/** Wraps argv so the target enforces a deadline itself: timeout -k GRACE SECS argv. */
export function withDeadline(argv: readonly string[], timeoutMs: number, graceSec = 2): string[] {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new TypeError(`withDeadline: timeoutMs must be a positive number, received ${timeoutMs}`)
  const secs = Math.max(1, Math.ceil(timeoutMs / 1000))
  return ['timeout', '-k', String(graceSec), String(secs), ...argv]
}

/** Argv for messages: shJoin when possible (so word boundaries show), else space-joined. */
export function showArgv(argv: readonly unknown[]): string {
  try {
    return shJoin(argv as string[])
  } catch {
    return argv.map(String).join(' ')
  }
}
