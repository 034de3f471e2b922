// Builds the lab's Go binaries into the cache (outside the repo); rebuilds only when their sources change.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { CACHE_DIR, VERSIONS } from './layout.ts'
import { progress, run } from './sh.ts'

const here = import.meta.dirname

interface Target {
  name: string
  moduleDir: string
  pkg: string
  ldflags: string
}

const k8sVersion = VERSIONS.kubernetes
const targets: Target[] = [
  { name: 'labtools', moduleDir: 'go-tools', pkg: '.', ldflags: '-s -w' },
  {
    name: 'kube',
    moduleDir: 'go',
    pkg: './cmd/kube',
    ldflags: [
      '-s -w',
      `-X k8s.io/component-base/version.gitVersion=${k8sVersion}`,
      `-X k8s.io/component-base/version.gitMajor=1`,
      `-X k8s.io/component-base/version.gitMinor=${k8sVersion.split('.')[1]}`,
      '-X k8s.io/component-base/version.gitTreeState=clean',
    ].join(' '),
  },
  { name: 'coredns', moduleDir: 'go-coredns', pkg: '.', ldflags: '-s -w' },
  { name: 'metrics-server', moduleDir: 'go-metrics', pkg: '.', ldflags: `-s -w -X k8s.io/client-go/pkg/version.gitVersion=${VERSIONS.metricsServer}` },
]

/** Names the multi-call binaries answer to (symlinks in the cache's bin/). */
export const LINKS: Record<string, string> = {
  etcd: 'kube',
  'kube-apiserver': 'kube',
  'kube-controller-manager': 'kube',
  'kube-scheduler': 'kube',
  kubelet: 'kube',
  'kube-proxy': 'kube',
  crictl: 'kube',
  heartbeat: 'kube',
  pause: 'labtools',
  labhttpd: 'labtools',
  ociimage: 'labtools',
  udpflood: 'labtools',
  connfill: 'labtools',
  certs: 'labtools',
  resolve: 'labtools',
  coredns: 'coredns',
  'metrics-server': 'metrics-server',
}

function sourceHash(dir: string, extra: string): string {
  const h = crypto.createHash('sha256').update(extra)
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (/\.(go|mod|sum)$/.test(e.name)) h.update(p.slice(dir.length)).update(fs.readFileSync(p))
    }
  }
  walk(dir)
  return h.digest('hex').slice(0, 16)
}

/** Path of a built lab binary by component name. */
export function bin(name: string): string {
  return path.join(CACHE_DIR, 'bin', name)
}

/** Builds missing or outdated binaries; prints progress; returns the bin directory. */
export function ensureBinaries(): string {
  const binDir = path.join(CACHE_DIR, 'bin')
  fs.mkdirSync(binDir, { recursive: true })
  const goVersion = run(['go', 'env', 'GOVERSION']).stdout.trim()
  for (const t of targets) {
    const dir = path.join(here, t.moduleDir)
    const stamp = sourceHash(dir, goVersion + t.ldflags)
    const out = path.join(binDir, t.name)
    const stampFile = `${out}.stamp`
    if (fs.existsSync(out) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) continue
    progress(`building ${t.name} (${t.moduleDir}); a cold build of the Kubernetes binary takes ~20-30 min on 2 cores`)
    const t0 = Date.now()
    run(['go', 'build', '-mod=mod', '-trimpath', '-ldflags', t.ldflags, '-o', `${out}.tmp`, t.pkg], {
      cwd: dir,
      env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
      timeout: 80 * 60_000,
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    fs.renameSync(`${out}.tmp`, out)
    // go build -mod=mod may have tidied go.mod/go.sum: stamp what is there now.
    fs.writeFileSync(stampFile, sourceHash(dir, goVersion + t.ldflags))
    progress(`built ${t.name} in ${((Date.now() - t0) / 1000).toFixed(0)}s`)
  }
  for (const [link, target] of Object.entries(LINKS)) {
    const p = path.join(binDir, link)
    if (link === target) continue
    try {
      if (fs.readlinkSync(p) === target) continue
      fs.rmSync(p)
    } catch {}
    fs.symlinkSync(target, p)
  }
  return binDir
}
