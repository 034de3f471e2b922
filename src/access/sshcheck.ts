// Whether SSH applies to a node before anything connects: something configures it for the node, or a key or agent
// exists and the name resolves. The verdict (pure) is separate from gathering its facts (files, agent socket, DNS).
import dns from 'node:dns'
import fs from 'node:fs'
import type { ResolvedHost } from '../exec/ssh/sshconfig-types.ts'

/** What decides whether SSH applies to a node. */
export interface SshFacts {
  /** A `.recipes` nodes rule matches the node. */
  rule: boolean
  /** The node as ssh_config resolves it. */
  host: Pick<
    ResolvedHost,
    'name' | 'hostName' | 'identityFiles' | 'identityFilesExplicit' | 'identityAgent' | 'identitiesOnly' | 'proxyJump'
  >
  /** The agent socket in use (IdentityAgent, else SSH_AUTH_SOCK) exists; undefined when there is none. */
  agent?: string
  /** Identity files that exist (readable). */
  keys: string[]
  /** Whether HostName resolves (undefined when not looked up: something explicit applied first). */
  resolves?: boolean
}

/** The verdict: SSH is tried (why), or skipped (why not). */
export interface SshVerdict {
  applies: boolean
  why: string
}

/** Something in the configuration names this host: a nodes rule, HostName, IdentityFile or ProxyJump. Pure. */
export function explicitSsh(f: Pick<SshFacts, 'rule' | 'host'>): string | undefined {
  if (f.rule) return 'a .recipes nodes rule matches it'
  if (f.host.hostName !== f.host.name) return `the ssh config sets HostName ${f.host.hostName}`
  if (f.host.proxyJump.length) return 'the ssh config sets ProxyJump'
  if (f.host.identityFilesExplicit) return `the ssh config sets IdentityFile ${f.host.identityFiles.join(', ')}`
  return undefined
}

/**
 * SSH applies when explicit configuration names the node (explicitSsh), or when an ssh-agent or a default
 * key exists and the name resolves; otherwise it is skipped, saying what is missing. Pure.
 */
export function sshApplies(f: SshFacts): SshVerdict {
  const explicit = explicitSsh(f)
  if (explicit) return { applies: true, why: explicit }
  const cred =
    f.agent && !f.host.identitiesOnly ? `ssh-agent ${f.agent}` : f.keys.length ? `key ${f.keys[0]}` : undefined
  if (!cred) return { applies: false, why: `no ssh config entry, key or agent applies to ${f.host.name}` }
  if (f.resolves === false)
    return {
      applies: false,
      why: `no ssh config entry for ${f.host.name}, and the name does not resolve (${cred} alone does not say where it is)`,
    }
  return { applies: true, why: `${cred}, and ${f.host.name} resolves` }
}

/** Resolves a name (bounded); true when it has an address. */
export function resolvesName(name: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs)
    t.unref()
    dns.lookup(name, (err) => {
      clearTimeout(t)
      resolve(!err)
    })
  })
}

function exists(p: string | undefined | null, socket = false): boolean {
  if (!p) return false
  try {
    const st = fs.statSync(p)
    return socket ? st.isSocket() : st.isFile()
  } catch {
    return false
  }
}

/** Gathers the facts for sshApplies: files and the agent socket on disk, and DNS only when nothing explicit applies. */
export async function sshFacts(
  host: SshFacts['host'],
  rule: boolean,
  env: Record<string, string | undefined>,
  lookup = resolvesName,
): Promise<SshFacts> {
  const agentPath = host.identityAgent === undefined ? env.SSH_AUTH_SOCK : host.identityAgent
  const f: SshFacts = {
    rule,
    host,
    agent: exists(agentPath, true) ? agentPath! : undefined,
    keys: host.identityFiles.filter((k) => exists(k)),
  }
  if (!explicitSsh(f) && (f.agent || f.keys.length)) f.resolves = await lookup(host.hostName)
  return f
}
