// The bundled build (npm run build): src/cli.ts with esbuild into one CommonJS file, dist/cli.cjs, and a V8 code cache
// for it, dist/cli.cjs.cache, which bin/dist-loader.mjs hands to V8 so that a start neither parses nor compiles it.
// - One file: every `await import()` of kinspect's own code stays lazy (esbuild runs a module's body on its first
//   import), but there is nothing to resolve and link per module; ESM chunks cost about 0.3 ms each at start, and Node
//   20 keeps no code cache for ES modules. Bundled with it: yaml (needed at start) and chalk.
// - client-node and ws are bundles of their own, dist/vendor/*.cjs (ws once, shared by client-node and kube/exec.ts),
//   required on first use: a start that never calls the API never reads them.
// - Left in node_modules and loaded on first use: ssh2 (its native sshcrypto.node binding and an emscripten module
//   that reads __dirname do not survive bundling), and zx and json-query (required synchronously by the globals).
// - import.meta.url in a source file becomes that file's own URL under the package (src/recipes/loader.ts finds
//   recipes/ from there), as when the sources run.
// - The code caches are made by running `-e 1`, then an API call to a loopback port nothing listens on, from the new
//   bundle in a throw-away environment: what they compile (the start path; client-node's and ws's loading) is in the
//   caches of cli.cjs and the vendor bundles. V8 refuses a cache made by another V8 or with other flags, and the
//   loader then compiles as usual.
// tsc type-checks (npm run typecheck); esbuild only strips types. The launcher trusts dist/ only when dist/.stamp
// exists, so the stamp is removed first and written last.
// Usage: node --import tsx scripts/build.ts [OUTDIR]   (default dist/)
import * as esbuild from 'esbuild'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const root = path.resolve(import.meta.dirname, '..')

/** Packages not bundled: loaded from node_modules on first use (see the header for why). */
export const EXTERNAL = ['ssh2', 'zx', 'json-query']
/** Packages bundled on their own into dist/vendor/NAME.cjs. */
export const VENDOR = { '@kubernetes/client-node': 'client-node', ws: 'ws' } as const

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  metafile: true,
  logLevel: 'warning',
} as const

/** Imports of a vendor package (other than from inside it) become a require of its bundle: `prefix` + NAME.cjs. */
function vendorPlugin(prefix: string, self?: string): esbuild.Plugin {
  return {
    name: 'kinspect-vendor',
    setup(b) {
      for (const [pkg, file] of Object.entries(VENDOR)) {
        if (pkg === self) continue
        const filter = new RegExp(`^${pkg.replace(/[/.]/g, '\\$&')}$`)
        b.onResolve({ filter }, () => ({ path: `${prefix}${file}.cjs`, external: true }))
      }
    },
  }
}

/**
 * `await import('ssh2')` (and client-node, ws) in src/ becomes a require() on first use, through a bundled one-line
 * module: the bundle runs from a V8 code cache, and Node 20 loses a cached script's import() callback, so dist/cli.cjs
 * may hold no import() that runs (test/cli/build.test.ts checks). The one import() left, of a user's script file
 * (`kinspect FILE.mjs`), goes through bin/dist-loader.mjs (see src/cli/run.ts).
 */
const requireShimPlugin: esbuild.Plugin = {
  name: 'kinspect-require-shim',
  setup(b) {
    const targets: Record<string, string> = Object.fromEntries([
      ...EXTERNAL.map((p) => [p, p]),
      ...Object.entries(VENDOR).map(([p, f]) => [p, `./vendor/${f}.cjs`]),
    ])
    b.onResolve({ filter: /.*/ }, (args) =>
      args.kind === 'dynamic-import' && args.path in targets
        ? { path: args.path, namespace: 'kinspect-shim' }
        : undefined,
    )
    // A vendor bundle through bin/dist-loader.mjs (which runs it from its code cache), else a plain require.
    const vendor = new Map<string, string>(Object.entries(VENDOR))
    b.onLoad({ filter: /.*/, namespace: 'kinspect-shim' }, (args) => ({
      contents: vendor.has(args.path)
        ? `module.exports = globalThis[Symbol.for('kinspect.loadVendor')]?.(${JSON.stringify(vendor.get(args.path))}) ?? require(${JSON.stringify(targets[args.path])})`
        : `module.exports = require(${JSON.stringify(targets[args.path])})`,
      resolveDir: root,
      loader: 'js',
    }))
    b.onResolve({ filter: /^\.\/vendor\// }, (args) => ({ path: args.path, external: true }))
  },
}

/** import.meta.url in src/ becomes the source file's URL under the package root (computed at run time). */
const metaUrlPlugin: esbuild.Plugin = {
  name: 'kinspect-meta-url',
  setup(b) {
    const src = path.join(root, 'src') + path.sep
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(src)) return undefined
      const text = await fs.promises.readFile(args.path, 'utf8')
      if (!text.includes('import.meta.url')) return undefined
      const rel = path.relative(root, args.path).split(path.sep).join('/')
      return { contents: text.replaceAll('import.meta.url', `__kinspectUrl(${JSON.stringify(rel)})`), loader: 'ts' }
    })
  },
}

/** Builds into outdir (cli.cjs, its code cache, vendor/); resolves to esbuild's metafile of all three bundles. */
export async function build(outdir: string): Promise<esbuild.Metafile> {
  fs.rmSync(path.join(outdir, '.stamp'), { force: true })
  fs.rmSync(outdir, { recursive: true, force: true })
  const results = await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: { cli: 'src/cli.ts' },
      outdir,
      outExtension: { '.js': '.cjs' },
      external: EXTERNAL,
      plugins: [requireShimPlugin, vendorPlugin('./vendor/'), metaUrlPlugin],
      // The package root is dist/.. (bin/dist-loader.mjs runs this file as dist/cli.cjs).
      banner: {
        js: "const __kinspectUrl = (rel) => require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', rel)).href;",
      },
    }),
    ...Object.entries(VENDOR).map(([pkg, file]) =>
      esbuild.build({
        ...common,
        stdin: { contents: `module.exports = require(${JSON.stringify(pkg)})`, resolveDir: root, loader: 'js' },
        outfile: path.join(outdir, 'vendor', `${file}.cjs`),
        plugins: [vendorPlugin('./', pkg)],
        // client-node's tr46 requires node's own punycode, deprecated since Node 21: outside node_modules (in dist/)
        // that prints a DeprecationWarning at the first API call. The npm package is the same code.
        alias: { punycode: 'punycode/' },
      }),
    ),
  ])
  makeCodeCache(outdir)
  fs.writeFileSync(path.join(outdir, '.stamp'), `${new Date().toISOString()}\n`)
  const meta: esbuild.Metafile = { inputs: {}, outputs: {} }
  for (const r of results) {
    Object.assign(meta.inputs, r.metafile.inputs)
    Object.assign(meta.outputs, r.metafile.outputs)
  }
  return meta
}

/** Runs `-e 1` from the new bundle in a throw-away environment and writes the code cache of what it compiled. */
function makeCodeCache(outdir: string): void {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-build-cache-'))
  try {
    const loader = pathToFileURL(path.join(root, 'bin', 'dist-loader.mjs')).href
    // A cluster at a loopback port nothing listens on: the API call loads client-node and fails at once.
    const kubeconfig = path.join(tmp, 'kubeconfig')
    fs.writeFileSync(
      kubeconfig,
      "apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters:\n- name: x\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: x\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: x, user: x, namespace: default}\n",
    )
    const script = `const { loadDist } = await import(${JSON.stringify(loader)})
const d = loadDist(${JSON.stringify(path.resolve(outdir))})
const one = await d.exports.main(['-e', '1'])
const api = await d.exports.main(['-e', 'await pods().then(() => 1, (e) => e.kind)'])
if (one !== 0 || api !== 0) throw new Error('kinspect -e exited ' + one + ', ' + api)
d.writeCache()
process.exit(0)`
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: tmp,
      env: { PATH: process.env.PATH, HOME: tmp, KUBECONFIG: kubeconfig, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    })
    if (r.status !== 0 || r.stdout !== "1\n'connection'\n")
      throw new Error(`build: the code cache run failed (exit ${r.status}): ${r.stderr || r.stdout}`)
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await build(path.resolve(root, process.argv[2] ?? 'dist'))
}
