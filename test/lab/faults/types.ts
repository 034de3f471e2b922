// The shape of a fault scenario.

/** Where a scenario acts: the node for node-scoped ones ('' for cluster-wide ones). */
export interface ScenarioTarget {
  node: string
}

/** A reversible fault. */
export interface Scenario {
  name: string
  breaks: string
  /** Set for scenarios that act on one node (`--node N`), with the node they act on by default. */
  node?: { default: string }
  on(t: ScenarioTarget): Promise<void>
  off(t: ScenarioTarget): Promise<void>
}
