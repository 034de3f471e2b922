// A counting semaphore with a FIFO queue; waiting can be aborted.

interface Waiter {
  grant: () => void
  reject: (e: unknown) => void
  signal?: AbortSignal
  onAbort?: () => void
}

/** Caps how many holders run at once; the rest wait in order. */
export class Limit {
  #active = 0
  #peak = 0
  #max: number
  readonly #ceiling: number
  readonly #queue: Waiter[] = []

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`Limit: max must be a positive integer, received ${max}`)
    this.#max = this.#ceiling = max
  }

  /** Holders allowed at once. */
  get max(): number {
    return this.#max
  }

  /**
   * Sets the cap, between 1 and the max it was made with. Lowered, the holders beyond it finish and new ones wait
   * until fewer remain; raised, waiters start at once.
   */
  resize(to: number): void {
    this.#max = Math.max(1, Math.min(this.#ceiling, Math.floor(to)))
    while (this.#active < this.#max && this.#queue.length) this.#grantNext()
  }

  /** Holders right now. */
  get active(): number {
    return this.#active
  }
  /** Most holders at once so far. */
  get peak(): number {
    return this.#peak
  }
  /** Callers waiting. */
  get queued(): number {
    return this.#queue.length
  }

  /** Waits for a slot; resolves to its release function (call it once). */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.#active < this.max) return Promise.resolve(this.#take())
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { grant: () => resolve(this.#take()), reject, signal }
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#queue.indexOf(waiter)
          if (i >= 0) this.#queue.splice(i, 1)
          reject(signal.reason)
        }
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      }
      this.#queue.push(waiter)
    })
  }

  #take(): () => void {
    this.#active++
    this.#peak = Math.max(this.#peak, this.#active)
    let released = false
    return () => {
      if (released) return
      released = true
      this.#active--
      if (this.#active < this.#max) this.#grantNext()
    }
  }

  #grantNext(): void {
    const next = this.#queue.shift()
    if (!next) return
    if (next.onAbort) next.signal!.removeEventListener('abort', next.onAbort)
    next.grant()
  }
}
