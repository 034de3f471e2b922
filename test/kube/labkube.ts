// Reads `npm run lab -- capture kube` (test/fixtures/lab/kube/): objects, what kubectl printed for them, and when.
import fs from 'node:fs'
import path from 'node:path'

const dir = path.join(import.meta.dirname, '../fixtures/lab/kube')
const meta = JSON.parse(fs.readFileSync(path.join(dir, 'capture.json'), 'utf8')) as {
  namespace: string
  now: Record<string, number>
}

/** One capture: the objects kubectl printed (a fresh copy each call), its text, and the moment it ran. */
export interface KubeCapture {
  items: any[]
  text: string
  now: number
}

/** The capture NAME (pods, events, nodes, describe-pod-crash, …). */
export function capture(name: string): KubeCapture {
  const items = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')).items as any[]
  const now = meta.now[name]
  if (now === undefined) throw new Error(`labkube: no "now" for ${name} in capture.json`)
  return { items, text: fs.readFileSync(path.join(dir, `${name}.txt`), 'utf8'), now }
}

/** The temporary namespace the capture made its shapes in. */
export const captureNs = meta.namespace

/** The object of a kind named name (or whose name starts with name + "-" for a ReplicaSet pod) in items. */
export function pick(items: any[], kind: string, name: string): any {
  const o = items.find((i) => i.kind === kind && (i.metadata.name === name || i.metadata.name.startsWith(`${name}-`)))
  if (!o) throw new Error(`labkube: no ${kind} ${name} in the capture`)
  return o
}

/** Events about one object (by uid), as the API answers an involvedObject field selector. */
export function eventsOf(items: any[], obj: any): any[] {
  return items.filter((i) => i.kind === 'Event' && i.involvedObject?.uid === obj.metadata.uid)
}

/**
 * A table kubectl printed (columns aligned by its tabwriter) as headers and cells, cut at the header's column starts.
 * `indent` drops a prefix of each line (describe's tables are indented); lines of dashes are skipped.
 */
export function kubectlTable(text: string, indent = 0): { headers: string[]; rows: string[][]; lines: string[] } {
  const lines = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.slice(indent))
    .filter((l) => !/^[-\s]+$/.test(l))
  const head = lines[0]
  const starts = [0, ...[...head.matchAll(/ {2,}(?=\S)/g)].map((m) => m.index! + m[0].length)]
  const cut = (l: string) => starts.map((s, i) => l.slice(s, starts[i + 1] ?? l.length).trim())
  return { headers: cut(head), rows: lines.slice(1).map(cut), lines }
}

/** The section of kubectl describe's text that starts at a line "Title:" and ends before the next unindented line. */
export function describeSection(text: string, title: string): string {
  const lines = text.split('\n')
  const i = lines.findIndex((l) => l.startsWith(`${title}:`))
  if (i < 0) throw new Error(`labkube: no "${title}:" section`)
  const end = lines.findIndex((l, j) => j > i && /^\S/.test(l))
  return lines.slice(i + 1, end < 0 ? undefined : end).join('\n')
}

/** Top-level "Label:  value" lines of kubectl describe (the first value of each label). */
export function describeFields(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const l of text.split('\n')) {
    const m = /^([A-Z][A-Za-z -]*):\s*(.*)$/.exec(l)
    if (m && !(m[1] in out)) out[m[1]] = m[2].trim()
  }
  return out
}

/** Per container of kubectl describe pod: its State … Restart Count lines as [label, value], Started/Finished left out. */
export function describeContainers(
  text: string,
  section: 'Containers' | 'Init Containers',
): Record<string, [string, string][]> {
  const out: Record<string, [string, string][]> = {}
  let cur: [string, string][] | undefined
  let inState = false
  for (const l of describeSection(text, section).split('\n')) {
    const name = /^ {2}(\S+):$/.exec(l)
    if (name) {
      out[name[1]] = cur = []
      inState = false
      continue
    }
    const m = /^ {4}( {2})?([A-Z][A-Za-z ]*):\s*(.*)$/.exec(l)
    if (!m || !cur) continue
    const label = `${m[1] ?? ''}${m[2]}`
    if (label === 'State') inState = true
    if (inState && !/^ {2}(Started|Finished)$/.test(label)) cur.push([label, m[3].trim()])
    if (label === 'Restart Count') inState = false
  }
  return out
}
