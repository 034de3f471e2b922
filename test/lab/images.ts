// Builds the lab's container images locally (no registry) and imports them into containerd.
import fs from 'node:fs'
import path from 'node:path'
import { CACHE_DIR, RUN_DIR } from './layout.ts'
import { IMAGES } from './manifests.ts'
import { nodePodImageFiles } from './nodepodimage.ts'
import { bin } from './build.ts'
import { progress, run } from './sh.ts'

interface ImageSpec {
  ref: string
  files: Array<[string, string]> // [path in image, source on host]
  links?: Array<[string, string]> // [path in image, link target]
  entrypoint?: string[]
  cmd?: string[]
}

function busyboxApplets(): string[] {
  return run(['/bin/busybox', '--list'])
    .stdout.split('\n')
    .filter((a) => a && a !== 'busybox')
}

function specs(): ImageSpec[] {
  const lt = bin('labtools')
  return [
    { ref: IMAGES.pause, files: [['pause', lt]], entrypoint: ['/pause'] },
    { ref: IMAGES.httpd, files: [['labhttpd', lt]], entrypoint: ['/labhttpd'] },
    { ref: IMAGES.coredns, files: [['coredns', bin('coredns')]], entrypoint: ['/coredns'] },
    { ref: IMAGES.metricsServer, files: [['metrics-server', bin('metrics-server')]], entrypoint: ['/metrics-server'] },
    {
      ref: IMAGES.busybox,
      files: [
        ['bin/busybox', '/bin/busybox'],
        ['bin/labtools', lt],
      ],
      links: [...busyboxApplets().map((a): [string, string] => [`bin/${a}`, 'busybox']), ['bin/resolve', 'labtools']],
      cmd: ['sh'],
    },
    nodePodSpec(),
  ]
}

// The node pod image (kinspect's node access without SSH): busybox plus the node tools, see nodepodimage.ts.
function nodePodSpec(): ImageSpec {
  const tools = nodePodImageFiles()
  return {
    ref: IMAGES.nodePod,
    files: [['bin/busybox', '/bin/busybox'], ...tools.files],
    links: [...busyboxApplets().map((a): [string, string] => [`bin/${a}`, 'busybox']), ...tools.links],
    cmd: ['sh'],
  }
}

function buildRootfs(s: ImageSpec, root: string): void {
  fs.rmSync(root, { recursive: true, force: true })
  for (const d of ['etc', 'tmp', 'proc', 'sys', 'dev', 'bin']) fs.mkdirSync(path.join(root, d), { recursive: true })
  fs.chmodSync(path.join(root, 'tmp'), 0o1777)
  fs.writeFileSync(
    path.join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  )
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n')
  for (const [dst, src] of s.files) {
    const p = path.join(root, dst)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    fs.copyFileSync(src, p)
    fs.chmodSync(p, 0o755)
  }
  for (const [dst, target] of s.links ?? []) {
    const p = path.join(root, dst)
    if (!fs.existsSync(p)) fs.symlinkSync(target, p)
  }
}

/** Imports every lab image that a node's containerd does not have yet (rebuilding archives when binaries changed). */
export function ensureImages(
  sock = `${RUN_DIR}/containerd.sock`,
  root = path.join(CACHE_DIR, 'containerd-root'),
): void {
  const CTR = ['ctr', '--address', sock, '-n', 'k8s.io']
  const have = new Set(run([...CTR, 'images', 'ls', '-q']).stdout.split('\n'))
  // Which archive (by mtime) each image was imported from, kept beside this containerd's content store.
  const stampFile = path.join(root, 'kinspect-lab-images.json')
  let stamps: Record<string, number> = {}
  try {
    stamps = JSON.parse(fs.readFileSync(stampFile, 'utf8'))
  } catch {}
  const dir = path.join(CACHE_DIR, 'images')
  fs.mkdirSync(dir, { recursive: true })
  for (const s of specs()) {
    const name = s.ref.replace(/[/:]/g, '_')
    const archive = path.join(dir, `${name}.tar`)
    const newest = Math.max(...s.files.map(([, src]) => fs.statSync(src).mtimeMs))
    const fresh = fs.existsSync(archive) && fs.statSync(archive).mtimeMs >= newest
    if (have.has(s.ref) && fresh && stamps[s.ref] === fs.statSync(archive).mtimeMs) continue
    if (!fresh) {
      progress(`image ${s.ref}: building`)
      const root = path.join(dir, `${name}.rootfs`)
      buildRootfs(s, root)
      const args = [bin('ociimage'), '-rootfs', root, '-name', s.ref, '-out', archive]
      if (s.entrypoint) args.push('-entrypoint', s.entrypoint.join(','))
      if (s.cmd) args.push('-cmd', s.cmd.join(','))
      run(args)
      fs.rmSync(root, { recursive: true, force: true })
    }
    progress(`image ${s.ref}: importing into ${sock}`)
    run([...CTR, 'images', 'import', archive], { timeout: 300_000 })
    stamps[s.ref] = fs.statSync(archive).mtimeMs
    fs.mkdirSync(root, { recursive: true })
    fs.writeFileSync(stampFile, JSON.stringify(stamps))
  }
}
