// Shared by the fault e2e tests: a `kinspect` REPL on piped stdin driven one input at a time (each timed), the
// checks every failed call must pass (one clear error paragraph with a hint, no stack trace), kubeconfigs that break
// one thing, and `kinspect -e` runs timed from start to exit.
import fs from 'node:fs'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { labPaths } from '../lab/layout.ts'
import { envFor, kinspect, tmp, until, type Kinspect } from '../access/labkit.ts'

export const PROMPT = 'kinspect-lab:shop> '
/** The question before kinspect creates a node pod (the lab's .recipes: pods: ask). */
export const CONSENT = 'Allow node pods for this session? [y/N] '

/** The environment of a user with the lab's own .recipes (SSH to every node), optionally another kubeconfig. */
export function labEnv(kubeconfig?: string): Record<string, string | undefined> {
  return envFor(labPaths().kinspectConfig, { ssh: true, kubeconfig })
}

/** What one REPL input printed and how long it took (write to its output being complete). */
export interface Answer {
  text: string
  ms: number
}

/** A kinspect REPL on piped stdin. */
export class Repl {
  private n = 0
  private constructor(readonly k: Kinspect) {}

  /** Starts `kinspect` and waits for the first answer (the session is open once `1+1` is answered). */
  static async open(env: Record<string, string | undefined>): Promise<Repl> {
    const r = new Repl(kinspect([], env))
    const a = await r.call('1+1', 30_000)
    assert.match(a.text, /^2$/m, r.all())
    return r
  }

  /**
   * Sends one input line, then a marker line; the input is done when the marker's value is printed (the REPL
   * evaluates in order). Fails the test if that takes more than maxMs or the process exits. With `consent`, the
   * node pod question must be asked, and gets that answer.
   */
  async call(line: string, maxMs: number, o: { consent?: 'y' | 'n' } = {}): Promise<Answer> {
    const marker = `done-${++this.n}`
    const from = this.k.out().length
    const t0 = performance.now()
    if (o.consent) {
      // The node pod question reads the shell's own input: answer it when it is asked, then send the marker.
      this.k.child.stdin!.write(`${line}\n`)
      const asked = await until(() => this.k.out().includes(CONSENT, from) || this.k.child.exitCode !== null, maxMs)
      assert.ok(
        asked && this.k.child.exitCode === null,
        `\`${line}\` did not ask for node pods within ${maxMs} ms: ${this.all()}`,
      )
      this.k.child.stdin!.write(`${o.consent}\n'${marker}'\n`)
    } else {
      this.k.child.stdin!.write(`${line}\n'${marker}'\n`)
    }
    const seen = await until(
      () => this.k.out().includes(`'${marker}'`, from) || this.k.child.exitCode !== null,
      maxMs + 100,
    )
    const ms = Math.round(performance.now() - t0)
    assert.ok(
      seen && this.k.child.exitCode === null,
      `\`${line}\` gave no answer within ${maxMs} ms (exit ${this.k.child.exitCode}): ${this.all()}`,
    )
    const text = this.k
      .out()
      .slice(from, this.k.out().indexOf(`'${marker}'`, from))
      .split(PROMPT)
      .join('')
      .trim()
    return { text, ms }
  }

  /** Everything the REPL printed (stdout, then stderr). */
  all(): string {
    return `${this.k.out()}\n--- stderr ---\n${this.k.err()}`
  }

  /** `.exit`, and the exit code (0 expected: the shell survived everything). */
  async exit(): Promise<number | null> {
    this.k.child.stdin!.end('.exit\n')
    const code = await Promise.race([this.k.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))])
    if (code === 'hung') {
      this.k.child.kill('SIGKILL')
      assert.unreachable(`the REPL did not exit within 20 s of .exit: ${this.all()}`)
    }
    return code as number | null
  }

  /** Kills the REPL (for finally blocks; a no-op once it exited). */
  kill(): void {
    if (this.k.child.exitCode === null) this.k.child.kill('SIGKILL')
  }
}

/**
 * A failed call's output: `error: <message matching want>` as its first line, a `hint:` line, no stack trace,
 * and nothing but the error (one paragraph: the message's own lines are indented under it).
 */
export function assertClearError(text: string, want: RegExp | string, what: string): void {
  const lines = text.split('\n').filter((l) => !l.startsWith('cluster: '))
  assert.match(lines[0] ?? '', /^error: /, `${what}: ${text}`)
  assert.match(lines.join('\n'), want, `${what}: ${text}`)
  assert.ok(
    lines.some((l) => /^hint: \S/.test(l)),
    `${what} has a hint: ${text}`,
  )
  assert.ok(
    lines.slice(1).every((l) => /^ {2}\S|^hint: /.test(l)),
    `${what} is one paragraph: ${text}`,
  )
  assert.not.match(text, /^\s+at /m, `${what} without a stack trace`)
}

/** Runs `kinspect -e expr` to its end: exit code, stderr, stdout and the time it took. */
export async function runE(
  expr: string,
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const t0 = performance.now()
  const k = kinspect(['-e', expr], env, { stdin: 'ignore' })
  const code = await k.exited
  return { code, out: k.out(), err: k.err(), ms: Math.round(performance.now() - t0) }
}

/** The lab's kubeconfig with its text changed by edit, written under the test's temporary directory. */
export function kubeconfigFrom(name: string, edit: (text: string) => string): string {
  const file = path.join(tmp, `${name}.kubeconfig`)
  fs.writeFileSync(file, edit(fs.readFileSync(labPaths().kubeconfig, 'utf8')), { mode: 0o600 })
  return file
}

/** Prints a measured figure (the README's failure table quotes these). */
export function measured(what: string, ms: number): void {
  console.log(`  measured: ${what}: ${ms} ms`)
}
