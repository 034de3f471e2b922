// What node access would do, without connecting or creating anything: for --dry-run, which nodes would get a node
// pod (SSH does not apply to them and pods are allowed) and which would be tried over SSH first.
import type { NodeAccessSettings, PodPolicy } from '../config-access.ts'
import { DEFAULT_IMAGE } from '../exec/nodepod/spec.ts'
import type { SshSide } from './chooser.ts'
import { sshApplies, sshFacts, type SshFacts } from './sshcheck.ts'

/** One node's expected transport. */
export interface AccessPlanEntry {
  node: string
  /** ssh: SSH applies and comes first; pod: a node pod would be created; ssh-then-pod: SSH, and a pod if it does not connect; none: nothing applies. */
  expect: 'ssh' | 'pod' | 'ssh-then-pod' | 'none'
  /** Why (the SSH verdict, or why pods are out). */
  why: string
  pods: PodPolicy
  namespace: string
  image: string
  deadlineSeconds: number
}

/** The plan for every node given (resolving ssh_config and checking keys, no connection, no pod). */
export async function accessPlan(
  nodes: readonly string[],
  o: {
    settings: (node: string) => NodeAccessSettings
    ssh: () => SshSide
    rule: (node: string) => boolean
    env: Record<string, string | undefined>
    facts?: (host: SshFacts['host'], rule: boolean, env: Record<string, string | undefined>) => Promise<SshFacts>
  },
): Promise<AccessPlanEntry[]> {
  return Promise.all(
    nodes.map(async (node): Promise<AccessPlanEntry> => {
      const s = o.settings(node)
      const base = {
        node,
        pods: s.pods,
        namespace: s.namespace,
        image: s.image ?? DEFAULT_IMAGE,
        deadlineSeconds: s.deadlineSeconds,
      }
      let ssh = { applies: false, why: 'SSH is not among the transports' }
      if (s.transports.includes('ssh')) {
        try {
          ssh = sshApplies(await (o.facts ?? sshFacts)(await o.ssh().resolve(node), o.rule(node), o.env))
        } catch (e) {
          ssh = { applies: false, why: `the ssh config cannot be read: ${(e as Error).message}` }
        }
      }
      const pod = s.transports.includes('pod') && s.pods !== 'never'
      const podFirst = s.transports[0] === 'pod'
      if (pod && (podFirst || !ssh.applies))
        return { ...base, expect: 'pod', why: podFirst ? 'nodeAccess puts pod first' : ssh.why }
      if (ssh.applies) return { ...base, expect: pod ? 'ssh-then-pod' : 'ssh', why: ssh.why }
      return {
        ...base,
        expect: 'none',
        why: `${ssh.why}; ${s.transports.includes('pod') ? `nodeAccess pods is never for ${node}` : 'pod is not among the transports'}`,
      }
    }),
  )
}
