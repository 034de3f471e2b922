#!/usr/bin/env node
// kinspect (also installed as kubectl-inspect): runs the bundled dist/ or the TypeScript sources through tsx.
// No file is walked or compared at start: which one runs depends only on where kinspect lives.
// - An installed package (no .git beside src/) runs dist/ when the build finished: `npm run build` (also run by
//   `npm ci`/`npm install` through prepare) removes dist/.stamp first and writes it last. Without it: the sources.
// - A git checkout runs the sources, so what you edit is what runs: tests that spawn this launcher always test the
//   current sources, and a stale dist/ can never stand in for them. Nothing has to guess whether dist/ is stale.
// KINSPECT_FROM_SOURCE=0 runs the build anyway (bench/startup.ts builds first, then measures it this way);
// KINSPECT_FROM_SOURCE=1 forces the sources.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const at = (rel) => new URL(rel, import.meta.url)

function useDist() {
  const forced = process.env.KINSPECT_FROM_SOURCE
  if (forced === '1') return false
  if (forced === '0') return existsSync(at('../dist/cli.cjs'))
  return existsSync(at('../dist/.stamp')) && !(existsSync(at('../.git')) && existsSync(at('../src')))
}

let mod
if (useDist()) {
  const { loadDist } = await import('./dist-loader.mjs')
  mod = loadDist(fileURLToPath(at('../dist'))).exports
} else {
  const { register } = await import('tsx/esm/api')
  register()
  mod = await import('../src/cli.ts')
}
const code = await mod.main(process.argv.slice(2))
process.exit(code)
