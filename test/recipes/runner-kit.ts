// Shared setup of the runner tests (runner*.test.ts): a recipe from a body, a run on the fake session, an output sink.
import { PassThrough } from 'node:stream'
import { parseRecipe } from '../../src/recipes/format.ts'
import { validateParams } from '../../src/recipes/params.ts'
import { runParsedRecipe, type RunnerOptions } from '../../src/recipes/runner.ts'
import type { RecipeReport } from '../../src/recipes/report.ts'
import { fakeSession } from '../repl/fake.ts'
import { headlessShell } from '../../src/repl/index.ts'

/** A stream that keeps what is written; text() returns it. */
export function sink() {
  const s = new PassThrough()
  let text = ''
  s.on('data', (d) => (text += d))
  return Object.assign(s, { text: () => text })
}

/** Recipe t (/r/t.md) with the given body, and front matter declaring pod and tail unless `front` says otherwise. */
export function recipe(
  body: string,
  front = 'params:\n  - name: pod\n    type: pod\n    description: the pod\n  - name: tail\n    type: int\n    default: 5\n    description: lines\n',
) {
  return parseRecipe(`---\nname: t\nsummary: a test recipe\n${front}---\n# T\n\nIntro text.\n\n${body}`, '/r/t.md')
}

/** Runs a recipe body on the fake session with the given parameters; the report, the output and the API calls. */
export async function run(
  body: string,
  given: Record<string, string> = {},
  opts: Partial<RunnerOptions> & { front?: string } = {},
): Promise<{ report: RecipeReport; out: string; calls: string[] }> {
  const r = recipe(body, opts.front)
  const calls: string[] = []
  const output = sink()
  const report = await runParsedRecipe(r, validateParams(r, given), {
    session: fakeSession({ calls }),
    shell: headlessShell,
    output,
    ...opts,
  })
  await new Promise((res) => setImmediate(res))
  return { report, out: output.text(), calls }
}

/** A `## title` step with one ```js block, after optional prose. */
export const step = (title: string, code: string, extra = '') => `## ${title}\n\n${extra}\`\`\`js\n${code}\n\`\`\`\n\n`
