// known_hosts: parse entries (plain, [host]:port, hashed |1|, wildcards, markers) and judge a server's key.
import { createHash, createHmac } from 'node:crypto'
import { matchPatternList } from './pattern.ts'

/** One usable known_hosts line. */
export interface KnownHostEntry {
  file?: string
  line: number
  raw: string
  marker?: 'revoked' | 'cert-authority'
  /** The host field as written. */
  hosts: string
  /** Plain form: comma-separated patterns. */
  patterns?: string[]
  /** Hashed form |1|salt|hash: HMAC-SHA1 of the host string keyed with salt. */
  hashed?: { salt: Buffer; hash: Buffer }
  keyType: string
  key: Buffer
  comment?: string
}

/** Outcome of checking a server key against known_hosts. */
export interface HostKeyVerdict {
  status: 'match' | 'mismatch' | 'unknown' | 'revoked'
  /** The string looked up: host, or [host]:port for a port other than 22. */
  host: string
  keyType: string
  fingerprint: string
  /** The entry that matched (or that marks the key revoked). */
  entry?: KnownHostEntry
  /** Entries with a different key of the same kind (status 'mismatch'). */
  conflicts: KnownHostEntry[]
  /** Key types known for this host other than the offered one. */
  otherTypes: string[]
}

/** Parses known_hosts text; comments, blank and malformed lines are skipped. */
export function parseKnownHosts(text: string, file?: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = []
  text.split('\n').forEach((rawLine, i) => {
    const raw = rawLine.replace(/\r$/, '')
    const t = raw.trim()
    if (!t || t.startsWith('#')) return
    const f = t.split(/\s+/)
    let marker: KnownHostEntry['marker']
    if (f[0].startsWith('@')) {
      const m = f.shift()!
      if (m === '@revoked') marker = 'revoked'
      else if (m === '@cert-authority') marker = 'cert-authority'
      else return // unknown marker: ignore the line, as OpenSSH does
    }
    if (f.length < 3) return
    const [hosts, keyType, b64, ...rest] = f
    const key = Buffer.from(b64, 'base64')
    if (!key.length || unpad(key.toString('base64')) !== unpad(b64)) return
    if (blobType(key) !== keyType) return
    const e: KnownHostEntry = { line: i + 1, raw, hosts, keyType, key }
    if (file) e.file = file
    if (marker) e.marker = marker
    if (rest.length) e.comment = rest.join(' ')
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|')
      if (!salt || !hash) return
      e.hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') }
      if (e.hashed.salt.length !== 20 || e.hashed.hash.length !== 20) return
    } else if (hosts.startsWith('|')) {
      return // unknown hash scheme
    } else {
      e.patterns = hosts.split(',').filter(Boolean)
    }
    out.push(e)
  })
  return out
}

/** Base64 without its trailing "=" padding (a loop: /=+$/ is quadratic on a long run of "=" inside a string). */
function unpad(b64: string): string {
  let end = b64.length
  while (end > 0 && b64[end - 1] === '=') end--
  return b64.slice(0, end)
}

/** The string known_hosts uses for host:port: plain host for 22, [host]:port otherwise (lower case). */
export function hostKeyName(host: string, port = 22): string {
  const h = host.toLowerCase()
  return port === 22 ? h : `[${h}]:${port}`
}

/** HMAC-SHA1 hashed host field for a name, as `ssh-keygen -H` writes it. */
export function hashHostName(name: string, salt: Buffer): string {
  const hash = createHmac('sha1', salt).update(name).digest()
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`
}

/** True when the entry's host field covers the lookup string (see hostKeyName). */
export function entryMatches(e: KnownHostEntry, name: string): boolean {
  if (e.hashed) return createHmac('sha1', e.hashed.salt).update(name).digest().equals(e.hashed.hash)
  return matchPatternList(e.patterns ?? [], name) === 'match'
}

/** The key type inside an SSH public key blob ("ssh-ed25519", …), or '' if malformed. */
export function blobType(blob: Buffer): string {
  if (blob.length < 4) return ''
  const n = blob.readUInt32BE(0)
  if (n === 0 || n > 64 || 4 + n > blob.length) return ''
  return blob.subarray(4, 4 + n).toString('latin1')
}

/** OpenSSH-style fingerprint: SHA256:base64 without padding. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${unpad(createHash('sha256').update(blob).digest('base64'))}`
}

// Keys of the same family replace each other (an ecdsa key on another curve is still a change).
function family(type: string): string {
  return type.startsWith('ecdsa-sha2-') ? 'ecdsa' : type.startsWith('sk-ecdsa') ? 'sk-ecdsa' : type
}

/** Checks a server's key blob for host:port. Order of precedence: revoked, match, mismatch, unknown. */
export function verifyHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyBlob: Buffer,
): HostKeyVerdict {
  const name = hostKeyName(host, port)
  const keyType = blobType(keyBlob)
  const verdict: HostKeyVerdict = {
    status: 'unknown',
    host: name,
    keyType,
    fingerprint: fingerprint(keyBlob),
    conflicts: [],
    otherTypes: [],
  }
  let match: KnownHostEntry | undefined
  for (const i of entriesFor(entries, name)) {
    const e = entries[i]
    if (e.marker === 'cert-authority') continue
    const same = e.key.equals(keyBlob)
    if (e.marker === 'revoked') {
      if (same) return { ...verdict, status: 'revoked', entry: e }
      continue
    }
    if (same) match ??= e
    else if (family(e.keyType) === family(keyType)) verdict.conflicts.push(e)
    else if (!verdict.otherTypes.includes(e.keyType)) verdict.otherTypes.push(e.keyType)
  }
  if (match) return { ...verdict, status: 'match', entry: match }
  if (verdict.conflicts.length) return { ...verdict, status: 'mismatch' }
  return verdict
}

/** Key types known_hosts holds for host:port (not revoked, no CA lines), in file order. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = hostKeyName(host, port)
  const types: string[] = []
  for (const i of entriesFor(entries, name)) {
    const e = entries[i]
    if (!e.marker && !types.includes(e.keyType)) types.push(e.keyType)
  }
  return types
}

// Lookups by name. A fleet looks up each of its nodes (twice: the key types to offer, then the verdict), and a scan of
// every entry per lookup made a fleet quadratic in the size of known_hosts: 100 nodes against the lab's 100 entries
// were 20,000 glob matches. Entries whose patterns are all plain names (no `*`, `?` or `!`: most lines ssh writes)
// are found through a map; wildcards, negations and hashed names (an HMAC per entry) are still scanned, as ssh does,
// and each name's answer is kept, so the second lookup of a node costs nothing.
interface LookupIndex {
  /** entries.length when built: an array that grew or shrank is indexed again. */
  size: number
  /** Lower-cased plain pattern -> positions of the entries holding it, in file order. */
  plain: Map<string, number[]>
  /** Positions of the entries matched one by one. */
  scan: number[]
  /** Name -> positions of the entries covering it (bounded). */
  answers: Map<string, readonly number[]>
}
const indexes = new WeakMap<readonly KnownHostEntry[], LookupIndex>()
const MAX_ANSWERS = 4096

const isPlain = (p: string) => !p.startsWith('!') && !p.includes('*') && !p.includes('?')

function buildIndex(entries: readonly KnownHostEntry[]): LookupIndex {
  const plain = new Map<string, number[]>()
  const scan: number[] = []
  entries.forEach((e, i) => {
    if (e.hashed || !e.patterns?.length || !e.patterns.every(isPlain)) return void scan.push(i)
    // matchGlob without wildcards is equality, both sides lower-cased
    for (const p of new Set(e.patterns.map((x) => x.toLowerCase()))) {
      const at = plain.get(p)
      if (at) at.push(i)
      else plain.set(p, [i])
    }
  })
  return { size: entries.length, plain, scan, answers: new Map() }
}

/**
 * Positions, in file order, of the entries whose host field covers name (those entryMatches accepts). The index is
 * built on the first lookup in an array and kept with it: treat entries as read-only once looked up.
 */
export function entriesFor(entries: readonly KnownHostEntry[], name: string): readonly number[] {
  let ix = indexes.get(entries)
  if (!ix || ix.size !== entries.length) {
    ix = buildIndex(entries)
    indexes.set(entries, ix)
  }
  const known = ix.answers.get(name)
  if (known) return known
  const byName = ix.plain.get(name.toLowerCase()) ?? []
  const scanned = ix.scan.filter((i) => entryMatches(entries[i], name))
  const all = scanned.length ? [...byName, ...scanned].sort((a, b) => a - b) : byName
  if (ix.answers.size >= MAX_ANSWERS) ix.answers.clear()
  ix.answers.set(name, all)
  return all
}
