// Node settings for the pool: `ssh -G` when an OpenSSH client is installed, else the built-in reader; once per node.
import { ExecError } from '../types.ts'
import {
  checkHostName,
  loadConfigTexts,
  localContext,
  resolveHost,
  SshConfigError,
  toResolvedHost,
  type ConfigText,
  type ResolvedHost,
} from './sshconfig.ts'
import { findSsh, SshG, type SshClient } from './sshg.ts'

/** Where settings come from and how they are resolved. */
export interface HostResolverOptions {
  /** Environment: KINSPECT_SSH_CONFIG, KINSPECT_KNOWN_HOSTS, KINSPECT_SSH_RESOLVER, PATH, HOME, SHELL. */
  env: Record<string, string | undefined>
  /** Config texts to use instead of reading the files. */
  configs?: ConfigText[]
  /** System config path; null to ignore it. Default /etc/ssh/ssh_config. */
  systemConfig?: string | null
  /**
   * 'ssh -G' (OpenSSH's own answer; an error when no client is installed), 'built-in' (kinspect's reader), or
   * 'auto' (ssh -G when `ssh -V` works, else built-in). Default: env KINSPECT_SSH_RESOLVER, else 'auto'.
   */
  resolver?: 'auto' | 'ssh -G' | 'built-in'
  /** The OpenSSH client for 'ssh -G' (default: `ssh` on PATH; null: none). */
  ssh?: SshClient | null
}

const MODES = ['auto', 'ssh -G', 'built-in'] as const

/** Resolves node names to ResolvedHost, caching each answer (a failure is retried on the next call). */
export class HostResolver {
  readonly #opts: HostResolverOptions
  readonly #mode: (typeof MODES)[number]
  readonly #cache = new Map<string, Promise<ResolvedHost>>()
  #configs?: ConfigText[]
  #sshG?: SshG | null

  constructor(opts: HostResolverOptions) {
    this.#opts = opts
    const mode = opts.resolver ?? opts.env.KINSPECT_SSH_RESOLVER ?? 'auto'
    if (!(MODES as readonly string[]).includes(mode)) {
      throw new ExecError(
        'invalid',
        { target: 'ssh' },
        `ssh resolver: expected one of ${MODES.join(', ')}, received ${JSON.stringify(mode)}`,
        'set KINSPECT_SSH_RESOLVER to auto, "ssh -G" or built-in (or unset it)',
      )
    }
    this.#mode = mode as (typeof MODES)[number]
  }

  /** The node's settings; config problems are ExecError kind 'invalid' naming the file and line. */
  resolve(node: string): Promise<ResolvedHost> {
    let p = this.#cache.get(node)
    if (!p) {
      p = this.#resolve(node)
      this.#cache.set(node, p)
      p.catch(() => this.#cache.delete(node)) // a fixed config is read again on the next try
    }
    return p
  }

  /** Removes ssh -G's temporary files. */
  close(): void {
    this.#sshG?.close()
  }

  async #resolve(node: string): Promise<ResolvedHost> {
    const env = this.#opts.env
    try {
      checkHostName(node)
      this.#configs ??= this.#opts.configs ?? loadConfigTexts({ env, systemConfig: this.#opts.systemConfig })
      const g = this.#ssh()
      if (!g) return resolveHost(node, this.#configs, { env })
      return toResolvedHost(await g.resolve(node), localContext(node, { env }), 'ssh -G')
    } catch (e) {
      if (e instanceof SshConfigError) throw new ExecError('invalid', { target: `ssh:${node}` }, e.message, e.hint, e)
      throw e
    }
  }

  // The ssh -G resolver, or null for the built-in reader (decided once).
  #ssh(): SshG | null {
    if (this.#sshG !== undefined) return this.#sshG
    const ssh =
      this.#mode === 'built-in' ? null : this.#opts.ssh !== undefined ? this.#opts.ssh : findSsh(this.#opts.env)
    if (!ssh && this.#mode === 'ssh -G')
      throw new SshConfigError(
        'ssh resolver "ssh -G": no OpenSSH client answers `ssh -V` on PATH',
        'install the OpenSSH client, or set KINSPECT_SSH_RESOLVER=built-in',
      )
    this.#sshG = ssh ? new SshG(this.#configs!, { ssh, env: this.#opts.env }) : null
    return this.#sshG
  }
}
