// npm start: from nothing to a working shell. Brings the lab up when it is not (`npm run lab -- up`, which keeps
// what is there), says so on one line, and opens kinspect pointed at it (the environment `lab env` prints).
// Arguments after `npm start --` go to kinspect: `npm start -- -e 'nodes()'`, `npm start -- run dns --pod shop/client`.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { labEnvVars, labPaths } from './layout.ts'
import { healthy } from './lab.ts'

const root = path.resolve(import.meta.dirname, '../..')
const P = labPaths()

function main(): void {
  if (process.getuid?.() !== 0) {
    console.error(
      'npm start: the lab needs root (it makes network namespaces, routes and daemons); run it as root, or point kinspect at your own cluster: npx kinspect',
    )
    process.exit(2)
  }
  const wasUp = fs.existsSync(P.kubeconfig) && healthy()
  if (!wasUp) {
    console.error(
      'npm start: the lab is not up: starting it (npm run lab -- up; the first time this builds Kubernetes from source)',
    )
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/lab/cli.ts'), 'up'], {
      cwd: root,
      stdio: ['ignore', 2, 2],
    })
    if (r.status !== 0) {
      console.error(
        `npm start: the lab did not come up (exit ${r.status}); see the output above, and npm run lab -- status`,
      )
      process.exit(2)
    }
  }
  const env = { ...process.env, ...labEnvVars() }
  console.error(
    `npm start: ${wasUp ? 'the lab was already up' : 'started the lab'}; kinspect uses KUBECONFIG=${env.KUBECONFIG} and the lab's ssh and .recipes files (eval "$(npm run -s lab -- env)" does the same in your shell)`,
  )
  const child = spawn(process.execPath, [path.join(root, 'bin', 'kinspect.mjs'), ...process.argv.slice(2)], {
    cwd: process.env.INIT_CWD ?? root,
    env,
    stdio: 'inherit',
  })
  // The shell owns the terminal: Ctrl-C goes to it, not to this launcher.
  process.on('SIGINT', () => {})
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 2 : 1)))
}

main()
