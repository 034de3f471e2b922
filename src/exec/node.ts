// NodeHandle: a zx-like tagged template over any Exec, where every interpolated value is exactly one argv word.
import { optionsProblem, received } from '../errors.ts'
import { present } from '../present.ts'
import { ExecError, ExecOutput, type Exec, type RunOptions } from './types.ts'
import type { ResolvedHost } from './ssh/sshconfig-types.ts'

/** A running command: a promise of its output with shortcuts for the common readings. */
export type ExecPromise = Promise<ExecOutput> & {
  json<T = any>(): Promise<T>
  text(): Promise<string>
  lines(): Promise<string[]>
}

/** A value that may be interpolated: one word, or an array of words. */
export type ArgValue = string | number | bigint | boolean | ExecOutput | readonly (string | number | bigint | boolean)[]

const OPERATORS = new Set(['|', '||', '&&', ';', '&', '>', '>>', '<', '<<', '2>', '2>&1', '>&2', '$(', '`', '(', ')'])

/**
 * Builds argv from a template: literal text splits on whitespace, each interpolated value becomes one word
 * (glued to literal text it touches, e.g. `--dev=${d}`), an array becomes one word per element.
 */
export function templateArgv(strings: readonly string[], values: readonly unknown[]): string[] {
  const argv: string[] = []
  let word: string | null = null // the word being built; null when between words
  const flush = () => {
    if (word !== null) argv.push(word)
    word = null
  }
  const literal = (text: string) => {
    if (/['"]/.test(text))
      throw templateError(
        `node.$: literal text ${JSON.stringify(text.trim())} contains a quote; the template does no shell quoting`,
        "interpolate the argument instead: node(x).$`echo ${'a b'}`",
      )
    const parts = text.split(/\s+/)
    parts.forEach((p, k) => {
      if (k > 0) flush()
      if (p) word = (word ?? '') + p
    })
  }
  strings.forEach((s, i) => {
    literal(s ?? '')
    if (i >= values.length) return
    const v = values[i]
    const glued = word !== null || /^\S/.test(strings[i + 1] ?? '')
    if (Array.isArray(v)) {
      if (glued)
        throw templateError(
          `node.$: the array at \${${i}} touches literal text`,
          'put spaces around it: each element becomes its own word',
        )
      v.forEach((x, k) => argv.push(scalar(x, `\${${i}}[${k}]`)))
      return
    }
    word = (word ?? '') + scalar(v, `\${${i}}`)
  })
  flush()
  for (const w of argv) {
    if (OPERATORS.has(w))
      throw templateError(
        `node.$: ${JSON.stringify(w)} would be a plain argument here, not a shell operator`,
        "use .sh(script) for pipelines and redirections: node(x).sh('ps aux | grep kubelet')",
      )
  }
  return argv
}

/** A template the user wrote wrong: ExecError invalid, before anything runs. */
function templateError(message: string, hint?: string): ExecError {
  return new ExecError('invalid', { target: 'node.$' }, message, hint)
}

function scalar(v: unknown, where: string): string {
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v)
  if (v instanceof ExecOutput) return v.text()
  throw templateError(
    `node.$: ${where}: expected a string, number, boolean or an array of those, received ${Array.isArray(v) ? 'a nested array' : received(v)}`,
  )
}

function promiseOf(p: Promise<ExecOutput>): ExecPromise {
  return Object.assign(p, {
    json: <T>() => p.then((o) => o.json<T>()),
    text: () => p.then((o) => o.text()),
    lines: () => p.then((o) => o.lines()),
  })
}

/** The options of one command (RunOptions), as a handle's with(), run() and sh() take them. */
export const RUN_OPTIONS = ['timeoutMs', 'input', 'nothrow', 'sudo', 'signal', 'binary', 'tool'] as const

/** Throws ExecError invalid for options that are not an object or hold a key that is not a RunOptions key. */
export function checkRunOptions(target: string, opts: unknown, what: string): void {
  const problem = optionsProblem(opts ?? null, RUN_OPTIONS, what)
  if (problem) throw new ExecError('invalid', { target }, problem, "e.g. node('lab-1').with({timeoutMs: 5000})")
}

/** The deadline a handle's timeout(ms) takes: a positive number of milliseconds, else ExecError invalid. */
export function checkTimeout(target: string, ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0)
    throw new ExecError(
      'invalid',
      { target },
      `timeout: expected a positive number of milliseconds, received ${received(ms)}`,
      'e.g. .timeout(5000) for 5 s',
    )
  return ms
}

/** Any Exec with zx-like conveniences: node.$`ip -j addr show ${dev}`, .sudo, .timeout(ms), .nothrow(). */
export class NodeHandle {
  /** Tagged template: runs the command built by templateArgv. */
  readonly $: (strings: TemplateStringsArray, ...values: ArgValue[]) => ExecPromise

  constructor(
    readonly exec: Exec,
    readonly defaults: Readonly<RunOptions> = {},
  ) {
    if (!exec || typeof exec.run !== 'function')
      throw new TypeError(`NodeHandle: expected an Exec (an object with run()), received ${received(exec)}`)
    this.$ = (strings, ...values) => {
      if (!Array.isArray(strings) || !('raw' in strings))
        throw new ExecError(
          'invalid',
          { target: this.target },
          'node.$ is a tagged template: write node.$`cmd ${arg}`, or use node.run([...argv])',
        )
      let argv: string[]
      try {
        argv = templateArgv(strings, values)
      } catch (e) {
        return promiseOf(Promise.reject(e))
      }
      return this.run(argv)
    }
  }

  /** Short name of the target, e.g. "ssh:lab-1", "pod:lab-2" ("node:lab-2" before its first command chose). */
  get target(): string {
    return this.exec.target
  }

  /**
   * How commands reach the node: 'ssh', 'pod' or 'daemonset' (a pod of a fleet's DaemonSet) once the first command chose the transport, 'local' for this
   * machine, undefined before the first command (and for an Exec that does not say).
   */
  get via(): 'ssh' | 'pod' | 'daemonset' | 'local' | undefined {
    const e = this.exec as Exec & { via?: unknown }
    if (e.via === 'ssh' || e.via === 'pod' || e.via === 'daemonset' || e.via === 'local') return e.via
    return e.target.startsWith('ssh:') ? 'ssh' : e.target.startsWith('pod:') ? 'pod' : undefined
  }

  /**
   * How ssh_config resolves this node, with `source`: 'ssh -G' (OpenSSH's own answer) or 'built-in'. A promise
   * (await node('lab-1').sshConfig); undefined for a target that is not reached over SSH.
   */
  get sshConfig(): Promise<ResolvedHost> | undefined {
    const exec = this.exec as Exec & { sshConfig?: () => Promise<ResolvedHost> }
    return exec.sshConfig?.()
  }

  /** A handle whose commands run as root. */
  get sudo(): NodeHandle {
    return this.with({ sudo: true })
  }

  /** A handle whose commands have this deadline. */
  timeout(ms: number): NodeHandle {
    return this.with({ timeoutMs: checkTimeout(this.target, ms) })
  }

  /** A handle that returns non-zero exits instead of throwing. */
  nothrow(): NodeHandle {
    return this.with({ nothrow: true })
  }

  /** A handle with more default options. */
  with(opts: RunOptions): NodeHandle {
    checkRunOptions(this.target, opts, 'with')
    return new NodeHandle(this.exec, { ...this.defaults, ...opts })
  }

  /** Runs an argv with the handle's defaults under opts. */
  run(argv: readonly string[], opts: RunOptions = {}): ExecPromise {
    try {
      checkRunOptions(this.target, opts, 'run: opts')
    } catch (e) {
      return promiseOf(Promise.reject(e))
    }
    return promiseOf(this.exec.run(argv, { ...this.defaults, ...opts }))
  }

  /** Runs a POSIX shell script via `sh -s` on stdin; args become $1, $2, …. */
  sh(script: string, args: readonly string[] = [], opts: RunOptions = {}): ExecPromise {
    if (typeof script !== 'string')
      return promiseOf(
        Promise.reject(
          new ExecError(
            'invalid',
            { target: this.target },
            `sh: expected the script as a string, received ${received(script)}`,
          ),
        ),
      )
    return this.run(['sh', '-s', '--', ...args], { ...opts, input: script })
  }
}
// Prints as NodeHandle(TARGET flags…): where commands go and the defaults they get.
present(NodeHandle.prototype, (h) => {
  const flags = Object.entries(h.defaults)
    .filter(([k]) => k !== 'signal')
    .map(([k, v]) => `${k}=${v}`)
  return `NodeHandle(${h.target}${flags.length ? ` ${flags.join(' ')}` : ''})`
})
