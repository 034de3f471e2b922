// A scripted fleet transport (no network) for runFleet's tests: each node answers after a set time with a set
// outcome, and the transport records what it was asked and when it was stopped.
import { ExecError, type ExecResult } from '../../src/exec/types.ts'
import { classifyError } from '../../src/fleet/classify.ts'
import type { FleetTransport } from '../../src/fleet/index.ts'

export type Script = { ms: number; out?: string; fail?: ExecError } | 'hang'

/** A transport whose nodes follow a script; it honours the signal the way a real one must (stops, rejects aborted). */
export function scripted(script: Record<string, Script>) {
  const log = {
    started: [] as string[],
    aborted: [] as string[],
    inFlight: 0,
    peak: 0,
    timeouts: new Map<string, number>(),
  }
  const transport: FleetTransport = {
    run(node, argv, o) {
      log.started.push(node)
      log.timeouts.set(node, o.timeoutMs)
      log.inFlight++
      log.peak = Math.max(log.peak, log.inFlight)
      const s = script[node] ?? { ms: 1 }
      return new Promise<ExecResult>((resolve, reject) => {
        const done = () => {
          log.inFlight--
          o.signal.removeEventListener('abort', onAbort)
        }
        const onAbort = () => {
          clearTimeout(t)
          log.aborted.push(node)
          done()
          reject(
            new ExecError(
              'aborted',
              { target: `fake:${node}`, argv: [...argv] },
              `${argv.join(' ')} on ${node} was aborted`,
            ),
          )
        }
        o.signal.addEventListener('abort', onAbort, { once: true })
        const t =
          s === 'hang'
            ? setTimeout(() => {}, 1e9)
            : setTimeout(() => {
                done()
                if (s.fail) reject(s.fail)
                else
                  resolve({
                    target: `fake:${node}`,
                    argv: [...argv],
                    exitCode: 0,
                    stdout: s.out ?? `${node}\n`,
                    stderr: '',
                    durationMs: s.ms,
                  })
              }, s.ms)
      })
    },
    classify: classifyError,
    via: () => 'fake',
  }
  return { transport, log }
}

export const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms))
export const names = (n: number, p = 'n') => Array.from({ length: n }, (_, i) => `${p}${i + 1}`)
