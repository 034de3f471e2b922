// Shell completion: the candidates `kinspect __complete` gives for a command line (pure, over given name lists),
// and the bash script run by bash itself with COMP_WORDS set (subcommands and recipe names need no cluster).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { main, type CliIO } from '../../src/cli.ts'
import { bashCompletion, completeWords, zshCompletion, type CompletionSources } from '../../src/cli/complete.ts'
import type { CommonFlags } from '../../src/cli/args.ts'

const root = path.resolve(import.meta.dirname, '../..')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-complete-'))
const env = {
  KUBECONFIG: '/nonexistent/kubeconfig',
  HOME: tmp,
  XDG_CONFIG_HOME: path.join(tmp, 'xdg'),
  NO_COLOR: '1',
  PATH: process.env.PATH,
}

/** Name lists as a cluster would give them; every call is recorded with the flags it got. */
function sources() {
  const calls: [string, CommonFlags][] = []
  const lists: Record<string, string[]> = {
    namespace: ['default', 'kube-system', 'shop'],
    context: ['lab', 'prod'],
    node: ['lab-1', 'lab-2', 'lab-3'],
    pod: ['web-1', 'web-2', 'client'],
    service: ['web', 'kube-dns'],
  }
  const src: CompletionSources = {
    recipes: async () => [
      {
        name: 'crashloop',
        params: [
          { name: 'pod', type: 'pod' },
          { name: 'app', type: 'string' },
          { name: 'tail', type: 'int' },
        ],
      },
      {
        name: 'node',
        params: [
          { name: 'node', type: 'node' },
          { name: 'ssh', type: 'bool' },
        ],
      },
      { name: 'broken', error: 'line 2: expected name' },
    ],
    names: async (kind, flags) => {
      calls.push([kind, flags])
      return lists[kind]
    },
  }
  return { src, calls }
}

test('subcommands, recipe names and flags need no cluster call', async () => {
  const { src, calls } = sources()
  assert.equal(await completeWords([''], src), ['run', 'recipes', 'triage', 'gc', 'fleet', 'completion'])
  assert.equal(await completeWords(['-n', 'shop', 'r'], src), ['run', 'recipes'])
  assert.equal(await completeWords(['run', ''], src), ['crashloop', 'node'])
  assert.equal(await completeWords(['run', '--teach', 'c'], src), ['crashloop'])
  assert.equal(await completeWords(['run', 'crashloop', '--t'], src), ['--tail', '--teach'])
  assert.equal(await completeWords(['run', 'crashloop', '--', '--'], src), ['--pod', '--app', '--tail'])
  assert.equal(await completeWords(['gc', '-'], src), [
    '--dry-run',
    '-n',
    '--namespace',
    '--context',
    '--kubeconfig',
    '-y',
    '--yes',
    '--help',
  ])
  assert.equal(await completeWords(['-'], src), [
    '-V',
    '--version',
    '-e',
    '--eval',
    '-n',
    '--namespace',
    '--context',
    '--kubeconfig',
    '-y',
    '--yes',
    '--help',
  ])
  assert.equal(await completeWords(['triage', '-o', ''], src), ['text', 'json'])
  assert.equal(await completeWords(['run', 'node', '--ssh', 'f'], src), ['false'])
  assert.equal(await completeWords(['completion', ''], src), ['bash', 'zsh'])
  assert.equal(calls, [])
})

test('files where a file goes: nothing, so the shell completes file names', async () => {
  const { src, calls } = sources()
  assert.equal(await completeWords(['--kubeconfig', ''], src), [])
  assert.equal(await completeWords(['notes.md', ''], src), [])
  assert.equal(await completeWords(['fleet', 'lab-1', '--', 'up'], src), [])
  assert.equal(await completeWords(['run', 'crashloop', '--app', ''], src), [])
  assert.equal(calls, [])
})

test('namespaces, contexts, nodes, pods: from the cluster, with the line own global flags', async () => {
  const { src, calls } = sources()
  assert.equal(await completeWords(['run', 'crashloop', '-n', 's'], src), ['shop'])
  assert.equal(await completeWords(['--context', ''], src), ['lab', 'prod'])
  assert.equal(await completeWords(['--context', 'lab', '-n', 'shop', 'run', 'crashloop', '--pod', 'web'], src), [
    'web-1',
    'web-2',
  ])
  assert.equal(await completeWords(['fleet', '--context=prod', 'lab-1', 'lab-'], src), ['lab-1', 'lab-2', 'lab-3'])
  assert.equal(await completeWords(['run', 'node', '--node', ''], src), ['lab-1', 'lab-2', 'lab-3'])
  // --flag=value, as bash splits it (three words) and as zsh keeps it (one)
  assert.equal(await completeWords(['--context', '=', 'p'], src), ['prod'])
  assert.equal(await completeWords(['--context=lab', 'run', 'crashloop', '--pod=c'], src), ['client'])
  assert.equal(await completeWords(['--context', '=', 'lab', 'gc', '-'], src), [
    '--dry-run',
    '-n',
    '--namespace',
    '--context',
    '--kubeconfig',
    '-y',
    '--yes',
    '--help',
  ])
  assert.equal(
    calls.map((c) => c[0]),
    ['namespace', 'context', 'pod', 'node', 'node', 'context', 'pod'],
  )
  assert.equal(calls[6][1], { context: 'lab', kubeconfig: undefined, namespace: undefined })
  assert.equal(calls[2][1], { context: 'lab', kubeconfig: undefined, namespace: 'shop' })
  assert.equal(calls[3][1], { context: 'prod', kubeconfig: undefined, namespace: undefined })
  // a cluster that cannot be reached gives no candidates, not an error
  const down: CompletionSources = { ...src, names: async () => Promise.reject(new Error('connection refused')) }
  assert.equal(await completeWords(['-n', ''], down), [])
})

test('main __complete: one candidate a line from the shipped recipes; nothing and exit 0 without a cluster', async () => {
  const run = async (words: string[]) => {
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    let o = ''
    let e = ''
    stdout.on('data', (d) => (o += d))
    stderr.on('data', (d) => (e += d))
    const t: CliIO = { stdin: new PassThrough(), stdout, stderr, env, cwd: tmp, prog: 'kinspect' }
    return { code: await main(['__complete', ...words], t), out: o, err: e }
  }
  assert.equal(await run(['run', 'c']), { code: 0, out: 'conntrack\ncrashloop\n', err: '' })
  assert.equal(await run(['run', 'dns', '--n']), { code: 0, out: '--name\n--namespace\n', err: '' })
  assert.equal(await run(['-n', '']), { code: 0, out: '', err: '' })
})

test('the bash script: valid bash; its function yields the candidates for COMP_WORDS', () => {
  const script = path.join(tmp, 'kinspect.bash')
  fs.writeFileSync(script, bashCompletion())
  const syntax = spawnSync('bash', ['-n', script], { encoding: 'utf8' })
  assert.is(syntax.status, 0, syntax.stderr)
  const bin = path.join(root, 'bin', 'kinspect.mjs')
  const cases = [
    ['r', 'run recipes'],
    ['run cr', 'crashloop'],
    ['-n shop run crashloop --t', '--tail --teach'],
    ['completion ', 'bash zsh'],
  ]
  const body = cases
    .map(
      ([line], i) =>
        `COMP_WORDS=("$BIN" ${line
          .split(' ')
          .map((w) => `'${w}'`)
          .join(
            ' ',
          )}); COMP_CWORD=${line.split(' ').length}; COMPREPLY=(); _kinspect_complete; echo "${i}:\${COMPREPLY[*]}"`,
    )
    .join('\n')
  const r = spawnSync('bash', ['-c', `source "${script}"\ncomplete -p kinspect\n${body}`], {
    env: { ...env, BIN: bin, KINSPECT_FROM_SOURCE: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  })
  assert.is(r.status, 0, r.stderr)
  const lines = r.stdout.trim().split('\n')
  assert.is(lines[0], 'complete -o default -F _kinspect_complete kinspect')
  assert.equal(
    lines.slice(1),
    cases.map(([, want], i) => `${i}:${want}`),
  )
})

test('the zsh script, run by zsh: valid; its function hands compadd the candidates, or falls back to files', () => {
  const script = path.join(tmp, '_kinspect')
  fs.writeFileSync(script, zshCompletion())
  assert.match(zshCompletion(), /^#compdef kinspect kubectl-inspect\n/)
  const syntax = spawnSync('zsh', ['-n', script], { encoding: 'utf8' })
  assert.is(syntax.status, 0, syntax.stderr)
  const bin = path.join(root, 'bin', 'kinspect.mjs')
  // Outside a completion widget compadd, compset, _files and compdef do not exist: stand-ins record what the
  // function asked for (compset -P strips as zsh does, so --flag=value is exercised too).
  const stubs = [
    'compdef() { print -r -- "compdef $*" }',
    'compadd() { [[ $1 == -a ]] && print -r -- "${(@P)2}" }',
    'compset() { [[ $1 == -P && $PREFIX == *=* ]] && PREFIX=${PREFIX#*=} }',
    '_files() { print -r -- FILES }',
  ]
  const cases = [
    ['r', 'run recipes'],
    ['run cr', 'crashloop'],
    ['-n shop run crashloop --t', '--tail --teach'],
    ['completion ', 'bash zsh'],
    ['run crashloop -o=j', 'json'],
    ['run crashloop --kubeconfig ', 'FILES'],
  ]
  const body = cases
    .map(([line], i) => {
      const w = line.split(' ')
      return `words=("$BIN" ${w.map((x) => `'${x}'`).join(' ')}); CURRENT=${w.length + 1}; PREFIX='${w.at(-1)}'; print -rn -- "${i}:"; _kinspect`
    })
    .join('\n')
  const r = spawnSync('zsh', ['-f', '-c', `${stubs.join('\n')}\nsource "${script}"\n${body}`], {
    env: { ...env, BIN: bin, KINSPECT_FROM_SOURCE: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  })
  assert.is(r.status, 0, r.stderr)
  const lines = r.stdout.trim().split('\n')
  assert.is(lines[0], 'compdef _kinspect kinspect kubectl-inspect')
  assert.equal(
    lines.slice(1),
    cases.map(([, want], i) => `${i}:${want}`),
  )
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
