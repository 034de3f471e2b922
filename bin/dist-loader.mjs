// Runs the bundled dist/cli.cjs with its V8 code cache (dist/cli.cjs.cache, written by scripts/build.ts): V8 then
// neither parses nor compiles what the cache holds, which is most of a start's work after node's own. The vendor
// bundles (dist/vendor/*.cjs: client-node, ws) are loaded the same way on first use, each with its own cache.
// A file runs as Node's CommonJS loader runs it (the same wrapper and arguments, and it is entered in require.cache),
// but through vm.Script, because only it takes a cache. Without a cache, or when V8 refuses it (another node version,
// other V8 flags, a damaged file), the file is compiled as usual. A node without
// vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER (before 20.12) could not import() from such a script, so there the
// files are require()d.
import fs from 'node:fs'
import { Module, createRequire } from 'node:module'
import path from 'node:path'
import vm from 'node:vm'

const IMPORT_URL = Symbol.for('kinspect.importUrl')
const LOAD_VENDOR = Symbol.for('kinspect.loadVendor')

/** Runs one CommonJS file from its code cache (FILE.cache) when there is one; enters it in require.cache. */
function runCached(file, dynamicImport) {
  let cachedData
  try {
    cachedData = fs.readFileSync(`${file}.cache`)
  } catch {
    // no cache: compile
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), {
    filename: file,
    cachedData,
    importModuleDynamically: dynamicImport,
  })
  const module = new Module(file)
  module.filename = file
  const require = createRequire(file)
  require.cache[file] = module
  script.runInThisContext()(module.exports, require, module, file, path.dirname(file))
  module.loaded = true
  return {
    file,
    exports: module.exports,
    cacheRejected: cachedData ? script.cachedDataRejected === true : undefined,
    writeCache: () => fs.writeFileSync(`${file}.cache`, script.createCachedData()),
  }
}

/**
 * Loads DIR/cli.cjs. `exports` is its module.exports; `caches()` tells, for every file run so far, whether V8 refused
 * its cache (undefined: there was none); `writeCache()` writes the cache of everything compiled so far, of cli.cjs and
 * of each vendor bundle loaded (the build calls it after a run).
 */
export function loadDist(dir) {
  const file = path.join(dir, 'cli.cjs')
  const require = createRequire(file)
  const dynamicImport = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER
  if (dynamicImport === undefined) return { exports: require(file), caches: () => ({}), writeCache: () => {} }
  // import() in a script compiled from a cache fails on Node 20 ("Invalid host defined options"): the bundle has none
  // but this one, for `kinspect FILE.mjs` (src/cli.ts), and require()s its vendor bundles through LOAD_VENDOR.
  globalThis[IMPORT_URL] ??= (url) => import(url)
  const runs = []
  globalThis[LOAD_VENDOR] ??= (name) => {
    const f = path.join(dir, 'vendor', `${name}.cjs`)
    if (require.cache[f]) return require.cache[f].exports // already required (client-node requires ws)
    const r = runCached(f, dynamicImport)
    runs.push(r)
    return r.exports
  }
  const main = runCached(file, dynamicImport)
  runs.push(main)
  return {
    exports: main.exports,
    /** Each file run so far (relative to dir): whether V8 refused its cache (undefined: there was none). */
    caches: () => Object.fromEntries(runs.map((r) => [path.relative(dir, r.file), r.cacheRejected])),
    writeCache: () => runs.forEach((r) => r.writeCache()),
  }
}
