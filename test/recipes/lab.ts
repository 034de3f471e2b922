// Helpers of the recipe e2e tests: toggle a lab scenario, run `kinspect run` as a subprocess against the lab.
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { labEnvVars } from '../lab/layout.ts'
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
