// Public surface of the Kubernetes boundary: kubeconfig loading, the Kube client, KubeError and the API types.
export {
  loadKubeconfig,
  listContexts,
  kubeconfigPaths,
  parseKubeconfig,
  mergeKubeconfigs,
  selectContext,
} from './kubeconfig.ts'
export type {
  KubeconfigInfo,
  LoadOptions,
  ContextInfo,
  AuthKind,
  MergedKubeconfig,
  KubeconfigDoc,
} from './kubeconfig.ts'
export { Kube } from './client.ts'
export { kubeNodePodApi } from './nodepods.ts'
export { execStream, type ExecRequest, type ExecStreamResult } from './exec.ts'
export { parseExecStatus, execPath, type ExecStatus, type ExecProtocolChoice } from './execproto.ts'
export type { KubeOptions, EventTarget, TopOptions } from './client.ts'
export { podUsage, nodeUsage } from './top.ts'
export { parseQuantity, parseQuantityExact, type Fraction } from './quantity.ts'
export type { PodUsage, NodeUsage, ContainerUsage, TopSort } from './top.ts'
export { KubeError, httpError, networkError } from './errors.ts'
export type { KubeErrorKind, KubeErrorContext } from './errors.ts'
export { describePod, describeNode, describeService, describeGeneric } from './describe.ts'
export { podColumns, nodeStatus, nodeRoles, eventTime, eventSource, sortEvents, type PodColumns } from './status.ts'
export type { ResourceInfo } from './resources.ts'
export type * from './types.ts'
