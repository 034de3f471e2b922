// What the shell plugs into a session's node access before anything loads: --yes, how to ask for consent, and who
// shows node pod phases. Light on purpose (no imports but types): the session makes it at start-up.
import type { NodePodPhase } from '../exec/nodepod/api.ts'

/** One node pod the session wants to create, as the consent question shows it. */
export interface PodRequest {
  node: string
  namespace: string
  pod: string
  image: string
  /** activeDeadlineSeconds. */
  deadlineSeconds: number
  priorityClassName?: string
  imagePullSecrets?: string[]
  /** Set for a fleet's DaemonSet (pod is then its name, node "N nodes"): the nodes it runs on. */
  daemonSet?: { nodes: string[] }
}

/** The consent question: the pods needed now (concurrent requests are asked together). */
export interface ConsentRequest {
  pods: PodRequest[]
}

/** Asks the user; true to allow, false to refuse, null when no answer can come (input ended). */
export type Asker = (req: ConsentRequest) => Promise<boolean | null>

/** Settings and listeners the shell gives node access (all optional: without them pods need --yes or `always`). */
export class AccessHooks {
  /** --yes: node pods are allowed for this run without asking. */
  yes = false
  /** How to ask (the REPL's question path, the terminal); undefined: no way to ask. */
  asker?: Asker
  /** What to tell the user when there is no way to ask (set by the CLI for its mode). */
  noAskerHint = 'pass --yes to allow node pods for this run, or set nodeAccess pods: always in .recipes'
  readonly #phase = new Set<(p: NodePodPhase) => void>()
  readonly #displays = new Set<{ pause(): void }>()

  /** A display that draws on the terminal (a recipe's spinner): paused before node access writes or asks; returns the remover. */
  addDisplay(d: { pause(): void }): () => void {
    this.#displays.add(d)
    return () => void this.#displays.delete(d)
  }

  /** Pauses every display added (they resume on their own, e.g. at the next step). */
  pauseDisplays(): void {
    for (const d of this.#displays) {
      try {
        d.pause()
      } catch {
        /* a display must not break the question */
      }
    }
  }

  /** Listens to node pod phases (checking … ready, failed); returns the function that stops listening. */
  onPhase(fn: (p: NodePodPhase) => void): () => void {
    this.#phase.add(fn)
    return () => void this.#phase.delete(fn)
  }

  /** Sends a phase to every listener (a listener that throws is ignored). */
  emitPhase(p: NodePodPhase): void {
    for (const fn of this.#phase) {
      try {
        fn(p)
      } catch {
        /* a display must not break the transport */
      }
    }
  }
}
