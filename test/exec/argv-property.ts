// The quoting property shared by the transports' e2e tests: random argv, nasty words included, sent as
// `printf '%s\0' ARGS` must come back byte-exact from the node (SSH under bash/dash/ash, node pods, node(x).$).
import fc from 'fast-check'

// Arguments a user might pass, and the nasty ones: quotes, $, backticks, globs, newlines, leading dashes, unicode,
// URL-ish escapes (the exec query), and a line that looks like the pid announcement of src/exec/ssh/stop.ts.
const nasty = fc.constantFrom(
  "a' ; echo INJECTED #",
  '$(id)',
  '`id`',
  '*',
  '~',
  '"',
  "'",
  '\\',
  '-n',
  '--',
  '',
  ' ',
  '\n',
  '\t',
  'é',
  '$HOME',
  '!!',
  '${IFS}',
  ';',
  '|',
  '&&',
  '#',
  '+',
  '%20',
  '&',
  '=',
  'kinspect-pid:x:1',
)
const arg = fc.oneof(
  nasty,
  fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !s.includes('\0')),
)

/** What a run gave back. */
interface Back {
  stdout: string
  stderr: string
  exitCode: number | null
}

/**
 * Sends `runs` random argv (1 to 6 words; KINSPECT_PROPERTY_SEED to replay) through send(args), which runs `printf '%s\0' ARGS` on the
 * node; returns the seed and one line per argv that did not come back exactly (or, with cleanStderr, wrote stderr).
 */
export async function argvProperty(
  runs: number,
  send: (args: string[]) => Promise<Back>,
  opts: { cleanStderr?: boolean } = {},
): Promise<{ seed: number; wrong: string[] }> {
  const seed = Number(process.env.KINSPECT_PROPERTY_SEED ?? Date.now() % 2 ** 31)
  const cases = fc.sample(fc.array(arg, { minLength: 1, maxLength: 6 }), { numRuns: runs, seed })
  const wrong: string[] = []
  for (const args of cases) {
    const r = await send(args)
    const back = r.stdout.split('\0').slice(0, -1)
    if (JSON.stringify(back) !== JSON.stringify(args) || (opts.cleanStderr && r.stderr !== ''))
      wrong.push(
        `${JSON.stringify(args)} -> exit ${r.exitCode} ${JSON.stringify(back)} ${JSON.stringify(r.stderr.slice(0, 200))}`,
      )
  }
  return { seed, wrong }
}
