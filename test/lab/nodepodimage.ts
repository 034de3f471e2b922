// The files of the lab's node pod image: busybox for the shell and small tools, util-linux nsenter and coreutils
// timeout, and Debian's conntrack, dig, nft, iptables and ip with every shared library they load (ldd), so they
// run inside the image. nsenter and timeout are not busybox's here: Debian's busybox-static prefers its own applets
// over PATH, so its nsenter would run busybox's timeout and ip instead of the node's.
import fs from 'node:fs'
import path from 'node:path'
import { run } from './sh.ts'

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
/** Programs the helpers run from the image when a node lacks them, and the two the transport needs. */
export const NODE_POD_TOOLS = ['nsenter', 'timeout', 'conntrack', 'dig', 'nft', 'ip', 'iptables']
const XTABLES_NAMES = [
  'iptables',
  'iptables-save',
  'iptables-restore',
  'ip6tables',
  'ip6tables-save',
  'ip6tables-restore',
]

function which(name: string): string {
  for (const d of PATH.split(':')) {
    const p = path.join(d, name)
    try {
      fs.accessSync(p, fs.constants.X_OK)
      return p
    } catch {}
  }
  throw new Error(
    `lab: the node pod image needs ${name}, which is not installed on this machine (apt-get install conntrack bind9-dnsutils nftables iptables iproute2 util-linux coreutils)`,
  )
}

/** Absolute paths of the shared libraries some programs and libraries load, the dynamic loader included (one ldd run). */
export function sharedLibraries(files: string[]): string[] {
  const r = run(['ldd', ...files], { ok: true })
  const libs = new Set<string>()
  for (const line of r.stdout.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s+(\/\S+)\s+\(/.exec(line)
    if (m) libs.add(m[1])
    else if (/=> not found/.test(line))
      throw new Error(`lab: a node pod image tool needs a library this machine lacks: ${line.trim()}`)
  }
  if (r.code !== 0 && libs.size === 0) throw new Error(`lab: ldd failed: ${r.stderr.trim()}`)
  return [...libs]
}

type ImageFiles = { files: Array<[string, string]>; links: Array<[string, string]> }
let computed: ImageFiles | undefined

/** [path in image, source on host] for every tool and library, and the iptables names linked to its multi-binary (computed once per process: ldd takes ~1.5 s). */
export function nodePodImageFiles(): ImageFiles {
  computed ??= computeFiles()
  return computed
}

function computeFiles(): ImageFiles {
  const files = new Map<string, string>()
  const links: Array<[string, string]> = []
  const add = (inImage: string, src: string) => files.set(inImage.replace(/^\//, ''), fs.realpathSync(src))
  const programs: string[] = []
  for (const t of NODE_POD_TOOLS) {
    const p = which(t)
    if (t === 'iptables') {
      // iptables is a multi-call binary (xtables-nft-multi or xtables-legacy-multi) chosen by its name
      const real = fs.realpathSync(p)
      const multi = path.join(path.dirname(p), path.basename(real))
      add(multi, real)
      programs.push(real)
      for (const n of XTABLES_NAMES) {
        try {
          if (fs.realpathSync(which(n)) === real)
            links.push([path.join(path.dirname(p), n).replace(/^\//, ''), path.basename(real)])
        } catch {}
      }
      const extDir = run(['sh', '-c', `ls -d /usr/lib/*/xtables /usr/lib/xtables 2>/dev/null | head -1`], {
        ok: true,
      }).stdout.trim()
      if (extDir) {
        for (const f of fs.readdirSync(extDir).filter((f) => f.endsWith('.so'))) {
          add(path.join(extDir, f), path.join(extDir, f))
          programs.push(path.join(extDir, f))
        }
      }
      continue
    }
    add(p, p)
    programs.push(p)
  }
  for (const lib of sharedLibraries(programs)) add(lib, lib)
  for (const f of ['/etc/protocols', '/etc/services']) if (fs.existsSync(f)) add(f, f)
  return { files: [...files.entries()], links }
}
