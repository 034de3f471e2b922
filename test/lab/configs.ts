// Config files the lab's components read: kubeconfigs, kubelet, kube-proxy, containerd, CNI, sshd, CoreDNS.
import fs from 'node:fs'
import path from 'node:path'
import { CONTEXT, NET, NODE, RUN_DIR, labPaths } from './layout.ts'

const b64 = (file: string) => fs.readFileSync(file).toString('base64')

/** A kubeconfig with embedded client certificate for one identity. */
export function kubeconfig(pki: string, certName: string, server = `https://${NET.nodeIP}:${NET.apiPort}`, user = certName): string {
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

/** KubeletConfiguration for cgroup v1 + cgroupfs and the lab's containerd. */
export function kubeletConfig(dir: string): string {
  const pki = labPaths(dir).pki
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${NET.nodeIP}
port: 10250
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${pki}/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: ${pki}/kubelet-serving.crt
tlsPrivateKeyFile: ${pki}/kubelet-serving.key
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://${RUN_DIR}/containerd.sock
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

/** KubeProxyConfiguration; mode is iptables, ipvs or nftables. */
export function kubeProxyConfig(dir: string, mode: string): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: ${mode}
clientConnection: {kubeconfig: ${dir}/kube-proxy.kubeconfig}
hostnameOverride: ${NODE}
bindAddress: ${NET.nodeIP}
clusterCIDR: ${NET.podCIDR}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["${NET.nodeIP}/32"]
conntrack:
  maxPerCore: 0
  min: 0
iptables: {syncPeriod: 10s, minSyncPeriod: 1s, masqueradeAll: false}
nftables: {syncPeriod: 10s, minSyncPeriod: 1s}
ipvs: {syncPeriod: 10s, minSyncPeriod: 1s, scheduler: rr}
`
}

/** containerd 1.6 config (version 2) with the lab's own root, state and socket. */
export function containerdConfig(dir: string, cacheRoot: string): string {
  return `version = 2
root = "${cacheRoot}"
state = "${RUN_DIR}/containerd-state"
[grpc]
  address = "${RUN_DIR}/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "kinspect.local/pause:3.10"
  enable_selinux = false
  # This sandbox has no CAP_SYS_RESOURCE, so an oom_score_adj below containerd's own
  # (-998 for sandboxes, -997 for Guaranteed pods) cannot be set: cap it instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dir}/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
`
}

/** CNI conflist: bridge + host-local + portmap + loopback, no masquerade (nothing may leave the machine). */
export function cniConfig(): string {
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
          ipam: { type: 'host-local', ranges: [[{ subnet: NET.nodePodCIDR, gateway: NET.podGateway }]], routes: [{ dst: '0.0.0.0/0' }] },
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
export function sshClientConfig(dir: string, extra: Array<{ name: string; addr: string }>): string {
  const p = labPaths(dir)
  const block = (name: string, addr: string) => `Host ${name}
  HostName ${addr}
  Port ${NET.sshPort}
  User root
  IdentityFile ${p.identity}
  IdentitiesOnly yes
  UserKnownHostsFile ${p.knownHosts}
  StrictHostKeyChecking yes
  ConnectTimeout 5
`
  const shellUser = (host: string, user: string) => block(host, NET.nodeIP).replace('User root', `User ${user}`)
  return [
    `# written by the kinspect lab`,
    block(NODE, NET.nodeIP),
    shellUser('lab-1-dash', 'kinspect-dash'),
    shellUser('lab-1-ash', 'kinspect-ash'),
    ...extra.map((e) => block(e.name, e.addr)),
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
  - match: "lab-*"
    user: root
    port: ${NET.sshPort}
    identityFile: ${p.identity}
`
}
