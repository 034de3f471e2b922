// The bundled build (npm run build): src/cli.ts with esbuild into dist/cli.js plus lazy chunks (dist/chunks/), ESM
// with code splitting. Every `await import()` in src/ becomes a chunk loaded on first use, so client-node (and its
// dependencies), ws and the REPL/net/recipe code cost nothing until a command needs them. Bundled third-party code:
// yaml (needed at start for .recipes and kubeconfig; one chunk instead of ~70 CommonJS files), chalk, client-node, ws.
// Left in node_modules and loaded on first use: ssh2 (its native sshcrypto.node binding and an emscripten module
// that reads __dirname do not survive bundling), and zx and json-query (required synchronously through createRequire
// by the globals that use them). tsc type-checks (npm run typecheck); esbuild only strips types.
// The launcher trusts dist/ only when dist/.stamp exists, so the stamp is removed first and written last.
// Usage: node --import tsx scripts/build.ts [OUTDIR]   (default dist/)
import * as esbuild from 'esbuild'
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const root = path.resolve(import.meta.dirname, '..')

/** Packages not bundled: loaded from node_modules on first use (see the header for why). */
export const EXTERNAL = ['ssh2', 'zx', 'json-query']

/** Builds src/cli.ts into outdir (cli.js + chunks/); resolves to esbuild's metafile (inputs of every output). */
export async function build(outdir: string): Promise<esbuild.Metafile> {
  fs.rmSync(path.join(outdir, '.stamp'), { force: true })
  fs.rmSync(outdir, { recursive: true, force: true })
  const r = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { cli: 'src/cli.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunks/[name]-[hash]',
    external: EXTERNAL,
    metafile: true,
    logLevel: 'warning',
    // Bundled CommonJS (yaml, client-node's dependencies) calls require() for node built-ins and optional packages.
    banner: {
      js: "import { createRequire as __kinspectCreateRequire } from 'node:module'; const require = __kinspectCreateRequire(import.meta.url);",
    },
  })
  fs.writeFileSync(path.join(outdir, '.stamp'), `${new Date().toISOString()}\n`)
  return r.metafile
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await build(path.resolve(root, process.argv[2] ?? 'dist'))
}
