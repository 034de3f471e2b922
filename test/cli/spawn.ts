// Runs the kinspect launcher (bin/kinspect.mjs) as a user does, as a process: stdin given whole, output collected.
import { spawn } from 'node:child_process'
import path from 'node:path'

/** The launcher users run (bin/kinspect.mjs). */
export const KINSPECT_BIN = path.resolve(import.meta.dirname, '../../bin/kinspect.mjs')

/** Spawns `kinspect ARGS` with env, writes stdin and closes it; killed after 120 s. */
export function spawnKinspect(
  args: string[],
  stdin: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KINSPECT_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out, err })
    })
    child.stdin.end(stdin)
  })
}
