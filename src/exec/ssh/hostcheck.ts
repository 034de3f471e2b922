// Host key policy: load known_hosts (fail closed), judge the offered key, explain how to fix a refusal.
import fs from 'node:fs'
import path from 'node:path'
import { ExecError } from '../types.ts'
import { knownKeyTypes, parseKnownHosts, verifyHostKey, type KnownHostEntry } from './knownhosts.ts'
import type { ResolvedHost } from './sshconfig.ts'

/** known_hosts entries for one hop, loaded before connecting. */
export interface KnownHostsSet {
  entries: readonly KnownHostEntry[]
  /** Files consulted (user files first). */
  files: string[]
}

/** Reads the hop's known_hosts files. A missing file counts as empty; any other read error refuses (fail closed). */
export function loadKnownHosts(hop: ResolvedHost, target: string): KnownHostsSet {
  const files = [...hop.knownHostsFiles, ...hop.globalKnownHostsFiles]
  const parts: (readonly KnownHostEntry[])[] = []
  for (const f of files) {
    try {
      parts.push(readParsed(f))
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT') continue
      throw new ExecError(
        'hostkey',
        { target },
        `cannot read known_hosts file ${f} (${code ?? (e as Error).message}); refusing to connect to ${hop.name} without checking its host key`,
        `fix the file's permissions or point KINSPECT_KNOWN_HOSTS at a readable known_hosts`,
        e,
      )
    }
  }
  return { entries: combined(files, parts), files }
}

// The entries of a list of files, the same array for as long as no file changed: lookups in it are indexed once
// (entriesFor), not at every connection of a fleet.
const combinedFiles = new Map<string, { parts: (readonly KnownHostEntry[])[]; entries: readonly KnownHostEntry[] }>()

function combined(files: string[], parts: (readonly KnownHostEntry[])[]): readonly KnownHostEntry[] {
  const key = files.join('\0')
  const hit = combinedFiles.get(key)
  if (hit && hit.parts.length === parts.length && hit.parts.every((p, i) => p === parts[i])) return hit.entries
  const entries = parts.flat()
  combinedFiles.set(key, { parts, entries })
  return entries
}

// Parsed known_hosts files, each kept with the identity of the file it was read from (inode, size, change times in
// nanoseconds): a fleet connecting to 100 nodes reads and parses the file once, not 100 times (which was quadratic in
// the number of nodes), and any change to the file (ssh-keygen -R, an edit, accept-new) is seen at the next connection.
const parsedFiles = new Map<string, { stamp: string; entries: readonly KnownHostEntry[] }>()
const NONE: readonly KnownHostEntry[] = Object.freeze([])

function readParsed(file: string): readonly KnownHostEntry[] {
  // A missing file (often /etc/ssh/ssh_known_hosts*) is empty; asked without a throw, whose error and stack cost more
  // than the stat on every connection of a fleet.
  const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false })
  if (!st) return NONE
  const stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`
  const hit = parsedFiles.get(file)
  if (hit?.stamp === stamp) return hit.entries
  const entries = parseKnownHosts(fs.readFileSync(file, 'utf8'), file)
  parsedFiles.set(file, { stamp, entries })
  return entries
}

/** Name and port the hop's key is filed under (HostKeyAlias wins, without a port, as in OpenSSH). */
export function keyLookup(hop: ResolvedHost): { host: string; port: number } {
  return hop.hostKeyAlias ? { host: hop.hostKeyAlias, port: 22 } : { host: hop.hostName, port: hop.port }
}

/**
 * ssh2 server host key algorithms: the types known_hosts holds for this hop first (as OpenSSH orders them), limited
 * to the hop's HostKeyAlgorithms (so ssh-rsa is offered only where ssh would offer it). Empty when none is left.
 */
export function preferredHostKeyAlgorithms(known: KnownHostsSet, hop: ResolvedHost): string[] {
  const all = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ]
  const { host, port } = keyLookup(hop)
  const first = knownKeyTypes(known.entries, host, port)
    .flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]))
    .filter((t) => all.includes(t))
  const allowed = hop.hostKeyAlgorithms
  return [...new Set([...first, ...all])].filter((a) => !allowed?.length || allowed.includes(a))
}

/** Result of the policy: connect (maybe with a warning) or refuse with an error. */
export type HostKeyDecision = { ok: true; warning?: string } | { ok: false; error: ExecError }

/** Applies the policy: a changed or revoked key is always refused; an unknown one unless StrictHostKeyChecking=no/accept-new. */
export function decideHostKey(known: KnownHostsSet, hop: ResolvedHost, blob: Buffer, target: string): HostKeyDecision {
  const { host, port } = keyLookup(hop)
  const v = verifyHostKey(known.entries, host, port, blob)
  const who = v.host === hop.name ? hop.name : `${hop.name} (${v.host})`
  const refuse = (message: string, hint: string) => ({
    ok: false as const,
    error: new ExecError('hostkey', { target }, message, hint),
  })
  const where = (e: KnownHostEntry) => `${e.file ?? 'known_hosts'}:${e.line}`
  switch (v.status) {
    case 'match':
      return { ok: true }
    case 'revoked':
      return refuse(
        `host key ${v.fingerprint} of ${who} is marked @revoked in ${where(v.entry!)}; refusing to connect`,
        'the key was revoked on purpose: ask whoever runs the host for its current key',
      )
    case 'mismatch': {
      const old = v.conflicts[0]
      return refuse(
        `HOST KEY CHANGED for ${who}: known_hosts has a different ${old.keyType} key (${where(old)}), the server offered ${v.fingerprint}; refusing to connect — someone may be intercepting the connection, or the host was reinstalled`,
        `if the change is expected, remove line ${old.line} of ${old.file ?? 'known_hosts'} (${old.raw.length > 100 ? `${old.raw.slice(0, 100)}…` : old.raw}), e.g. ssh-keygen -R '${v.host}' -f ${old.file ?? '~/.ssh/known_hosts'}, then accept the new key`,
      )
    }
    case 'unknown': {
      const file = hop.knownHostsFiles[0]
      const others = v.otherTypes.length
        ? ` (known_hosts has ${v.otherTypes.join(', ')} for it, the server offered ${v.keyType})`
        : ''
      if (hop.strictHostKeyChecking === 'no') {
        return {
          ok: true,
          warning: `warning: accepting unknown host key ${v.fingerprint} (${v.keyType}) of ${who} because StrictHostKeyChecking=no`,
        }
      }
      if (hop.strictHostKeyChecking === 'accept-new' && file) {
        const added = appendKnownHost(file, v.host, blob, v.keyType)
        return {
          ok: true,
          warning: `warning: ${added ? 'added' : 'accepted (could not save)'} new host key ${v.fingerprint} (${v.keyType}) of ${who}${added ? ` to ${file}` : ''} (StrictHostKeyChecking=accept-new)`,
        }
      }
      const files = known.files.length ? known.files.join(', ') : 'no known_hosts file (UserKnownHostsFile none)'
      const alias = hop.hostKeyAlias
        ? ` (then change that line's host field to ${hop.hostKeyAlias}, the HostKeyAlias)`
        : ''
      const scan = `ssh-keyscan ${hop.port === 22 ? '' : `-p ${hop.port} `}-t ${keyscanType(v.keyType)} ${hop.hostName} >> ${file ?? '~/.ssh/known_hosts'}${alias}`
      return refuse(
        `host key of ${who} is not known${others}: ${v.fingerprint} (${v.keyType}) is in none of ${files}; refusing to connect`,
        `check the fingerprint, then accept the key with: ${scan}   (or ssh to ${hop.name} once by hand and answer yes)`,
      )
    }
  }
}

function keyscanType(t: string): string {
  return t === 'ssh-ed25519'
    ? 'ed25519'
    : t.startsWith('ecdsa-')
      ? 'ecdsa'
      : t === 'ssh-rsa'
        ? 'rsa'
        : t === 'ssh-dss'
          ? 'dsa'
          : t
}

// Adds `name type base64` to a known_hosts file (StrictHostKeyChecking=accept-new); false if that fails.
function appendKnownHost(file: string, name: string, blob: Buffer, type: string): boolean {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    fs.appendFileSync(file, `${name} ${type} ${blob.toString('base64')}\n`, { mode: 0o600 })
    return true
  } catch {
    return false
  }
}
