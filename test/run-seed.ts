// Property-test seeds of `npm test`: one per test file, derived from the commit under test, so a run is reproducible
// (the same commit draws the same cases, in CI and on a laptop) and each new commit explores new ones.
// KINSPECT_PROPERTY_SEED=random draws fresh seeds on every run; a number replays one (fast-check prints it on failure).
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'

/** The seed of one test file: a 32-bit integer from the base (a commit) and the file's path. Pure. */
export function fileSeed(base: string, file: string): number {
  return createHash('sha256').update(`${base}\0${file}`).digest().readInt32BE(0)
}

/** What the seeds derive from: KINSPECT_PROPERTY_SEED when set, else the checkout's commit (a fixed base outside git). */
export function seedBase(root: string, env: NodeJS.ProcessEnv = process.env): { base?: string; said: string } {
  const given = env.KINSPECT_PROPERTY_SEED?.trim()
  if (given === 'random') return { said: 'random (KINSPECT_PROPERTY_SEED=random)' }
  if (given) return { base: given, said: `from KINSPECT_PROPERTY_SEED=${given}` }
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', timeout: 10_000 })
  const commit = r.status === 0 ? r.stdout.trim() : ''
  if (commit) return { base: commit, said: `from commit ${commit.slice(0, 12)}` }
  return { base: 'kinspect', said: 'fixed (not a git checkout)' }
}

/** The environment of one test file's process: its property and fuzz seeds (a fuzz seed the user gave is kept). */
export function seedEnv(base: string | undefined, file: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (base === undefined) return {}
  const seed = /^-?\d+$/.test(base) ? Number(base) : fileSeed(base, file)
  return { KINSPECT_PROPERTY_SEED: String(seed), KINSPECT_FUZZ_SEED: env.KINSPECT_FUZZ_SEED || String(seed) }
}
