// FleetHandle: fleet(target).$`cmd` in the spirit of node(x).$ — the same template rules, one command on many nodes.
import { optionsProblem, received } from '../errors.ts'
import { templateArgv, type ArgValue } from '../exec/node.ts'
import { present } from '../present.ts'
import type { FleetRun, FleetOptions } from './run.ts'
import { FleetError } from './types.ts'

/**
 * Which nodes: a label selector (a string like 'role=worker', or a map {role: 'worker'}), names (an array; node sets
 * like 'lab-ssh-[1-20]' are expanded), or every node of the cluster (undefined).
 */
export type FleetTarget = string | Readonly<Record<string, string>> | readonly string[] | undefined

/** Checks a target's type (not whether its nodes exist); throws FleetError naming what was expected. */
export function checkTarget(target: unknown): FleetTarget {
  if (target === undefined || typeof target === 'string') return target
  if (Array.isArray(target)) {
    if (!target.length)
      throw new FleetError(
        'invalid',
        'fleet: expected node names, received an empty array',
        "fleet() is every node; fleet(['lab-2', 'lab-3']) names them",
      )
    const bad = target.findIndex((n) => typeof n !== 'string' || n === '')
    if (bad >= 0)
      throw new FleetError('invalid', `fleet: nodes[${bad}]: expected a node name, received ${received(target[bad])}`)
    return target
  }
  if (target && typeof target === 'object' && Object.values(target).every((v) => typeof v === 'string'))
    return target as Record<string, string>
  throw new FleetError(
    'invalid',
    `fleet: expected a label selector ('role=worker' or {role: 'worker'}), an array of node names, or nothing (every node), received ${received(target)}`,
  )
}

/** The options of a fleet run (FleetOptions), as .with() and .run() take them. */
export const FLEET_OPTIONS = [
  'timeoutMs',
  'deadlineMs',
  'spentMs',
  'fanout',
  'signal',
  'sudo',
  'input',
  'onResult',
  'onProgress',
] as const

/** Starts a run of argv with options (the session binding supplies it). */
export type FleetStarter = (argv: string[], opts: FleetOptions) => FleetRun

function describeTarget(t: FleetTarget): string {
  if (t === undefined) return 'every node'
  if (typeof t === 'string') return `-l ${t}`
  if (Array.isArray(t)) return t.join(',')
  return `-l ${Object.entries(t)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`
}

/** The nodes chosen by a target, with the fleet's defaults: .$`cmd`, .run(argv), .sh(script), .timeout(ms), .deadline(ms), .fanout(n), .sudo. */
export class FleetHandle {
  /** Tagged template: runs the command on every node (each interpolated value is one argv word, as node(x).$). */
  readonly $: (strings: TemplateStringsArray, ...values: ArgValue[]) => FleetRun

  constructor(
    readonly target: FleetTarget,
    readonly start: FleetStarter,
    readonly defaults: Readonly<FleetOptions> = {},
  ) {
    this.$ = (strings, ...values) => {
      if (!Array.isArray(strings) || !('raw' in strings))
        throw new FleetError(
          'invalid',
          'fleet(...).$ is a tagged template: write fleet().$`cmd ${arg}`, or use .run([...argv])',
        )
      return this.run(templateArgv(strings, values))
    }
  }

  /** A handle whose nodes each get this timeout (from when the node's turn comes). */
  timeout(ms: number): FleetHandle {
    return this.with({ timeoutMs: ms })
  }

  /** A handle with an overall deadline: what has not finished by then is marked timeout and stopped. */
  deadline(ms: number): FleetHandle {
    return this.with({ deadlineMs: ms })
  }

  /** A handle running at most n nodes at once. */
  fanout(n: number): FleetHandle {
    return this.with({ fanout: n })
  }

  /** A handle whose commands run as root (sudo -n where the login is not root). */
  get sudo(): FleetHandle {
    return this.with({ sudo: true })
  }

  /** A handle with more default options (signal, onResult, onProgress, timeoutMs, deadlineMs, fanout). */
  with(opts: FleetOptions): FleetHandle {
    const problem = optionsProblem(opts ?? null, FLEET_OPTIONS, 'with')
    if (problem) throw new FleetError('invalid', problem)
    return new FleetHandle(this.target, this.start, { ...this.defaults, ...opts })
  }

  /** Runs an argv (the command and its arguments, never a shell string) on every node. */
  run(argv: readonly string[], opts: FleetOptions = {}): FleetRun {
    const problem = optionsProblem(opts, FLEET_OPTIONS, 'run: opts')
    if (problem) throw new FleetError('invalid', problem)
    return this.start([...argv], { ...this.defaults, ...opts })
  }

  /** Runs a POSIX shell script via `sh -s` on stdin on every node; args become $1, $2, …. */
  sh(script: string, args: readonly string[] = [], opts: FleetOptions = {}): FleetRun {
    if (typeof script !== 'string')
      throw new FleetError('invalid', `sh: expected the script as a string, received ${received(script)}`)
    return this.run(['sh', '-s', '--', ...args], { ...opts, input: script })
  }
}
// Prints as Fleet(TARGET flags…).
present(FleetHandle.prototype, (h) => {
  const flags = Object.entries(h.defaults)
    .filter(([, v]) => typeof v !== 'function' && typeof v !== 'object')
    .map(([k, v]) => `${k}=${v}`)
  return `Fleet(${describeTarget(h.target)}${flags.length ? ` ${flags.join(' ')}` : ''})`
})
