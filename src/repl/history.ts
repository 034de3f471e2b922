// The history file: where it is, loading it for readline, appending lines that hold no secrets.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { hasSecret, NO_TAINT, type TaintMatcher } from '../render/notebook-redact.ts'

/** KINSPECT_HISTORY, else ~/.kinspect_history. */
export function historyPath(
  env: Record<string, string | undefined> = process.env,
  home = env.HOME ?? os.homedir(),
): string {
  return env.KINSPECT_HISTORY ? path.resolve(env.KINSPECT_HISTORY) : path.join(home, '.kinspect_history')
}

/** Lines of the history file, newest first (readline's order); [] when it does not exist. */
export function loadHistory(file: string, max = 1000): string[] {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .reverse()
    .slice(0, max)
}

/** Whether a line may be written to the history file: not blank, no secret in it (by structure, pattern or the session's taint). */
export function historyWorthy(line: string, taint: TaintMatcher = NO_TAINT): boolean {
  return line.trim() !== '' && !hasSecret(line, taint)
}

/** Appends a line (mode 0600); lines with secrets are never written. Returns whether it was written. */
export function appendHistory(file: string, line: string, taint: TaintMatcher = NO_TAINT): boolean {
  if (!historyWorthy(line, taint)) return false
  try {
    fs.appendFileSync(file, `${line.replace(/\n/g, ' ')}\n`, { mode: 0o600 })
    return true
  } catch {
    return false // an unwritable history file must not break the shell
  }
}
