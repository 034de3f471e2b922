// Shared by the svcRules tests: the lab's Services and slices, and the node answers of iptables mode.
import { fx, labService, labSlices, type Answer } from './fake.ts'
import { LAB_SERVICES } from './lab.ts'

/** The lab's Services, as the cluster lists them. */
export const services = LAB_SERVICES.map(labService)
/** The EndpointSlices of every lab Service in the capture `file`. */
export const slicesOf = (file: string) => LAB_SERVICES.flatMap((k) => labSlices(file, k))
/** What `nft -j list table ip kube-proxy` answers when the table does not exist. */
export const NO_TABLE: Answer = {
  exitCode: 1,
  stderr: 'Error: No such file or directory\nlist table ip kube-proxy\n              ^^^^^^^^^^\n',
}
/** The answers of a node in iptables mode: `save` as iptables-save -c, no kube-proxy nft table. */
export const iptablesMode = (save = fx('iptables-save-nat-counters.txt')): Record<string, Answer> => ({
  'iptables-save -c': save,
  'nft -j list table ip kube-proxy': NO_TABLE,
})
