// Node access for a session: which transport reaches each node (SSH or a node pod), consent for node pods, their
// cleanup, and the "could not see" errors recipe steps tell apart from findings.
export { NodeAccess, type NodeAccessOptions } from './manager.ts'
export { NodeAccessExec, withSignal, type Via, type ChooserDeps, type SshSide, type PodSide } from './chooser.ts'
export { Consent } from './consent.ts'
export { AccessHooks, type Asker, type ConsentRequest, type PodRequest } from './hooks.ts'
export { NodeAccessError, unreachable, type NodeAccessErrorKind, type TransportAttempt } from './errors.ts'
export { sshApplies, explicitSsh, sshFacts, resolvesName, type SshFacts, type SshVerdict } from './sshcheck.ts'
export { accessPlan, type AccessPlanEntry } from './plan.ts'
export {
  daemonSetGroups,
  prepareDaemonSets,
  DEFAULT_DAEMONSET_ABOVE,
  type DaemonSetGroup,
  type FleetDsDeps,
  type FleetPlan,
  type FleetBegin,
  type FleetDaemonSets,
} from './fleetds.ts'
