// The agent's types: its limits, how a command ended, the start error, and the pod-gone test for its execs.
import { HintedError } from '../../errors.ts'
import { KubeError } from '../../kube/errors.ts'
import type { ExecStreamResult } from '../../kube/exec.ts'
import { AGENT_CANNOT_START } from './agentscript.ts'
import type { ToolSource } from './command.ts'

/** True for an exec refused because the pod is gone (404) or has ended (400 "cannot exec into a container in a completed pod"). */
export function podGone(e: unknown): boolean {
  return e instanceof KubeError && (e.kind === 'notfound' || (e.status === 400 && /completed pod/.test(e.message)))
}

/** Limits of the agent (tests shorten them). */
export interface AgentLimits {
  /** For the hello after the exec was opened (default 10000 ms). */
  startMs: number
  /** Past a command's deadline before the agent is asked whether it is alive (default 5000 ms). */
  backstopMs: number
  /** For a pong; extended while the agent is still sending bytes (default 2000 ms). */
  pingMs: number
  /** For the agent's "stopped" before a one-shot kill exec is used (default 1000 ms). */
  stopMs: number
  /** For the rescue exec (default 15000 ms). */
  rescueMs: number
  /** For "started" after a request was written, plus 1 s per MB of stdin (default 3000 ms); then a ping decides. */
  startAckMs: number
  /** Ping period of an idle agent, so a connection dropped while idle is noticed before the next command (default 30000 ms). */
  keepAliveMs: number
}

/** Default limits. */
export const AGENT_LIMITS: AgentLimits = {
  startMs: 10_000,
  backstopMs: 5_000,
  pingMs: 2_000,
  stopMs: 1_000,
  rescueMs: 15_000,
  startAckMs: 3_000,
  keepAliveMs: 30_000,
}

/** How one command ended, seen from the agent. */
export type AgentOutcome =
  | { kind: 'answer'; exitCode: number; stdout: Buffer; stderr: Buffer }
  /** No answer by deadline + backstop although the agent answers pings: the command was stopped. */
  | { kind: 'timeout' }
  | { kind: 'aborted' }
  /** The agent was lost while the command ran; the command was stopped on the node. */
  | { kind: 'lost'; why: string }
  /** The command never started (and now never will): it can run again elsewhere. */
  | { kind: 'unstarted'; why: string }
  /** The agent was lost and what became of the command could not be found out. */
  | { kind: 'unknown'; why: string; cause?: unknown }

/** An agent that could not start; permanent when the image cannot run one (then no new agent is tried on that pod). */
export class AgentStartError extends HintedError<'start'> {
  override name = 'AgentStartError'
  constructor(
    message: string,
    readonly permanent: boolean,
    cause?: unknown,
  ) {
    super(
      'start',
      message,
      permanent ? 'the node pod image cannot run the agent: commands go as one exec each' : undefined,
      cause,
    )
  }
}

/** One command for run(). */
export interface AgentRun {
  argv: readonly string[]
  from: ToolSource
  /** Whole seconds for timeout -k 2 on the node. */
  seconds: number
  /** The command's deadline in ms (the backstop counts from it). */
  timeoutMs: number
  stdin?: Buffer
  signal?: AbortSignal
}

/** How the agent's exec ended (err: it failed): why the agent is dead, and the error for a start still waiting. */
export function agentEnded(
  stderrTail: string,
  res?: ExecStreamResult,
  err?: unknown,
): { how: string; startError: AgentStartError } {
  const tail = (stderrTail || res?.stderr.toString('utf8') || '').trim().split('\n').slice(-2).join(' | ')
  if (err)
    return {
      how: `its exec failed: ${(err as Error).message}`,
      startError: new AgentStartError(`the agent's exec failed: ${(err as Error).message}`, false, err),
    }
  const code = res?.status?.exitCode
  const how =
    code === AGENT_CANNOT_START
      ? `it cannot run in this image${tail ? `: ${tail.replace(/^kinspect: /, '')}` : ''}`
      : code !== undefined && code !== null
        ? `it exited ${code}${tail ? `: ${tail}` : ''}`
        : `its exec stream ended (WebSocket close ${res?.closeCode ?? '?'}${res?.status?.message ? `, ${res.status.message}` : ''})`
  return { how, startError: new AgentStartError(`the agent ${how.replace(/^it /, '')}`, code === AGENT_CANNOT_START) }
}
