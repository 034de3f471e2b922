// Helpers of the recipe e2e tests: toggle a lab scenario, run `kinspect run` as a subprocess against the lab, and,
// for the runs with SSH unavailable, the environment `lab ssh off` gives and the count of kinspect's node pods.
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { labEnvVars, labPaths } from '../lab/layout.ts'
import type { ReportData } from '../../src/recipes/report.ts'

const root = path.resolve(import.meta.dirname, '../..')
const env = { ...process.env, ...labEnvVars(), NO_COLOR: '1', KINSPECT_FROM_SOURCE: '1' }

function exec(
  argv: string[],
  timeoutMs: number,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: root,
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out, err })
    })
  })
}

/** `npm run lab -- scenario NAME on|off [--node N]`; throws with the lab's output when it fails. */
export async function scenario(name: string, state: 'on' | 'off', node?: string): Promise<void> {
  const r = await exec(
    ['--import', 'tsx', 'test/lab/cli.ts', 'scenario', name, state, ...(node ? ['--node', node] : [])],
    240_000,
  )
  if (r.code !== 0)
    throw new Error(`lab scenario ${name} ${state}${node ? ` --node ${node}` : ''} exited ${r.code}:\n${r.out}${r.err}`)
}

/** `kinspect run NAME ...args` against the lab: exit code, stdout, stderr, and the report when -o json. `extraEnv` overrides the lab's (KUBECONFIG). */
export async function kinspectRun(
  name: string,
  args: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string; report?: ReportData }> {
  const r = await exec([path.join(root, 'bin', 'kinspect.mjs'), 'run', name, ...args], 180_000, extraEnv)
  let report: ReportData | undefined
  if (args.includes('json')) {
    try {
      report = JSON.parse(r.out) as ReportData
    } catch {
      throw new Error(`kinspect run ${name} ${args.join(' ')} did not print JSON (exit ${r.code}):\n${r.out}\n${r.err}`)
    }
  }
  return { ...r, report }
}

/** `kinspect ARGS` against the lab (any command): exit code, stdout, stderr. */
export function kinspectCli(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return exec([path.join(root, 'bin', 'kinspect.mjs'), ...args], 180_000, extraEnv)
}

/** The findings of one step (by title) of a report. */
export function stepFindings(report: ReportData, title: string) {
  const s = report.steps.find((x) => x.title === title)
  if (!s) throw new Error(`no step "${title}" in ${report.steps.map((x) => x.title).join(', ')}`)
  return s.findings
}

/** Every failing finding of a report as "step: message" (for assertion messages). */
export function failures(report: ReportData): string[] {
  return report.steps.flatMap((s) => [
    ...s.findings.filter((f) => f.severity === 'fail').map((f) => `${s.title}: ${f.message}`),
    ...(s.error ? [`${s.title}: ERROR ${s.error.message}`] : []),
  ])
}

/** The node a pod runs on, by kubectl (the lab places pods across three nodes). */
export function podNodeOf(ns: string, name: string): string {
  const r = spawnSync(
    'kubectl',
    ['--kubeconfig', labEnvVars().KUBECONFIG, 'get', 'pod', '-n', ns, name, '-o', 'jsonpath={.spec.nodeName}'],
    { encoding: 'utf8' },
  )
  if (r.status !== 0 || !r.stdout) throw new Error(`no node for ${ns}/${name}: ${r.stderr}`)
  return r.stdout
}

/** The environment after `lab ssh off`: no ssh files, no agent, the no-SSH config (node pods allowed). */
export const NOSSH: Record<string, string> = {
  KINSPECT_CONFIG: labPaths().kinspectConfigNoSsh,
  KINSPECT_SSH_CONFIG: '/dev/null',
  KINSPECT_KNOWN_HOSTS: '/dev/null',
  SSH_AUTH_SOCK: '',
}

/** `npm run lab -- ARGS` (ssh on|off, scenario X on|off), synchronously; fails the test when the lab does. */
export function lab(...args: string[]): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/lab/cli.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
  })
  if (r.status !== 0) throw new Error(`lab ${args.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`)
}

/**
 * Never leave the lab with ssh off or a fault on: when the file is stopped (the runner's timeout sends SIGTERM), turns
 * `scenarios` off and ssh on before exiting.
 */
export function restoreOnSignal(scenarios: readonly string[]): void {
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const s of scenarios)
        spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/lab/cli.ts'), 'scenario', s, 'off'], {
          cwd: root,
          stdio: 'inherit',
          timeout: 240_000,
        })
      spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/lab/cli.ts'), 'ssh', 'on'], {
        cwd: root,
        stdio: 'inherit',
        timeout: 120_000,
      })
      process.exit(1)
    })
  }
}

/** kinspect's node pods in the lab, as namespace/name (kubectl). */
export function kinspectPods(): string[] {
  const r = spawnSync(
    'kubectl',
    [
      '--kubeconfig',
      labEnvVars().KUBECONFIG,
      'get',
      'pods',
      '-A',
      '-l',
      'app.kubernetes.io/managed-by=kinspect',
      '-o',
      'name',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  )
  if (r.status !== 0) throw new Error(`kubectl get pods (kinspect's): ${r.stderr}`)
  return r.stdout.split('\n').filter(Boolean)
}
