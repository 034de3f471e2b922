// Public API of the transport layer. ssh2 stays unloaded until a pool opens its first connection.
export {
  ExecOutput,
  ExecError,
  exitError,
  type Exec,
  type RunOptions,
  type ExecResult,
  type ExecErrorKind,
} from './types.ts'
export { shQuote, shJoin, withDeadline } from './quote.ts'
export { DEFAULT_TIMEOUT_MS } from './common.ts'
export { LocalExec, type LocalExecOptions } from './local.ts'
export { NodeHandle, templateArgv, type ExecPromise, type ArgValue } from './node.ts'
export { SshPool, type SshPoolOptions, type PoolStats } from './ssh/pool.ts'
export { SshExec, remoteCommand } from './ssh/exec.ts'
export {
  resolveHost,
  resolveOptions,
  loadConfigTexts,
  parseProxyJump,
  SshConfigError,
  type ResolvedHost,
  type ConfigText,
  type ConfigSource,
  type JumpHost,
  type ResolveOptions,
  type SshOptions,
} from './ssh/sshconfig.ts'
export {
  parseKnownHosts,
  verifyHostKey,
  hostKeyName,
  hashHostName,
  fingerprint,
  type KnownHostEntry,
  type HostKeyVerdict,
} from './ssh/knownhosts.ts'
export {
  NodePods,
  NodePodExec,
  NodePodError,
  buildNodePod,
  gc,
  gcPlan,
  type NodePodsOptions,
  type NodePodPhase,
  type NodePodApi,
  type GcEntry,
} from './nodepod/index.ts'
