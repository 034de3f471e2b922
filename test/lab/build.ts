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

/** The version a lab module's go.mod requires of a dependency (go.mod is where it is pinned). */
function requiredVersion(moduleDir: string, dep: string): string {
  const mod = fs.readFileSync(path.join(here, moduleDir, 'go.mod'), 'utf8')
  const v = mod.match(new RegExp(`^\\s*${dep.replace(/\./g, '\\.')} (v\\S+)`, 'm'))?.[1]
  if (!v) throw new Error(`lab: ${moduleDir}/go.mod requires no ${dep}`)
  return v
}

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
  {
    name: 'metrics-server',
    moduleDir: 'go-metrics',
    pkg: '.',
    ldflags: `-s -w -X k8s.io/client-go/pkg/version.gitVersion=${VERSIONS.metricsServer}`,
  },
  // The fan-out's Node heartbeat (standard library only): its own binary, so changing it rebuilds nothing the nodes run.
  { name: 'fanout-heartbeat', moduleDir: 'go-heartbeat', pkg: '.', ldflags: '-s -w' },
  // Upstream crictl, built from its module's own main package (pinned by go-crictl/go.mod's tool directive).
  // Both are named apart from their links so that bin/crictl and bin/heartbeat stay links: a checkout from before
  // them re-points a link, where it would fail on a file.
  {
    name: 'cri-tools',
    moduleDir: 'go-crictl',
    pkg: 'sigs.k8s.io/cri-tools/cmd/crictl',
    ldflags: `-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=${requiredVersion('go-crictl', 'sigs.k8s.io/cri-tools').replace(/^v/, '')}`,
  },
]

/** Names the multi-call binaries answer to (symlinks in the cache's bin/). */
export const LINKS: Record<string, string> = {
  etcd: 'kube',
  'kube-apiserver': 'kube',
  'kube-controller-manager': 'kube',
  'kube-scheduler': 'kube',
  kubelet: 'kube',
  'kube-proxy': 'kube',
  crictl: 'cri-tools',
  heartbeat: 'fanout-heartbeat',
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

/** Builds missing or outdated binaries (all, or only the named targets); prints progress; returns the bin directory. */
export function ensureBinaries(only?: string[]): string {
  const binDir = path.join(CACHE_DIR, 'bin')
  fs.mkdirSync(binDir, { recursive: true })
  const unknown = (only ?? []).filter((n) => !targets.some((t) => t.name === n))
  if (unknown.length)
    throw new Error(`lab: no build target ${unknown.join(', ')} (targets: ${targets.map((t) => t.name).join(', ')})`)
  const goVersion = run(['go', 'env', 'GOVERSION']).stdout.trim()
  for (const t of targets.filter((t) => !only || only.includes(t.name))) {
    const dir = path.join(here, t.moduleDir)
    const stamp = sourceHash(dir, goVersion + t.ldflags)
    const out = path.join(binDir, t.name)
    const stampFile = `${out}.stamp`
    if (fs.existsSync(out) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) continue
    progress(
      `building ${t.name} (${t.moduleDir}); with empty Go caches all of them took 8.8 min on 2 cores (the Kubernetes binary 5 min)`,
    )
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
    if (link === target || (only && !only.includes(target))) continue
    let current: string | undefined
    try {
      current = fs.readlinkSync(p)
    } catch {} // missing, or a file an older layout built there
    if (current === target) continue
    fs.rmSync(p, { force: true })
    fs.symlinkSync(target, p)
  }
  return binDir
}
