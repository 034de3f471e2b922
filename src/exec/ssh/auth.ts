// Public-key authentication: identity files (unencrypted) and ssh-agent, with a record of what was tried.
import { createHash, createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto'
import fs from 'node:fs'
import type { AnyAuthMethod, AuthHandlerMiddleware, ParsedKey } from 'ssh2'
import { ExecError } from '../types.ts'
import type { ResolvedHost } from './sshconfig.ts'

type ParseKey = (data: Buffer | string, passphrase?: string) => ParsedKey | ParsedKey[] | Error

// The digest a key type signs with when ssh2 passes no algorithm (ssh2's own defaults; ed25519 takes none).
const DEFAULT_HASH: Record<string, string | null> = {
  'ssh-ed25519': null,
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
  'ssh-rsa': 'sha1',
}

/**
 * parseKey with a memory of what it parsed, keyed by a digest of the file's bytes: a fleet authenticates to every node
 * with the same identity file, and ssh2 parses it (deriving its public key through OpenSSL) on every connection.
 * A private key of a known type also signs through one decoded KeyObject: ssh2 hands OpenSSL the PEM text at each
 * signature, which costs more than the signature. Same bytes out; only the decoding is done once. Nothing is written.
 */
export function memoParseKey(parseKey: ParseKey): ParseKey {
  const seen = new Map<string, ReturnType<ParseKey>>()
  return (data, passphrase) => {
    if (passphrase !== undefined) return parseKey(data, passphrase)
    const id = createHash('sha256').update(data).digest('base64')
    let r = seen.get(id)
    if (!r) {
      r = parseKey(data)
      for (const k of Array.isArray(r) ? r : r instanceof Error ? [] : [r]) fastSign(k)
      seen.set(id, r)
    }
    return r
  }
}

// Replaces the key's sign() with one that reuses a decoded KeyObject (see memoParseKey); left as it is otherwise.
function fastSign(key: ParsedKey): void {
  if (!key.isPrivateKey() || !(key.type in DEFAULT_HASH)) return
  let obj: KeyObject | undefined
  const slow = key.sign.bind(key)
  const fast = (data: Buffer, algo?: string): Buffer | Error => {
    try {
      obj ??= createPrivateKey(key.getPrivatePEM())
      return cryptoSign(algo || DEFAULT_HASH[key.type], data, obj)
    } catch {
      return slow(data, algo) // ssh2's own path and its error
    }
  }
  Object.defineProperty(key, 'sign', { value: fast, configurable: true, writable: true })
}

/** The keys to offer for one hop and what became of them. */
export interface AuthPlan {
  methods: { label: string; method: AnyAuthMethod }[]
  /** Keys that could not be offered, with the reason. */
  skipped: string[]
  /** Labels of methods the server rejected, filled in while authenticating. */
  rejected: string[]
  /** Agent socket in use, if any. */
  agent?: string
}

/** Builds the list of keys to offer: ssh-agent first (unless IdentitiesOnly), then each identity file. */
export function planAuth(
  hop: ResolvedHost,
  parseKey: ParseKey,
  env: Record<string, string | undefined>,
  readFile: (p: string) => Buffer = (p) => fs.readFileSync(p),
): AuthPlan {
  const plan: AuthPlan = { methods: [], skipped: [], rejected: [] }
  const username = hop.user
  const agent = hop.identityAgent === undefined ? env.SSH_AUTH_SOCK : hop.identityAgent
  if (agent && !hop.identitiesOnly) {
    plan.agent = agent
    plan.methods.push({ label: `ssh-agent (${agent})`, method: { type: 'agent', agent, username } })
  }
  for (const file of hop.identityFiles) {
    let data: Buffer
    try {
      data = readFile(file)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT' && !hop.identityFilesExplicit) continue // OpenSSH's default names: absent is normal
      plan.skipped.push(`${file} (${code === 'ENOENT' ? 'missing' : `unreadable: ${code ?? (e as Error).message}`})`)
      continue
    }
    const parsed = parseKey(data)
    if (parsed instanceof Error) {
      const encrypted = /encrypt|passphrase/i.test(parsed.message)
      plan.skipped.push(
        `${file} (${encrypted ? 'passphrase-protected: load it into ssh-agent' : `not a usable private key: ${parsed.message}`})`,
      )
      continue
    }
    const key = Array.isArray(parsed) ? parsed[0] : parsed
    if (!key?.isPrivateKey()) {
      plan.skipped.push(`${file} (not a private key)`)
      continue
    }
    plan.methods.push({ label: file, method: { type: 'publickey', key, username } })
  }
  return plan
}

/** ssh2 authHandler walking the plan in order and noting each rejection. */
export function authHandler(plan: AuthPlan): AuthHandlerMiddleware {
  let i = 0
  return (_left, _partial, next) => {
    if (i > 0) plan.rejected.push(plan.methods[i - 1].label)
    const m = plan.methods[i++]
    next(m ? m.method : (false as unknown as AnyAuthMethod))
  }
}

/** Error for a hop where nothing worked (or nothing could even be offered). */
export function authError(plan: AuthPlan, hop: ResolvedHost, target: string, cause?: unknown): ExecError {
  const tried = plan.methods.map((m) => m.label)
  const parts = [
    tried.length ? `tried: ${tried.join(', ')}` : 'no key could be offered',
    plan.skipped.length ? `skipped: ${plan.skipped.join(', ')}` : '',
    plan.agent || hop.identitiesOnly ? '' : 'no ssh-agent (SSH_AUTH_SOCK unset)',
  ].filter(Boolean)
  const encrypted = plan.skipped.find((s) => s.includes('passphrase-protected'))
  const hint = encrypted
    ? `passphrase-protected keys are not read directly: start an agent and add the key (eval "$(ssh-agent)"; ssh-add ${encrypted.split(' (')[0]}), then retry`
    : `authorize one of these keys for ${hop.user} on ${hop.name} (~${hop.user}/.ssh/authorized_keys), or set IdentityFile for Host ${hop.name} in the ssh config`
  return new ExecError(
    'auth',
    { target },
    `authentication as ${hop.user} to ${hop.name} (${hop.hostName}:${hop.port}) failed; ${parts.join('; ')}`,
    hint,
    cause,
  )
}
