// Config files the lab's components read: kubeconfigs, kubelet, kube-proxy, containerd, CNI, sshd, CoreDNS.
import fs from 'node:fs'
import path from 'node:path'
import { CONTEXT, NET, NODES, labPaths, nodePaths, type LabNode } from './layout.ts'
import { IMAGES } from './manifests.ts'

const b64 = (file: string) => fs.readFileSync(file).toString('base64')

/** A kubeconfig with embedded client certificate for one identity. */
export function kubeconfig(
  pki: string,
  certName: string,
  server = `https://${NET.nodeIP}:${NET.apiPort}`,
  user = certName,
): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: ${CONTEXT}
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(path.join(pki, 'ca.crt'))}
users:
- name: ${user}
  user:
    client-certificate-data: ${b64(path.join(pki, `${certName}.crt`))}
    client-key-data: ${b64(path.join(pki, `${certName}.key`))}
contexts:
- name: ${CONTEXT}
  context:
    cluster: ${CONTEXT}
    user: ${user}
    namespace: default
current-context: ${CONTEXT}
`
}

/** KubeletConfiguration of one node: cgroup v1 + cgroupfs, the node's own containerd and cgroup root. */
export function kubeletConfig(dir: string, node: LabNode): string {
  const pki = labPaths(dir).pki
  const np = nodePaths(node.name)
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${node.ip}
port: 10250
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${pki}/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: ${pki}/kubelet-serving-${node.name}.crt
tlsPrivateKeyFile: ${pki}/kubelet-serving-${node.name}.key
cgroupDriver: cgroupfs
cgroupRoot: ${np.cgroupRoot}
containerRuntimeEndpoint: unix://${np.containerdSock}
clusterDomain: cluster.local
clusterDNS: [${NET.dnsIP}]
resolvConf: ${dir}/node-resolv.conf
failSwapOn: false
failCgroupV1: false
registerNode: true
serializeImagePulls: false
maxPods: 150
podPidsLimit: 4096
nodeStatusUpdateFrequency: 4s
nodeLeaseDurationSeconds: 16
nodeStatusReportFrequency: 1m
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
localStorageCapacityIsolation: false
protectKernelDefaults: false
rotateCertificates: false
serverTLSBootstrap: false
staticPodPath: ""
volumeStatsAggPeriod: 0s
`
}

/** KubeProxyConfiguration of one node; mode is iptables, ipvs or nftables. */
export function kubeProxyConfig(dir: string, mode: string, node: LabNode): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: ${mode}
clientConnection: {kubeconfig: ${dir}/kube-proxy.kubeconfig}
hostnameOverride: ${node.name}
bindAddress: ${node.ip}
clusterCIDR: ${NET.podCIDR}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["${node.ip}/32"]
conntrack:
  maxPerCore: 0
  min: 0
iptables: {syncPeriod: 10s, minSyncPeriod: 1s, masqueradeAll: false}
nftables: {syncPeriod: 10s, minSyncPeriod: 1s}
ipvs: {syncPeriod: 10s, minSyncPeriod: 1s, scheduler: rr}
`
}

/** containerd 1.6 config (version 2) of one node, with its own root, state, socket and CNI config. */
export function containerdConfig(node: LabNode): string {
  const np = nodePaths(node.name)
  return `version = 2
root = "${np.containerdRoot}"
state = "${np.runDir}/containerd-state"
[grpc]
  address = "${np.containerdSock}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "kinspect.local/pause:3.10"
  enable_selinux = false
  # This sandbox has no CAP_SYS_RESOURCE, so an oom_score_adj below containerd's own
  # (-998 for sandboxes, -997 for Guaranteed pods) cannot be set: cap it instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${np.cniDir}"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
`
}

/** CNI conflist of one node: bridge + host-local + portmap, no masquerade (nothing may leave the machine). */
export function cniConfig(node: LabNode): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'kinspect-lab',
      plugins: [
        {
          type: 'bridge',
          bridge: NET.cniBridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          mtu: 1500,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: node.podCIDR, gateway: node.podGateway }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )
}

/** sshd config for the node (and, with port/address/host key overrides, for extra SSH-only nodes). */
export function sshdConfig(dir: string, listen: string, hostKey: string, pidFile: string): string {
  const p = labPaths(dir)
  return `# kinspect lab sshd (not the system's)
ListenAddress ${listen}
HostKey ${hostKey}
PidFile ${pidFile}
AuthorizedKeysFile ${p.sshDir}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
StrictModes no
UsePAM no
MaxSessions 10
MaxStartups 10:30:100
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
LogLevel INFO
`
}

/** The user-facing ssh_config: host names map to lab addresses, host keys checked strictly. */
export function sshClientConfig(dir: string, extra: Array<{ name: string; addr: string; user?: string }>): string {
  const p = labPaths(dir)
  const block = (name: string, addr: string, user = 'root') => `Host ${name}
  HostName ${addr}
  Port ${NET.sshPort}
  User ${user}
  IdentityFile ${p.identity}
  IdentitiesOnly yes
  UserKnownHostsFile ${p.knownHosts}
  StrictHostKeyChecking yes
  ConnectTimeout 5
`
  const lab1 = NODES[0].ip
  return [
    `# written by the kinspect lab`,
    ...NODES.map((n) => block(n.name, n.ip)),
    block('lab-1-dash', lab1, 'kinspect-dash'),
    block('lab-1-ash', lab1, 'kinspect-ash'),
    // A user that is not root and reaches root only through `sudo -n` (NOPASSWD), as on most real nodes.
    ...NODES.map((n) => block(`${n.name}-sudo`, n.ip, 'kinspect-sudo')),
    ...extra.map((e) => block(e.name, e.addr, e.user)),
  ].join('\n')
}

/** kinspect's own config for the lab (.recipes). */
export function kinspectConfig(dir: string): string {
  const p = labPaths(dir)
  return `# kinspect configuration for the lab (written by npm run lab -- up)
context: ${CONTEXT}
namespace: shop
ssh:
  configFile: ${p.sshConfig}
  knownHostsFile: ${p.knownHosts}
nodes:
  - match: "lab-?"
    user: root
    port: ${NET.sshPort}
    identityFile: ${p.identity}
# SSH first (the nodes rule above applies to lab-1..3); a node pod only when SSH fails, after asking.
nodeAccess:
  transports: [ssh, pod]
  pods: ask
  image: ${IMAGES.nodePod}
  namespace: kube-system
  deadline: 1h
`
}

/** kinspect's config for the lab with SSH off: no ssh files, no node rules (nodes are reached through the API). */
export function kinspectConfigNoSsh(_dir: string): string {
  return `# kinspect configuration for the lab with ssh off (written by npm run lab -- ssh off)
context: ${CONTEXT}
namespace: shop
# Nothing configures SSH here, so every node is reached through a node pod. The lab is a throwaway cluster whose
# tests run without a terminal: pods are allowed without asking (a real cluster's config would say ask).
nodeAccess:
  transports: [ssh, pod]
  pods: always
  image: ${IMAGES.nodePod}
  namespace: kube-system
  deadline: 1h
`
}
