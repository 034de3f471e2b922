// bin/kinspect.mjs chooses between the built dist/ and the sources (through tsx) from where it lives, never by
// comparing files: proven on a throw-away package whose dist/cli.cjs and src/cli.ts say which one ran.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '../..')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-launcher-'))

/** A package with the real launcher, a dist/ and a src/ that print their name; `stamp`/`git` as asked. */
function pkg(name: string, o: { stamp?: boolean; git?: boolean; srcNewer?: boolean }): string {
  const dir = path.join(tmp, name)
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true })
  fs.mkdirSync(path.join(dir, 'dist'))
  fs.mkdirSync(path.join(dir, 'src', 'deep'), { recursive: true })
  for (const f of ['kinspect.mjs', 'dist-loader.mjs'])
    fs.copyFileSync(path.join(root, 'bin', f), path.join(dir, 'bin', f))
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'))
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n')
  fs.writeFileSync(path.join(dir, 'dist', 'cli.cjs'), 'exports.main = async () => { console.log("dist"); return 0 }\n')
  fs.writeFileSync(
    path.join(dir, 'src', 'cli.ts'),
    'export async function main(): Promise<number> { console.log("src"); return 0 }\n',
  )
  fs.writeFileSync(path.join(dir, 'src', 'deep', 'x.ts'), 'export {}\n')
  const old = new Date(Date.now() - 60_000)
  for (const f of ['src/cli.ts', 'src/deep/x.ts']) fs.utimesSync(path.join(dir, f), old, old)
  if (o.stamp) fs.writeFileSync(path.join(dir, 'dist', '.stamp'), 'built\n')
  if (o.git) fs.writeFileSync(path.join(dir, '.git'), 'gitdir: /nowhere\n')
  if (o.srcNewer)
    fs.utimesSync(path.join(dir, 'src', 'deep', 'x.ts'), new Date(Date.now() + 60_000), new Date(Date.now() + 60_000))
  return dir
}

const ran = (dir: string, env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [path.join(dir, 'bin', 'kinspect.mjs')], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  assert.is(r.status, 0, r.stderr)
  return r.stdout.trim()
}

test('installed (no .git): dist/ when the build finished (its stamp), else the sources', () => {
  assert.is(ran(pkg('installed', { stamp: true, srcNewer: true })), 'dist')
  assert.is(ran(pkg('unfinished', { stamp: false })), 'src')
})

test('a git checkout runs the sources even beside a finished build (a stale dist/ never stands in for them)', () => {
  assert.is(ran(pkg('fresh', { stamp: true, git: true })), 'src')
  assert.is(ran(pkg('edited', { stamp: true, git: true, srcNewer: true })), 'src')
})

test('KINSPECT_FROM_SOURCE=1 forces the sources, =0 the build', () => {
  const dir = pkg('forced', { stamp: true, git: true })
  assert.is(ran(dir, { KINSPECT_FROM_SOURCE: '1' }), 'src')
  assert.is(ran(pkg('forced0', { stamp: false, git: true, srcNewer: true }), { KINSPECT_FROM_SOURCE: '0' }), 'dist')
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
