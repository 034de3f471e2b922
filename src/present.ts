// present(): the one place util.inspect.custom is defined, for result objects and errors alike, so the REPL
// prints a result as a table and an expected error as one line with its hint.
//
// Domain code (src/net, src/kube, ...) must not import renderers. It marks a result with a Presentation (a typed
// slot declared next to the result type); src/render/presenters.ts fills every slot with its renderer, and the
// shell installs that module before it prints anything. A result whose slot is empty prints as plain data.
import { inspect, type InspectOptions } from 'node:util'

/** Text for a value, given util.inspect's options (colors, depth); undefined: print it as plain data. */
export type Presenter<T> = (value: T, opts: InspectOptions) => string | undefined

/** A kind of result whose text form a renderer registers later (see the file comment). */
export class Presentation<T> {
  #show?: (value: T, opts: InspectOptions) => string

  /** `name` is for messages and tests, e.g. "DnsResult". */
  constructor(readonly name: string) {}

  /** Sets how values of this kind print (src/render/presenters.ts does it for every presentation). */
  register(show: (value: T, opts: InspectOptions) => string): void {
    this.#show = show
  }

  /** Whether a renderer is registered. */
  get registered(): boolean {
    return this.#show !== undefined
  }

  /** The value's text, or undefined while no renderer is registered. */
  text(value: T, opts: InspectOptions = {}): string | undefined {
    return this.#show?.(value, opts)
  }
}

/**
 * Gives `target` a non-enumerable util.inspect.custom (JSON and Object.keys are unchanged) that prints it with `how`:
 * a Presentation, or a function of the value. On a class prototype it applies to every instance (`this` is the
 * instance). Returns target.
 */
export function present<T extends U, U extends object>(target: T, how: Presentation<U>): T
export function present<T extends object>(target: T, how: Presenter<T>): T
export function present<T extends object>(target: T, how: Presentation<T> | Presenter<T>): T {
  const show: Presenter<T> = how instanceof Presentation ? (v, o) => how.text(v, o) : how
  Object.defineProperty(target, inspect.custom, {
    value(this: T, _depth: number, opts: InspectOptions, insp: typeof inspect = inspect): string {
      return show(this, opts ?? {}) ?? insp(this, { ...opts, customInspect: false })
    },
    enumerable: false,
    configurable: true,
    writable: true,
  })
  return target
}
