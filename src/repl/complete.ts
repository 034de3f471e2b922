// Tab completion of pod/node/namespace/service/context/recipe names from lists cached in the background.
import { GLOBALS } from './context.ts'

/** Kinds of names the shell completes. */
export type CompleteKind = 'pod' | 'node' | 'namespace' | 'service' | 'context' | 'recipe'

/** Fetches one kind of names (may do network I/O; called only in the background). */
export type NameFetcher = (kind: CompleteKind) => Promise<string[]>

interface Entry {
  names: string[]
  fetchedAt: number
  inflight?: Promise<string[]>
}

/** Name lists per kind; `get` is synchronous and never waits on the network, refreshing stale lists behind. */
export class NameCache {
  #entries = new Map<CompleteKind, Entry>()
  #generation = 0
  readonly ttlMs: number
  readonly #now: () => number

  constructor(
    private fetcher: NameFetcher,
    opts: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 30_000
    this.#now = opts.now ?? Date.now
  }

  /** The cached list (possibly stale or empty); starts a background refresh when stale. */
  get(kind: CompleteKind): string[] {
    const e = this.#entries.get(kind)
    if (!e || this.#now() - e.fetchedAt > this.ttlMs) void this.refresh(kind)
    return e?.names ?? []
  }

  /** Fetches one kind now (one request at a time per kind); failures keep the old list. */
  refresh(kind: CompleteKind): Promise<string[]> {
    const e = this.#entries.get(kind) ?? { names: [], fetchedAt: -Infinity }
    this.#entries.set(kind, e)
    if (e.inflight) return e.inflight
    const gen = this.#generation
    e.inflight = this.fetcher(kind)
      .then((names) => {
        if (gen === this.#generation) {
          e.names = names
          e.fetchedAt = this.#now()
        }
        return names
      })
      .catch(() => {
        e.fetchedAt = this.#now() // do not retry on every keypress; try again after the TTL
        return e.names
      })
      .finally(() => {
        e.inflight = undefined
      })
    return e.inflight
  }

  /** Drops lists that depend on the context/namespace (after .ctx/.ns); results in flight are ignored. */
  invalidate(kinds: CompleteKind[] = ['pod', 'service', 'node', 'namespace']): void {
    this.#generation++
    for (const k of kinds) this.#entries.delete(k)
  }

  /** Starts background fetches of several kinds (after the prompt shows). */
  prefetch(kinds: CompleteKind[]): void {
    for (const k of kinds) void this.refresh(k)
  }
}

/** Which names each dot-command takes (from the command table's `complete` fields). */
export type CommandKinds = Readonly<Record<string, CompleteKind>>

const DEFAULT_COMMAND_KINDS: CommandKinds = { ctx: 'context', ns: 'namespace', run: 'recipe' }

/** Where in a line a name is being typed, and which kind it is; undefined when not a name position. Pure. */
export function nameSlot(
  line: string,
  commands: CommandKinds = DEFAULT_COMMAND_KINDS,
): { kind: CompleteKind; prefix: string } | undefined {
  const cmd = /^\s*\.([a-z]+)\s+(\S*)$/.exec(line)
  if (cmd) return commands[cmd[1]] ? { kind: commands[cmd[1]], prefix: cmd[2] } : undefined
  const call = /\b([A-Za-z_$][\w$]*)\s*\(\s*(['"`])([^'"`]*)$/.exec(line)
  if (call) {
    const kind = CALL_KINDS[call[1]]
    if (kind) return { kind, prefix: call[3] }
  }
  const key = /\b(namespace|ns)\s*:\s*(['"`])([^'"`]*)$/.exec(line)
  if (key) return { kind: 'namespace', prefix: key[3] }
  return undefined
}

/** Which names a call's first string argument takes: each global's `completes`, and the session's setters. */
const CALL_KINDS: Record<string, CompleteKind> = {
  ...Object.fromEntries(GLOBALS.flatMap((g) => (g.completes ? [[g.name, g.completes]] : []))),
  setNamespace: 'namespace',
  setContext: 'context',
}

/** Completion for a line from cached names: [matches, prefix], or undefined to fall back to JS completion. */
export function completeNames(
  line: string,
  cache: Pick<NameCache, 'get'>,
  commands?: CommandKinds,
): [string[], string] | undefined {
  const slot = nameSlot(line, commands)
  if (!slot) return undefined
  const names = cache.get(slot.kind)
  const extra = slot.kind === 'node' ? ['local'] : []
  const all = [...new Set([...names, ...extra])]
  return [all.filter((n) => n.startsWith(slot.prefix)).sort(), slot.prefix]
}
