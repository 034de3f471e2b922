// Fills every Presentation the domain declares with its renderer, so results print as tables in the REPL.
// The shell calls installPresenters() before it prints a result (src/repl/index.ts, scripts in src/cli.ts).
import type { InspectOptions } from 'node:util'
import { FLEET_ERRORS, FLEET_GROUPS, FLEET_RESULT } from '../fleet/types.ts'
import { DESCRIPTION, KUBE_LIST, USAGE_LIST } from '../kube/present.ts'
import { SVC_RULES } from '../net/svc/types.ts'
import { CONNTRACK_LIST, CONNTRACK_STATS, DNS_RESULT, NETNS_INFO, VETH_RESULT } from '../net/types.ts'
import { renderFleetErrors, renderFleetGroups, renderFleetResult } from './fleet.ts'
import { renderKubeList } from './kube.ts'
import { renderDescription } from './kube-describe.ts'
import { renderConntrackList, renderConntrackStats, renderDns, renderNetns, renderVeth } from './net.ts'
import { renderSvcRules } from './svc.ts'
import { TRIAGE_REPORT } from '../triage/types.ts'
import { renderTriage } from './triage.ts'
import { colorEnabled } from './table.ts'
import { renderUsage } from './top.ts'

const color = (o: InspectOptions) => ({ color: colorEnabled(o.colors) })

/** Registers the renderer of every presentation (idempotent). */
export function installPresenters(): void {
  NETNS_INFO.register((h, o) => renderNetns(h, color(o)))
  VETH_RESULT.register((r, o) => renderVeth(r, color(o)))
  DNS_RESULT.register((r, o) => renderDns(r, color(o)))
  CONNTRACK_STATS.register((s, o) => renderConntrackStats(s, color(o)))
  CONNTRACK_LIST.register((l, o) => renderConntrackList(l, color(o)))
  SVC_RULES.register((r, o) => renderSvcRules(r, color(o)))
  KUBE_LIST.register((l, o) =>
    renderKubeList(l.kind, l.items, {
      ...color(o),
      namespaceColumn: l.allNamespaces ? true : undefined,
      namespace: l.allNamespaces ? undefined : l.namespace,
    }),
  )
  USAGE_LIST.register((u, o) =>
    renderUsage(u.rows, {
      ...color(o),
      namespaceColumn: u.allNamespaces ? true : undefined,
      namespace: u.allNamespaces ? undefined : u.namespace,
      containers: u.containers,
    }),
  )
  DESCRIPTION.register((d, o) => renderDescription(d, color(o)))
  TRIAGE_REPORT.register((d, o) => renderTriage(d, color(o)))
  FLEET_RESULT.register((r, o) => renderFleetResult(r, color(o)))
  FLEET_GROUPS.register((g, o) => renderFleetGroups(g, color(o)))
  FLEET_ERRORS.register((e, o) => renderFleetErrors(e, color(o)))
}
