// Node access through the Kubernetes API: a privileged node pod per node, exec'd into (no SSH needed).
export {
  buildNodePod,
  nodePodName,
  labelSafe,
  newSessionId,
  LABEL,
  ANNOTATION,
  MANAGED_BY,
  MANAGED_SELECTOR,
  CONTAINER,
  DEFAULT_IMAGE,
  DEFAULT_DEADLINE_SECONDS,
  DEFAULT_RESOURCES,
  type NodePodOptions,
  type PodResources,
} from './spec.ts'
export { NodePodError, type NodePodApi, type DaemonSetApi, type NodePodErrorKind, type NodePodPhase } from './api.ts'
export { NodePods, type NodePodsOptions, type NodePodRef, type CloseReport } from './manager.ts'
export { NodePodExec, type NodePodExecOptions } from './exec.ts'
export { Agent, AgentStartError, AGENT_LIMITS, type AgentLimits, type AgentOutcome, type AgentRun } from './agent.ts'
export { AgentPool, type AgentPoolOptions } from './agentpool.ts'
export {
  AgentDecoder,
  AgentProtocolError,
  encodeRequest,
  encodeControl,
  quoteWord,
  AGENT_VERSION,
  type AgentEvent,
  type AgentRequest,
} from './agentproto.ts'
export { agentCommand, rescueCommand } from './agentscript.ts'
export { gc, gcPlan, pidAlive, STALE_MINUTES, type GcEntry, type GcContext, type GcResult } from './gc.ts'
export {
  wrapCommand,
  killCommand,
  probeCommand,
  parseProbe,
  missingProgram,
  NODE_PATH,
  type PodFacts,
  type ToolSource,
} from './command.ts'
export {
  explainRefusal,
  startFailure,
  startTimeout,
  suggestNamespace,
  parsePodSecurity,
  parseRbac,
  parseQuota,
  podState,
  podRunning,
} from './diagnose.ts'
export { buildNodeDaemonSet, daemonSetName, deadlineCommand } from './dsspec.ts'
export { NodeDaemonSet, dsPodNode, type NodeDaemonSetOptions } from './daemonset.ts'
