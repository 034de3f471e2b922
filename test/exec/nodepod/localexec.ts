// Serves exec requests with a process on this machine, the way the API server and kubelet do for a pod: the
// command's `sh` is one of this machine's shells, stdout/stderr are streamed to the request's callbacks, a
// long-lived request gets a stream handle, and dropping the connection does not kill the process (#2532).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { ExecRequest, ExecStreamHandle, ExecStreamResult } from '../../../src/kube/exec.ts'

/** The shells the agent is tested with: busybox sh (as in the node pod image), dash and bash. */
export const SHELLS: readonly (readonly [string, string, ...string[]])[] = [
  ['busybox sh', '/bin/busybox', 'sh'],
  ['dash', '/usr/bin/dash'],
  ['bash', '/usr/bin/bash'],
]

/** A stand-in for nsenter in dir: skips its options, then runs what follows "--" (namespaces are not the point here). */
export function stubNsenter(dir: string): string {
  const stub = path.join(dir, 'nsenter')
  fs.writeFileSync(stub, '#!/bin/sh\nwhile [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done\nshift\nexec "$@"\n', {
    mode: 0o755,
  })
  return stub
}

/** What a local exec left behind, for tests that break the connection or the agent. */
export interface LocalExecs {
  /** pids of the processes started, newest last. */
  pids: number[]
  /** Drops every open connection (the processes keep running). */
  dropAll(): void
}

/** An exec function over shell (argv prefix for `sh`); every process it started is killed by cleanup(). */
export function localExec(
  shell: readonly string[],
): ((req: ExecRequest) => Promise<ExecStreamResult>) & LocalExecs & { cleanup(): void } {
  const drops = new Set<() => void>()
  const children = new Set<import('node:child_process').ChildProcess>()
  const fn = (req: ExecRequest): Promise<ExecStreamResult> => {
    if (req.command[0] !== 'sh') throw new Error(`localExec serves sh commands, not ${req.command[0]}`)
    const [exe, ...pre] = shell
    // Its own process group, so cleanup() reaches what it forked too (the agent's writer, jobs), stopped ones included.
    const child = spawn(exe, [...pre, ...req.command.slice(1)], { stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    children.add(child)
    fn.pids.push(child.pid!)
    const t0 = performance.now()
    const out: Buffer[] = []
    const err: Buffer[] = []
    let connected = true
    return new Promise((resolve) => {
      const end = (r: Partial<ExecStreamResult>) => {
        if (!connected) return
        connected = false
        drops.delete(drop)
        req.signal?.removeEventListener('abort', onAbort)
        resolve({
          protocol: 'v5.channel.k8s.io',
          stdout: Buffer.concat(out),
          stderr: Buffer.concat(err),
          aborted: false,
          durationMs: performance.now() - t0,
          ...r,
        })
      }
      const drop = () => {
        child.stdout.removeAllListeners('data')
        child.stderr.removeAllListeners('data')
        end({ closeCode: 1006 })
      }
      const onAbort = () => end({ aborted: true })
      drops.add(drop)
      req.signal?.addEventListener('abort', onAbort, { once: true })
      child.stdin.on('error', () => {})
      child.stdout.on('data', (c: Buffer) => {
        if (req.collect ?? true) out.push(c)
        req.onStdout?.(c)
      })
      child.stderr.on('data', (c: Buffer) => {
        if (req.collect ?? true) err.push(c)
        req.onStderr?.(c)
      })
      child.on('close', (code, signal) => {
        children.delete(child)
        end({
          status:
            code === 0
              ? { exitCode: 0, status: 'Success' }
              : code !== null
                ? { exitCode: code, status: 'Failure', reason: 'NonZeroExitCode' }
                : { exitCode: null, status: 'Failure', message: `killed by ${signal}` },
        })
      })
      req.onOpen?.('v5.channel.k8s.io')
      if (req.onStream) {
        if (req.stdin) child.stdin.write(req.stdin)
        const h: ExecStreamHandle = {
          protocol: 'v5.channel.k8s.io',
          write: (d) => connected && child.stdin.write(d) !== undefined,
          closeStdin: () => connected && (child.stdin.end(), true),
          close: () => {
            child.stdin.destroy() // the runtime closes the process's stdin when the stream goes
            drop()
          },
          keepAlive: () => {},
        }
        req.onStream(h)
      } else if (req.stdin !== undefined) child.stdin.end(req.stdin)
      else child.stdin.end()
    })
  }
  fn.pids = [] as number[]
  fn.dropAll = () => [...drops].forEach((d) => d())
  fn.cleanup = () => {
    // Every process group it started, finished or not: a writer a test stopped (SIGSTOP) outlives its main process,
    // and would hold the test's pipes (and the test runner) open for ever.
    for (const pid of fn.pids) {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // the group is gone
      }
    }
    for (const c of children) c.kill('SIGKILL')
  }
  return fn
}
