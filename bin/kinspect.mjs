#!/usr/bin/env node
// kinspect (also installed as kubectl-inspect): runs the built dist/ or the TypeScript sources through tsx.
// The build writes dist/.stamp last (npm run build), so a dist/ without it is missing or half-written: sources.
// An installed package (no .git beside src/) runs dist/ with no further check: its sources do not change.
// A git checkout runs dist/ only when the stamp is newer than every src/*.ts (edited sources win).
// KINSPECT_FROM_SOURCE=1 forces the sources, KINSPECT_FROM_SOURCE=0 the build (when there is one).
import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))

function newestSource(dir) {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p))
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs)
  }
  return newest
}

function useDist() {
  if (process.env.KINSPECT_FROM_SOURCE === '1') return false
  if (process.env.KINSPECT_FROM_SOURCE === '0') return existsSync(path.join(root, 'dist', 'cli.js'))
  const stamp = statSync(path.join(root, 'dist', '.stamp'), { throwIfNoEntry: false })
  if (!stamp) return false
  const src = path.join(root, 'src')
  if (!existsSync(path.join(root, '.git')) || !existsSync(src)) return true
  return stamp.mtimeMs >= newestSource(src)
}

let mod
if (useDist()) {
  mod = await import('../dist/cli.js')
} else {
  const { register } = await import('tsx/esm/api')
  register()
  mod = await import('../src/cli.ts')
}
const code = await mod.main(process.argv.slice(2))
process.exit(code)
