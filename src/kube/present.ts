// How the client's results print in the REPL (kubectl-like tables, describe text): each result is marked with a
// Presentation that src/render/presenters.ts fills in; this module never imports a renderer.
import { present, Presentation } from '../present.ts'
import type { NodeUsage, PodUsage } from './top.ts'
import type { Description, KubeObject } from './types.ts'

/** How a list was asked for, so its table can show NAMESPACE for -A and name the namespace when empty. */
export interface ListContext {
  namespace?: string
  allNamespaces?: boolean
  /** top(): one row per container. */
  containers?: boolean
}

/** A list of API objects of one kind, with how it was asked for. */
export interface KubeListView extends ListContext {
  kind: string
  items: KubeObject[]
}

/** top()'s rows, with how they were asked for. */
export interface UsageListView extends ListContext {
  rows: (PodUsage | NodeUsage)[]
}

/** How lists (and single objects, as one-row lists) print: kubectl get's table. */
export const KUBE_LIST = new Presentation<KubeListView>('KubeList')
/** How top()'s rows print: kubectl top's table. */
export const USAGE_LIST = new Presentation<UsageListView>('UsageList')
/** How describe()'s result prints: kubectl describe's text. */
export const DESCRIPTION = new Presentation<Description>('Description')

/** Marks items with kind/apiVersion (as kubectl -o json does) and makes the array print as a table. */
export function asList<T extends KubeObject>(items: T[], kind: string, apiVersion: string, ctx: ListContext = {}): T[] {
  for (const it of items) {
    if (!it.kind) it.kind = kind
    if (!it.apiVersion) it.apiVersion = apiVersion
    asObject(it)
  }
  return present(items, (v, o) => KUBE_LIST.text({ ...ctx, kind, items: v }, o))
}

/** Makes top()'s rows print like kubectl top. */
export function asUsageList<T extends PodUsage | NodeUsage>(rows: T[], ctx: ListContext = {}): T[] {
  return present(rows, (v, o) => USAGE_LIST.text({ ...ctx, rows: v }, o))
}

/** Makes one object print as a one-row table (its JSON is unchanged). */
export function asObject<T extends KubeObject>(obj: T): T {
  return present(obj, (v, o) => KUBE_LIST.text({ kind: v.kind ?? 'Object', items: [v] }, o))
}

/** Makes a Description print like kubectl describe. */
export function asDescription<T extends Description>(d: T): T {
  return present(d, DESCRIPTION)
}
