// kubectl against the lab as lab-admin (its kubeconfig), plain and parsed from JSON.
import { labPaths } from './layout.ts'
import { run } from './sh.ts'

const P = labPaths()

/** kubectl against the lab as lab-admin. */
export function kubectl(args: string[], opts: { ok?: boolean; input?: string; timeout?: number } = {}) {
  return run(['kubectl', '--kubeconfig', P.kubeconfig, '--request-timeout=20s', ...args], opts)
}

/** kubectl ... -o json parsed. */
export function kubectlJSON<T = any>(args: string[]): T {
  return JSON.parse(kubectl([...args, '-o', 'json']).stdout) as T
}
