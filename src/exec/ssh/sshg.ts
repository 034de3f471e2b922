// Resolving a host with OpenSSH's own `ssh -G` (argv only, no shell) and reading its `key value` output.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { SshGBatch } from './sshg-batch.ts'
import type { ConfigText, SshOptions } from './sshconfig-types.ts'
import { safeOwner, SshConfigError } from './sshconfig.ts'

/** An installed OpenSSH client. */
export interface SshClient {
  path: string
  /** What `ssh -V` printed, e.g. "OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026". */
  version: string
}

const found = new Map<string, SshClient | null>()

/** Finds `ssh` on PATH and checks that `ssh -V` works (once per PATH); null when there is no usable OpenSSH client. */
export function findSsh(env: Readonly<Record<string, string | undefined>> = process.env): SshClient | null {
  const PATH = env.PATH ?? process.env.PATH ?? '/usr/bin:/bin'
  if (!found.has(PATH)) found.set(PATH, lookPath(PATH))
  return found.get(PATH)!
}

function lookPath(PATH: string): SshClient | null {
  for (const dir of PATH.split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, 'ssh')
    try {
      fs.accessSync(p, fs.constants.X_OK)
    } catch {
      continue
    }
    const r = spawnSync(p, ['-V'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] })
    const version = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n')[0]
    if (r.status === 0 && /OpenSSH/i.test(version)) return { path: p, version }
  }
  return null
}

const NOISE = /^Pseudo-terminal will not be allocated/

/** Reads the `key value` lines of `ssh -G` into the settings the transport uses. */
export function parseSshG(stdout: string): SshOptions {
  const one = new Map<string, string>()
  const ids: string[] = []
  for (const line of stdout.split('\n')) {
    const i = line.indexOf(' ')
    if (i <= 0) continue
    const k = line.slice(0, i).toLowerCase()
    const v = line.slice(i + 1)
    if (k === 'identityfile') ids.push(v)
    else if (!one.has(k)) one.set(k, v)
  }
  const need = (k: string) => {
    const v = one.get(k)
    if (v === undefined) throw new SshConfigError(`ssh -G printed no ${k} line; is this OpenSSH's ssh?`)
    return v
  }
  const files = (k: string) => {
    const v = one.get(k)
    return v === undefined || v === 'none' ? [] : v.split(' ').filter(Boolean)
  }
  const shk = need('stricthostkeychecking').toLowerCase()
  const strict = (
    {
      true: 'true',
      yes: 'true',
      false: 'false',
      no: 'false',
      off: 'false',
      ask: 'ask',
      'accept-new': 'accept-new',
    } as const
  )[shk as 'true']
  if (!strict) throw new SshConfigError(`ssh -G printed stricthostkeychecking ${shk}, which kinspect does not know`)
  const timeout = one.get('connecttimeout')
  return {
    user: need('user'),
    hostname: need('hostname'),
    port: Number(need('port')),
    identityfile: ids,
    identitiesonly: /^(yes|true)$/i.test(one.get('identitiesonly') ?? 'no'),
    identityagent: one.get('identityagent'),
    userknownhostsfile: files('userknownhostsfile'),
    globalknownhostsfile: files('globalknownhostsfile'),
    stricthostkeychecking: strict,
    hostkeyalias: one.get('hostkeyalias'),
    connecttimeout: timeout === undefined || timeout === 'none' ? undefined : Number(timeout),
    proxyjump: one.get('proxyjump'),
    proxycommand: one.get('proxycommand'),
    hostkeyalgorithms: one.get('hostkeyalgorithms') ?? '',
  }
}

/**
 * Turns ssh's complaint about a config into the error the built-in reader gives: "FILE line N: …" and
 * "FILE: line N: …" become "FILE:N: …", temporary files are named by what they hold.
 */
export function sshGError(name: string, stderr: string, labels: ReadonlyMap<string, string>): SshConfigError {
  let text = stderr
  for (const [tmp, label] of labels) text = text.split(tmp).join(label)
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !NOISE.test(l))
  const located = lines.map((l) => l.match(/^(.+?):? line (\d+): (.*)$/s)).filter((m): m is RegExpMatchArray => !!m)
  const hint = `this is ssh's own verdict (\`ssh -G ${name}\`): ssh rejects the config too; fix the line it names`
  if (located.length) {
    const [first, ...more] = located.map((m) => `${m[1]}:${m[2]}: ${m[3]}`)
    return new SshConfigError(more.length ? `${first} (and ${more.length} more: ${more.join('; ')})` : first, hint)
  }
  return new SshConfigError(`ssh -G ${name} failed: ${lines.join('; ') || 'no message'}`, hint)
}

/** Options of an SshG resolver. */
export interface SshGOptions {
  ssh: SshClient
  /** Environment ssh runs with (HOME, SHELL for Match exec, ${VAR} in paths). */
  env: Readonly<Record<string, string | undefined>>
  /** ssh -G loops at once (each runs its names one after another; see sshg-batch.ts). Default 4. */
  concurrency?: number
  /** Deadline of one ssh -G (Match exec commands run inside it). Default 10000. */
  timeoutMs?: number
}

/**
 * Resolves names with `ssh -G -F WRAPPER -- NAME`. WRAPPER is a file in a private temporary directory that
 * Includes, in kinspect's order, each config file where it lives (so ssh reads it itself, names it and its lines
 * in errors, resolves its relative Includes and checks its permissions); only texts with no file of their own
 * (the .recipes node rules) are written next to it, mode 0600. close() removes the directory.
 */
export class SshG {
  readonly #configs: readonly ConfigText[]
  readonly #opts: Required<SshGOptions>
  #batch?: SshGBatch
  readonly #labels = new Map<string, string>()
  #dir?: string

  constructor(configs: readonly ConfigText[], opts: SshGOptions) {
    this.#configs = configs
    this.#opts = { concurrency: 4, timeoutMs: 10_000, ...opts }
  }

  /** The OpenSSH client in use. */
  get client(): SshClient {
    return this.#opts.ssh
  }

  /** ssh's settings for one name; SshConfigError when ssh rejects the config or does not answer. */
  async resolve(name: string): Promise<SshOptions> {
    const batch = this.#prepare()
    const r = await batch.run(name)
    if (r.timedOut)
      throw new SshConfigError(
        `ssh -G ${name} did not finish within ${this.#opts.timeoutMs} ms`,
        'a Match exec command in the ssh config may hang, or CanonicalizeHostname waits for DNS',
      )
    if (r.code !== 0) throw sshGError(name, r.stderr, this.#labels)
    return parseSshG(r.stdout)
  }

  /** Removes the temporary directory (idempotent). */
  close(): void {
    open.delete(this)
    this.#batch?.close()
    this.#batch = undefined
    if (this.#dir) fs.rmSync(this.#dir, { recursive: true, force: true })
    this.#dir = undefined
  }

  #prepare(): SshGBatch {
    if (this.#batch) return this.#batch
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-ssh-'))
    this.#dir = dir
    if (!exitHook) process.once('exit', closeAll)
    exitHook = true
    open.add(this)
    const lines = ['# kinspect: the ssh config files in the order kinspect reads them (ssh -G reads this)']
    this.#configs.forEach((t, i) => {
      let file = t.path && onDisk(t) ? t.path : undefined
      if (!file) {
        file = path.join(dir, `${i + 1}.conf`)
        fs.writeFileSync(file, t.text, { mode: 0o600 })
        this.#labels.set(file, t.path ?? `<ssh config ${i + 1}>`)
      }
      lines.push(`Include "${file}"`)
    })
    const wrapper = path.join(dir, 'ssh_config')
    fs.writeFileSync(wrapper, `${lines.join('\n')}\n`, { mode: 0o600 })
    this.#labels.set(wrapper, 'the list of ssh config files')
    this.#batch = new SshGBatch({
      ssh: this.#opts.ssh.path,
      wrapper,
      dir,
      env: this.#opts.env,
      shells: this.#opts.concurrency,
      timeoutMs: this.#opts.timeoutMs,
    })
    return this.#batch
  }
}

// Resolvers with a temporary directory; the ones still open when the process exits are cleaned up then.
const open = new Set<SshG>()
let exitHook = false
function closeAll(): void {
  for (const g of [...open]) g.close()
}

// The file can be Included as it is: an absolute plain path whose content is the text kinspect holds, and that
// Include's permission check accepts (a file named by KINSPECT_SSH_CONFIG is read like ssh -F reads it: unchecked).
function onDisk(t: ConfigText): boolean {
  if (!t.path || !path.isAbsolute(t.path) || /[\s"'\\*?[]/.test(t.path)) return false
  try {
    return fs.readFileSync(t.path, 'utf8') === t.text && safeOwner(fs.statSync(t.path))
  } catch {
    return false
  }
}
