// The test runner's per-file verdict, from what uvu printed and how the process ended. Pure (unit-tested in run.test.ts).

/** How a test file's process ended. */
export interface FileExit {
  /** Exit code, null when a signal ended it. */
  status: number | null
  signal?: string | null
  /** True when the runner's timeout killed it. */
  timedOut?: boolean
}

/** One file's counts and, when it failed, why (one line, for the FAIL line and the summary). */
export interface FileVerdict {
  passed: number
  failed: number
  skipped: number
  /** Why the file counts as failed; undefined when it passed. */
  reason?: string
}

/** The last uvu summary in a file's stdout ("Total: N / Passed: N / Skipped: N" lines), or undefined when there is none. */
export function uvuSummary(stdout: string): { total: number; passed: number; skipped: number } | undefined {
  // The last one: a test may print text of its own that looks like a summary line before uvu's.
  const last = (k: string) => [...stdout.matchAll(new RegExp(`^\\s*${k}:\\s+(\\d+)\\s*$`, 'gm'))].at(-1)
  const total = last('Total')
  const passed = last('Passed')
  if (!total || !passed || passed.index! < total.index!) return undefined
  return { total: Number(total[1]), passed: Number(passed[1]), skipped: Number(last('Skipped')?.[1] ?? 0) }
}

/**
 * The verdict on one file from its stdout (where uvu reports) and exit: its failed and skipped tests count as failed;
 * a file that registers no test, prints no uvu summary (crashed, or never called test.run()), was killed, or exits
 * non-zero with nothing failed counts as one failure.
 */
export function accountFile(stdout: string, exit: FileExit): FileVerdict {
  const s = uvuSummary(stdout)
  const ended = exit.timedOut
    ? "was killed by the runner's timeout"
    : exit.signal
      ? `was killed by ${exit.signal}`
      : `exited ${exit.status}`
  if (!s)
    return {
      passed: 0,
      failed: 1,
      skipped: 0,
      reason: `printed no uvu summary and ${ended}: it crashed before its tests ran, or never called test.run()`,
    }
  const failedTests = s.total - s.passed
  const failed = failedTests + s.skipped
  if (s.total === 0 && s.skipped === 0)
    return {
      passed: 0,
      failed: 1,
      skipped: 0,
      reason: 'registers no tests (uvu reported Total: 0): a test file must test something',
    }
  const why: string[] = []
  if (failedTests) why.push(`${failedTests} test${failedTests === 1 ? '' : 's'} failed`)
  if (s.skipped) why.push(`${s.skipped} skipped (.skip/.only count as failed)`)
  if (exit.timedOut || exit.signal || (exit.status !== 0 && !failed)) {
    why.push(`the process ${ended}${failed ? '' : ' although every test passed'}`)
    return { passed: s.passed, failed: Math.max(failed, 1), skipped: s.skipped, reason: why.join('; ') }
  }
  return { passed: s.passed, failed, skipped: s.skipped, ...(failed ? { reason: why.join('; ') } : {}) }
}
