// The bundled build (scripts/build.ts), made fresh from the current sources into a throw-away folder beside dist/:
// it runs (-e 1, --version, a shipped recipe's --help), client-node and ws are lazy chunks of their own and ssh2, zx and
// json-query stay out of the bundle, and `-e 1` loads none of them nor the kube/exec code (a load hook lists the files).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Metafile } from 'esbuild'
import { build } from '../../scripts/build.ts'

const root = path.resolve(import.meta.dirname, '../..')
// Beside dist/ (one level under the package root), as dist/ is: the bundle finds package.json and recipes/ from there.
const out = fs.mkdtempSync(path.join(root, '.build-test-'))
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-build-'))
let meta: Metafile

const pkgOf = (input: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1]
const rel = (f: string) => path.relative(out, path.resolve(root, f))

/** Output files (relative to out) whose inputs include the package. */
const outputsWith = (pkg: string) =>
  Object.entries(meta.outputs)
    .filter(([, o]) => Object.keys(o.inputs).some((i) => pkgOf(i) === pkg))
    .map(([f]) => rel(f))

/** cli.js and every output it imports statically, transitively: what any start loads. */
function staticClosure(): Set<string> {
  const seen = new Set<string>()
  const visit = (f: string) => {
    if (seen.has(f)) return
    seen.add(f)
    for (const i of meta.outputs[f]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path)
  }
  visit(Object.keys(meta.outputs).find((f) => rel(f) === 'cli.js')!)
  return new Set([...seen].map(rel))
}

/** Runs the built CLI's main(args) with a load hook; its stdout, exit code and every file it loaded. */
function runBuilt(args: string[]): { stdout: string; stderr: string; status: number | null; loaded: string[] } {
  const list = path.join(tmp, `loaded-${Math.random().toString(36).slice(2)}.txt`)
  const hook = `import fs from 'node:fs'; export async function load(u, c, n) { fs.appendFileSync(${JSON.stringify(list)}, u + '\\n'); return n(u, c) }`
  // ESM through the hook; CommonJS (zx and json-query are require()d) from require.cache when the process exits.
  const preload = path.join(tmp, 'preload.cjs')
  fs.writeFileSync(
    preload,
    `require('node:module').register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}))
process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(list)}, Object.keys(require.cache).join('\\n') + '\\n'))\n`,
  )
  const main = `const m = await import(${JSON.stringify(pathToFileURL(path.join(out, 'cli.js')).href)}); process.exit(await m.main(${JSON.stringify(args)}))`
  const r = spawnSync(process.execPath, ['--require', preload, '--input-type=module', '-e', main], {
    cwd: tmp,
    env: { PATH: process.env.PATH, HOME: tmp, KUBECONFIG: path.join(tmp, 'none'), NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  })
  const loaded = fs.existsSync(list) ? fs.readFileSync(list, 'utf8').split('\n').filter(Boolean) : []
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, loaded }
}

/** The loaded files that belong to the package (node_modules) or to the named output chunks. */
const loadedOf = (loaded: string[], pkgs: string[], chunks: string[]) =>
  loaded.filter((u) => {
    const f = u.startsWith('file:') ? new URL(u).pathname : u
    return pkgs.includes(pkgOf(f) ?? '') || chunks.some((c) => f === path.join(out, c))
  })

test.before(async () => {
  meta = await build(out)
})

test('the build stamps dist last, and its CLI runs: -e 1, --version, a shipped recipe’s --help', () => {
  assert.ok(fs.existsSync(path.join(out, '.stamp')))
  const one = runBuilt(['-e', '1'])
  assert.equal([one.status, one.stdout], [0, '1\n'], one.stderr)
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version
  assert.is(runBuilt(['--version']).stdout, `kinspect ${version}\n`)
  const help = runBuilt(['run', 'crashloop', '--help'])
  assert.is(help.status, 0, help.stderr)
  assert.match(help.stdout, 'crashloop')
})

test('client-node and ws are chunks of their own, loaded only on demand; ssh2, zx and json-query are not bundled', () => {
  const start = staticClosure()
  for (const pkg of ['@kubernetes/client-node', 'ws']) {
    const outs = outputsWith(pkg)
    assert.ok(outs.length > 0, `${pkg} is bundled`)
    for (const f of outs) {
      assert.not.ok(start.has(f), `${pkg} (${f}) is loaded at every start`)
      const others = Object.keys(meta.outputs[path.relative(root, path.join(out, f))]?.inputs ?? {})
      assert.ok(
        others.every((i) => pkgOf(i)),
        `${f} holds kinspect code besides ${pkg}`,
      )
    }
  }
  for (const pkg of ['ssh2', 'zx', 'json-query']) assert.equal(outputsWith(pkg), [], `${pkg} is bundled`)
  // ssh2 is imported (from node_modules) only by a chunk outside the start path
  const ssh2Importers = Object.entries(meta.outputs)
    .filter(([, o]) => o.imports.some((i) => i.path === 'ssh2'))
    .map(([f]) => rel(f))
  assert.ok(ssh2Importers.length > 0)
  for (const f of ssh2Importers) assert.not.ok(start.has(f), `ssh2 is imported at every start by ${f}`)
})

test('kinspect -e 1 loads neither client-node, ws, ssh2, zx, json-query nor the kube client and transports', () => {
  const heavy = ['src/kube/client.ts', 'src/kube/transport.ts', 'src/exec/ssh/pool.ts', 'src/exec/nodepod/manager.ts']
  const heavyChunks = Object.entries(meta.outputs)
    .filter(([, o]) => heavy.some((h) => h in o.inputs))
    .map(([f]) => rel(f))
  assert.is(heavyChunks.length > 0, true)
  const chunks = [...heavyChunks, ...outputsWith('@kubernetes/client-node'), ...outputsWith('ws')]
  const pkgs = ['@kubernetes/client-node', 'ws', 'ssh2', 'zx', 'json-query']
  const one = runBuilt(['-e', '1'])
  assert.is(one.stdout, '1\n', one.stderr)
  assert.ok(
    one.loaded.some((u) => u.endsWith('/cli.js')),
    'the hook saw the CLI load',
  )
  assert.equal(loadedOf(one.loaded, pkgs, chunks), [])
  // The same hook sees them when input needs them: node() loads the transports, $ loads zx.
  const uses = runBuilt(['-e', "typeof node('local').$ + typeof $"])
  assert.is(uses.stdout, "'functionfunction'\n", uses.stderr)
  const seen = loadedOf(uses.loaded, pkgs, chunks).map((u) => pkgOf(u) ?? 'chunk')
  assert.ok(seen.includes('zx') && seen.includes('chunk'), seen.join(' '))
})

test.after(() => {
  fs.rmSync(out, { recursive: true, force: true })
  fs.rmSync(tmp, { recursive: true, force: true })
})
test.run()
