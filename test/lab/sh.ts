// Small process helpers for the lab scripts (the lab is test infrastructure: it runs locally, as root).
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/** Result of a finished local command. */
export interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs argv synchronously; throws with stderr when it fails unless ok:true is passed. */
export function run(
  argv: string[],
  opts: Omit<SpawnSyncOptions, 'input'> & { ok?: boolean; input?: string } = {},
): Ran {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 120_000, maxBuffer: 256 << 20, ...opts })
  const res = { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') }
  if (r.error) res.stderr += String(r.error)
  if (!opts.ok && res.code !== 0) {
    throw new Error(
      `lab: \`${argv.join(' ')}\` failed (exit ${res.code}): ${res.stderr.trim().split('\n').slice(-5).join(' | ')}`,
    )
  }
  return res
}

/** True when argv exits 0. */
export function succeeds(argv: string[], opts: Omit<SpawnSyncOptions, 'input'> = {}): boolean {
  return run(argv, { ...opts, ok: true }).code === 0
}

/** Writes a file (creating parents) only when its content changed; returns true if written. */
export function writeFile(file: string, content: string, mode = 0o644): boolean {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  try {
    if (fs.readFileSync(file, 'utf8') === content) return false
  } catch {}
  fs.writeFileSync(file, content, { mode })
  fs.chmodSync(file, mode)
  return true
}

/** Starts a daemon detached, logging to logFile, recording its pid in pidFile. */
export function startDaemon(
  name: string,
  argv: string[],
  pidFile: string,
  logFile: string,
  env: NodeJS.ProcessEnv = {},
): number {
  fs.mkdirSync(path.dirname(pidFile), { recursive: true })
  fs.mkdirSync(path.dirname(logFile), { recursive: true })
  const out = fs.openSync(logFile, 'a')
  const child = spawn(argv[0], argv.slice(1), {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
  })
  child.unref()
  fs.closeSync(out)
  if (!child.pid) throw new Error(`lab: could not start ${name}`)
  fs.writeFileSync(pidFile, String(child.pid))
  return child.pid
}

/** The pid recorded in pidFile if that process is alive. */
export function alivePid(pidFile: string): number | null {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim())
    if (!pid) return null
    process.kill(pid, 0)
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    if (stat.split(') ')[1]?.startsWith('Z')) return null
    return pid
  } catch {
    return null
  }
}

/** Stops the process in pidFile: SIGTERM, then SIGKILL after graceMs. */
export async function stopPid(pidFile: string, graceMs = 5000): Promise<void> {
  const pid = alivePid(pidFile)
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM')
      process.kill(pid, 'SIGCONT') // a stopped process (a test froze it) acts on TERM only once continued
    } catch {}
    const until = Date.now() + graceMs
    while (alivePid(pidFile) && Date.now() < until) await sleep(100)
    if (alivePid(pidFile)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
      await sleep(200)
    }
  }
  fs.rmSync(pidFile, { force: true })
}

/** Promise-based sleep. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls fn until it returns a truthy value or timeoutMs passes; throws naming what was awaited. */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs: number, everyMs = 500): Promise<T> {
  const until = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > until)
      throw new Error(
        `lab: timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${last ? `: ${String((last as Error).message ?? last)}` : ''}`,
      )
    await sleep(everyMs)
  }
}

/** Prints a progress line with elapsed seconds since the lab command started. */
const t0 = Date.now()
export function progress(msg: string): void {
  process.stderr.write(`[lab ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`)
}
