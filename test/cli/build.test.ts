// The bundled build (scripts/build.ts), made fresh from the current sources into a throw-away folder beside dist/:
// it runs from its code cache (-e 1, --version, a shipped recipe's --help, a user's script file), client-node and ws
// are bundles of their own and ssh2, zx and json-query stay out of it, `-e 1` reads none of them, and the bundle holds
// no import() that could run (Node 20 loses a cached script's import() callback).
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

interface BuiltRun {
  stdout: string
  stderr: string
  status: number | null
  /** Every file require()d or imported (CommonJS from require.cache at exit, ES modules through a load hook). */
  loaded: string[]
  /** What bin/dist-loader.mjs said of each file's code cache: false when V8 took it, absent when not run. */
  caches: Record<string, boolean | undefined>
}

/** Runs the built CLI's main(args) through bin/dist-loader.mjs, as the launcher does. */
function runBuilt(args: string[], env: Record<string, string> = {}): BuiltRun {
  const id = Math.random().toString(36).slice(2)
  const list = path.join(tmp, `loaded-${id}.txt`)
  const cache = path.join(tmp, `cache-${id}.txt`)
  const hook = `import fs from 'node:fs'; export async function load(u, c, n) { fs.appendFileSync(${JSON.stringify(list)}, u + '\\n'); return n(u, c) }`
  const preload = path.join(tmp, 'preload.cjs')
  fs.writeFileSync(
    preload,
    `require('node:module').register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}))
process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(list)}, Object.keys(require.cache).join('\\n') + '\\n'))\n`,
  )
  const loader = pathToFileURL(path.join(root, 'bin', 'dist-loader.mjs')).href
  const main = `const { loadDist } = await import(${JSON.stringify(loader)})
const { writeFileSync } = await import('node:fs')
const d = loadDist(${JSON.stringify(out)})
const code = await d.exports.main(${JSON.stringify(args)})
writeFileSync(${JSON.stringify(cache)}, JSON.stringify(d.caches()))
process.exit(code)`
  const r = spawnSync(process.execPath, ['--require', preload, '--input-type=module', '-e', main], {
    cwd: tmp,
    env: { PATH: process.env.PATH, HOME: tmp, KUBECONFIG: path.join(tmp, 'none'), NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  const loaded = fs.existsSync(list) ? fs.readFileSync(list, 'utf8').split('\n').filter(Boolean) : []
  const caches = fs.existsSync(cache) ? JSON.parse(fs.readFileSync(cache, 'utf8')) : {}
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, loaded, caches }
}

/** The loaded files that belong to one of the packages (node_modules) or are one of out's files. */
const loadedOf = (loaded: string[], pkgs: string[], files: string[]) =>
  loaded.filter((u) => {
    const f = u.startsWith('file:') ? new URL(u).pathname : u
    return pkgs.includes(pkgOf(f) ?? '') || files.some((c) => f === path.join(out, c))
  })

test.before(async () => {
  meta = await build(out)
})

test('the build stamps dist last; its CLI runs from the code cache: -e 1, --version, a recipe’s --help, a script', () => {
  assert.ok(fs.existsSync(path.join(out, '.stamp')))
  assert.ok(fs.statSync(path.join(out, 'cli.cjs.cache')).size > 100_000, 'the code cache holds the start path')
  const one = runBuilt(['-e', '1'])
  assert.equal([one.status, one.stdout], [0, '1\n'], one.stderr)
  assert.equal(one.caches, { 'cli.cjs': false }, 'V8 took the code cache')
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version
  assert.is(runBuilt(['--version']).stdout, `kinspect ${version}\n`)
  const help = runBuilt(['run', 'crashloop', '--help'])
  assert.is(help.status, 0, help.stderr)
  assert.match(help.stdout, 'crashloop')
  // `kinspect FILE.mjs` is the one import() the bundle makes, through the loader
  const script = path.join(tmp, 'script.mjs')
  fs.writeFileSync(script, "import os from 'node:os'\nconsole.log('script', typeof os.cpus, typeof q)\n")
  const ran = runBuilt([script])
  assert.equal([ran.status, ran.stdout], [0, 'script function function\n'], ran.stderr)
})

test('a cache V8 refuses (another node, other flags, a damaged file) is only slower: the CLI compiles and runs', () => {
  const good = fs.readFileSync(path.join(out, 'cli.cjs.cache'))
  try {
    fs.writeFileSync(path.join(out, 'cli.cjs.cache'), Buffer.from('not a V8 code cache'))
    const one = runBuilt(['-e', '1'])
    assert.equal([one.status, one.stdout, one.caches], [0, '1\n', { 'cli.cjs': true }], one.stderr)
  } finally {
    fs.writeFileSync(path.join(out, 'cli.cjs.cache'), good)
  }
})

test('client-node and ws are bundles of their own (ws once); ssh2, zx and json-query are not bundled', () => {
  assert.equal(outputsWith('@kubernetes/client-node'), ['vendor/client-node.cjs'])
  assert.equal(outputsWith('ws'), ['vendor/ws.cjs'])
  for (const f of ['vendor/client-node.cjs', 'vendor/ws.cjs']) {
    const inputs = Object.keys(meta.outputs[path.relative(root, path.join(out, f))].inputs)
    assert.ok(
      inputs.every((i) => pkgOf(i) || i.startsWith('<stdin>')),
      `${f} holds kinspect code`,
    )
  }
  for (const pkg of ['ssh2', 'zx', 'json-query']) assert.equal(outputsWith(pkg), [], `${pkg} is bundled`)
  // node's own punycode warns (Node 21+) when required from outside node_modules: the npm package is bundled instead
  assert.equal(outputsWith('punycode'), ['vendor/client-node.cjs'])
  for (const f of ['cli.cjs', 'vendor/client-node.cjs', 'vendor/ws.cjs'])
    assert.not.match(fs.readFileSync(path.join(out, f), 'utf8'), /require\(["']punycode["']\)/, f)
  assert.equal(Object.keys(meta.outputs).map(rel).sort(), ['cli.cjs', 'vendor/client-node.cjs', 'vendor/ws.cjs'])
})

test('the bundle holds no import() but the loader’s, for a script file (a cached script loses its import() callback)', () => {
  const text = fs.readFileSync(path.join(out, 'cli.cjs'), 'utf8')
  const calls = [...text.matchAll(/(?<![\w$.`])import\(/g)].map((m) => text.slice(m.index - 60, m.index + 20))
  assert.is(calls.length, 1, calls.join('\n---\n'))
  assert.match(calls[0], 'kinspect.importUrl')
})

test('kinspect -e 1 reads neither client-node, ws, ssh2, zx nor json-query; input that needs them does', () => {
  const vendor = ['vendor/client-node.cjs', 'vendor/ws.cjs']
  const pkgs = ['@kubernetes/client-node', 'ws', 'ssh2', 'zx', 'json-query']
  const one = runBuilt(['-e', '1'])
  assert.is(one.stdout, '1\n', one.stderr)
  assert.ok(
    one.loaded.some((u) => u.endsWith('/dist-loader.mjs')),
    'the hook saw the loader load',
  )
  assert.equal(loadedOf(one.loaded, pkgs, vendor), [])
  // node() reads ssh2 only when it connects; $ loads zx
  const uses = runBuilt(['-e', "typeof node('local').$ + typeof $"])
  assert.is(uses.stdout, "'functionfunction'\n", uses.stderr)
  const seen = loadedOf(uses.loaded, pkgs, vendor).map((u) => pkgOf(u) ?? u)
  assert.ok(seen.includes('zx'), seen.join(' '))
  // a cluster nothing answers for: the API is asked, so client-node is read, and the call fails to connect
  const kubeconfig = path.join(tmp, 'kubeconfig')
  fs.writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters:\n- name: x\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: x\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: x, user: x, namespace: shop}\n`,
  )
  const api = runBuilt(['-e', 'await pods().catch((e) => e.kind)'], { KUBECONFIG: kubeconfig })
  assert.is(api.stdout, "'connection'\n", api.stderr)
  assert.equal(api.caches, { 'cli.cjs': false, 'vendor/client-node.cjs': false }, 'client-node ran from its cache')
  assert.equal(
    loadedOf(api.loaded, [], vendor)
      .map((u) => path.relative(out, u))
      .sort(),
    ['vendor/client-node.cjs', 'vendor/ws.cjs'], // client-node requires ws
  )
})

test.after(() => {
  fs.rmSync(out, { recursive: true, force: true })
  fs.rmSync(tmp, { recursive: true, force: true })
})
test.run()
