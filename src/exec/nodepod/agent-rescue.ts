// The one-shot execs beside an agent: the kill exec that stops one command, and the rescue that settles what a lost
// agent carried (see RESCUE in agentscript.ts).
import type { ExecProtocolChoice } from '../../kube/execproto.ts'
import type { NodePodApi } from './api.ts'
import type { AgentOutcome } from './agent-types.ts'
import { AgentDecoder } from './agentproto.ts'
import { rescueCommand } from './agentscript.ts'
import { killCommand } from './command.ts'
import type { NodePodRef } from './manager.ts'
import { CONTAINER } from './spec.ts'

/** How the agent's one-shot execs are made: its exec protocol and state directory. */
export interface AgentExecOptions {
  protocol?: ExecProtocolChoice
  dir: string
}

/** Stops command `id` and what it started with a one-shot kill exec (best effort, 3 s). */
export async function killExec(api: NodePodApi, ref: NodePodRef, o: AgentExecOptions, id: string): Promise<void> {
  await api
    .exec({
      namespace: ref.namespace,
      pod: ref.name,
      container: CONTAINER,
      command: killCommand(id, o.dir),
      protocol: o.protocol,
      signal: AbortSignal.timeout(3000),
      connectTimeoutMs: 3000,
    })
    .catch(() => undefined)
}

/**
 * One exec settles every command the lost agent (shell pid `pid`) carried: an outcome for each of `ids` (finished,
 * stopped, never started, or unknown when the rescue could not say); never throws.
 */
export async function rescueOutcomes(
  api: NodePodApi,
  ref: NodePodRef,
  o: AgentExecOptions,
  pid: number,
  ids: readonly string[],
  why: string,
  rescueMs: number,
): Promise<Map<string, AgentOutcome>> {
  const got = new Map<string, AgentOutcome>()
  let failure: unknown
  try {
    const res = await api.exec({
      namespace: ref.namespace,
      pod: ref.name,
      container: CONTAINER,
      command: rescueCommand(pid, ids, o.dir),
      protocol: o.protocol,
      signal: AbortSignal.timeout(rescueMs),
      connectTimeoutMs: 5000,
    })
    for (const e of new AgentDecoder().push(res.stdout)) {
      if (e.type === 'answer')
        got.set(e.id, { kind: 'answer', exitCode: e.exitCode, stdout: e.stdout, stderr: e.stderr })
      else if (e.type === 'lost') got.set(e.id, { kind: 'lost', why })
      else if (e.type === 'unstarted') got.set(e.id, { kind: 'unstarted', why })
    }
    if (!res.status || res.status.exitCode !== 0)
      failure = new Error(
        res.status?.message ??
          `the rescue exec ended without an exit status${res.stderr.length ? `: ${res.stderr.toString('utf8').trim().slice(0, 200)}` : ''}`,
      )
  } catch (e) {
    failure = e
  }
  const out = new Map<string, AgentOutcome>()
  for (const id of ids)
    out.set(
      id,
      got.get(id) ?? {
        kind: 'unknown',
        why: `${why}; what became of the command could not be found out: ${(failure as Error)?.message ?? 'the rescue did not name it'}`,
        cause: failure,
      },
    )
  return out
}
