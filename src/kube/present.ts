// Gives returned arrays/objects a non-enumerable util.inspect.custom so the REPL prints kubectl-like tables.
import { inspect, type InspectOptions } from 'node:util'
import { renderKubeList } from '../render/kube.ts'
import { renderDescription } from '../render/kubeDescribe.ts'
import { renderUsage } from '../render/top.ts'
import type { NodeUsage, PodUsage } from './top.ts'
import { colorEnabled } from '../render/table.ts'
import type { Description, KubeObject } from './types.ts'

/** How a list was asked for, so its table can show NAMESPACE for -A and name the namespace when empty. */
export interface ListContext {
  namespace?: string
  allNamespaces?: boolean
  /** top(): one row per container. */
  containers?: boolean
}

function define(target: object, fn: (depth: number, opts: InspectOptions) => string): void {
  Object.defineProperty(target, inspect.custom, { value: fn, enumerable: false, configurable: true, writable: true })
}

/** Marks items with kind/apiVersion (as kubectl -o json does) and makes the array print as a table. */
export function asList<T extends KubeObject>(items: T[], kind: string, apiVersion: string, ctx: ListContext = {}): T[] {
  for (const it of items) {
    if (!it.kind) it.kind = kind
    if (!it.apiVersion) it.apiVersion = apiVersion
    asObject(it)
  }
  define(items, (_d, o) =>
    renderKubeList(kind, items, {
      color: colorEnabled(o?.colors),
      namespaceColumn: ctx.allNamespaces ? true : undefined,
      namespace: ctx.allNamespaces ? undefined : ctx.namespace,
    }),
  )
  return items
}

/** Makes top()'s rows print like kubectl top. */
export function asUsageList<T extends PodUsage | NodeUsage>(rows: T[], ctx: ListContext = {}): T[] {
  define(rows, (_d, o) =>
    renderUsage(rows, {
      color: colorEnabled(o?.colors),
      namespaceColumn: ctx.allNamespaces ? true : undefined,
      namespace: ctx.allNamespaces ? undefined : ctx.namespace,
      containers: ctx.containers,
    }),
  )
  return rows
}

/** Makes one object print as a one-row table (its JSON is unchanged). */
export function asObject<T extends KubeObject>(obj: T): T {
  define(obj, (_d, o) => renderKubeList(obj.kind ?? 'Object', [obj], { color: colorEnabled(o?.colors) }))
  return obj
}

/** Makes a Description print like kubectl describe. */
export function asDescription<T extends Description>(d: T): T {
  define(d, (_d, o) => renderDescription(d, { color: colorEnabled(o?.colors) }))
  return d
}
