// The CLI unit tests' sandbox: no cluster, no config file, no history (a temporary HOME), and in-memory streams.
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { parseArgs, type CliIO } from '../../src/cli.ts'
import { ShellError } from '../../src/repl/errors.ts'

/** A temporary HOME (removed by cleanup()) and the environment a CLI test runs main() or the launcher with. */
export function cliSandbox(prefix: string) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  const env = {
    KUBECONFIG: '/nonexistent/kubeconfig',
    HOME: tmp,
    XDG_CONFIG_HOME: path.join(tmp, 'xdg'),
    NO_COLOR: '1',
    PATH: process.env.PATH,
  }
  /** Streams for main(): what it wrote is read back with out() and err(). */
  const io = (): CliIO & { out: () => string; err: () => string } => {
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    let o = ''
    let e = ''
    stdout.on('data', (d) => (o += d))
    stderr.on('data', (d) => (e += d))
    return { stdin: new PassThrough(), stdout, stderr, env, cwd: tmp, prog: 'kinspect', out: () => o, err: () => e }
  }
  return { tmp, env, io, cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }) }
}

/** Asserts that parseArgs(argv) throws a usage ShellError whose message matches re. */
export function usageError(argv: string[], re: RegExp): void {
  assert.throws(
    () => parseArgs(argv),
    (e: unknown) => e instanceof ShellError && e.kind === 'usage' && re.test(e.message),
  )
}
