// Consent for node pods: creating a privileged pod changes the cluster, so it is allowed by policy (always), by --yes,
// or by the user's answer, asked once per session (requests that arrive together are asked together).
import type { PodPolicy } from '../config-access.ts'
import { NodeAccessError } from './errors.ts'
import type { AccessHooks, PodRequest } from './hooks.ts'

/** A request waiting for the answer. */
interface Waiter {
  req: PodRequest
  resolve: () => void
  reject: (e: unknown) => void
}

/** How long requests are gathered before the question is asked (a recipe that fans out asks once). */
const GATHER_MS = 50

/** The session's consent to node pods: one question, one answer for the session. */
export class Consent {
  /** The session's answer once given: true allowed, false refused. */
  #answer?: boolean
  #pending: Waiter[] = []
  /** The requests of the question being asked now. */
  #batch: Waiter[] = []
  #asking?: Promise<boolean | null>
  #timer?: NodeJS.Timeout
  #cancelled?: string

  constructor(private readonly hooks: AccessHooks) {}

  /** The answer given this session, if any. */
  get answer(): boolean | undefined {
    return this.#answer
  }

  /** Resolves when the pod may be created; throws NodeAccessError kind 'consent' saying why not. */
  async allow(req: PodRequest, policy: PodPolicy): Promise<void> {
    if (this.#cancelled) throw refused(req, this.#cancelled, 'start a new session')
    if (policy === 'never')
      throw refused(
        req,
        `nodeAccess pods is never for ${req.node}`,
        'set nodeAccess pods: ask or always for this node in .recipes',
      )
    if (policy === 'always' || this.hooks.yes || this.#answer === true) return
    if (this.#answer === false)
      throw refused(
        req,
        'node pods were declined earlier in this session',
        'start a new session to be asked again, or pass --yes',
      )
    if (!this.hooks.asker)
      throw refused(
        req,
        `creating a privileged node pod on ${req.node} needs consent, and there is no terminal to ask on`,
        this.hooks.noAskerHint,
      )
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ req, resolve, reject })
      if (!this.#asking && !this.#timer) {
        this.#timer = setTimeout(() => void this.#ask(), GATHER_MS)
      }
    })
  }

  /** Refuses every request waiting for an answer, and all later ones (the session is ending: it must not wait for the user). */
  cancel(why = 'the session ended before node pods were allowed'): void {
    this.#cancelled = why
    clearTimeout(this.#timer)
    this.#timer = undefined
    for (const b of [...this.#pending.splice(0), ...this.#batch.splice(0)])
      b.reject(refused(b.req, why, 'start a new session'))
  }

  async #ask(): Promise<void> {
    this.#timer = undefined
    const batch = this.#pending.splice(0)
    this.#batch = batch
    if (!batch.length) return
    let answer: boolean | null
    try {
      this.#asking = this.hooks.asker!({ pods: batch.map((b) => b.req) })
      answer = await this.#asking
    } catch (e) {
      answer = null
      for (const b of batch)
        b.reject(
          refused(b.req, `the question could not be asked: ${(e as Error)?.message ?? e}`, this.hooks.noAskerHint, e),
        )
      batch.length = 0
    } finally {
      this.#asking = undefined
    }
    if (this.#cancelled) return // its requests were refused already
    this.#batch = []
    if (answer !== null) this.#answer = answer
    for (const b of batch) {
      if (answer === true) b.resolve()
      else
        b.reject(
          answer === false
            ? refused(b.req, 'node pods declined', 'pass --yes or answer y to allow them')
            : refused(b.req, 'no answer to the node pod question (input ended)', this.hooks.noAskerHint),
        )
    }
    // Requests that came in while the question was open get this session's answer, or a question of their own.
    const waiting = this.#pending.splice(0)
    for (const w of waiting) this.allow(w.req, 'ask').then(w.resolve, w.reject)
  }
}

function refused(req: PodRequest, why: string, hint: string, cause?: unknown): NodeAccessError {
  return new NodeAccessError('consent', why, hint, cause, req.node)
}
