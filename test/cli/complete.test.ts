// Shell completion: the candidates `kinspect __complete` gives for a command line (pure, over given name lists),
// and the bash script run by bash itself with COMP_WORDS set (subcommands and recipe names need no cluster).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { main } from '../../src/cli.ts'
import { bashCompletion, completeWords, zshCompletion, type CompletionSources } from '../../src/cli/complete.ts'
import type { CommonFlags } from '../../src/cli/args.ts'
import { cliSandbox } from './sandbox.ts'

const root = path.resolve(import.meta.dirname, '../..')
const { tmp, env, io, cleanup } = cliSandbox('kinspect-complete-')

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
    const t = io()
    return { code: await main(['__complete', ...words], t), out: t.out(), err: t.err() }
  }
  assert.equal(await run(['run', 'c']), { code: 0, out: 'conntrack\ncrashloop\n', err: '' })
  assert.equal(await run(['run', 'dns', '--n']), { code: 0, out: '--name\n--namespace\n', err: '' })
  assert.equal(await run(['-n', '']), { code: 0, out: '', err: '' })
})

/** Command lines (words after the program; the last one being typed) and the candidates the script must offer. */
const SCRIPT_CASES = [
  ['r', 'run recipes'],
  ['run cr', 'crashloop'],
  ['-n shop run crashloop --t', '--tail --teach'],
  ['completion ', 'bash zsh'],
  ['run crashloop -o=j', 'json'],
]

/**
 * Checks the completion script with its own shell (syntax, then each case through its function): sourcing it
 * (between `prelude` and `after`) must print `registered` first; `invoke(words, i)` prints "i:" and the candidates.
 */
function checkScript(o: {
  shell: string[]
  file: string
  script: string
  registered: string
  prelude?: string
  after?: string
  cases: string[][]
  invoke: (words: string[], i: number) => string
}): void {
  const file = path.join(tmp, o.file)
  fs.writeFileSync(file, o.script)
  const syntax = spawnSync(o.shell[0], ['-n', file], { encoding: 'utf8' })
  assert.is(syntax.status, 0, syntax.stderr)
  const body = o.cases.map(([line], i) => o.invoke(line.split(' '), i)).join('\n')
  const r = spawnSync(
    o.shell[0],
    [...o.shell.slice(1), '-c', `${o.prelude ?? ''}\nsource "${file}"\n${o.after ?? ''}\n${body}`],
    {
      env: { ...env, BIN: path.join(root, 'bin', 'kinspect.mjs'), KINSPECT_FROM_SOURCE: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    },
  )
  assert.is(r.status, 0, r.stderr)
  const lines = r.stdout.trim().split('\n')
  assert.is(lines[0], o.registered)
  assert.equal(
    lines.slice(1),
    o.cases.map(([, want], i) => `${i}:${want}`),
  )
}

const quoted = (words: string[]) => words.map((w) => `'${w}'`).join(' ')

test('the bash script: valid bash; its function yields the candidates for COMP_WORDS', () => {
  checkScript({
    shell: ['bash'],
    file: 'kinspect.bash',
    script: bashCompletion(),
    registered: 'complete -o default -F _kinspect_complete kinspect',
    after: 'complete -p kinspect',
    // bash splits --flag=value at "=" (COMP_WORDBREAKS)
    cases: SCRIPT_CASES.map(([l, w]) => [l.replace('=', ' = '), w]),
    invoke: (w, i) =>
      `COMP_WORDS=("$BIN" ${quoted(w)}); COMP_CWORD=${w.length}; COMPREPLY=(); _kinspect_complete; echo "${i}:\${COMPREPLY[*]}"`,
  })
})
test('the zsh script, run by zsh: valid; its function hands compadd the candidates, or falls back to files', () => {
  assert.match(zshCompletion(), /^#compdef kinspect kubectl-inspect\n/)
  checkScript({
    shell: ['zsh', '-f'],
    file: '_kinspect',
    script: zshCompletion(),
    registered: 'compdef _kinspect kinspect kubectl-inspect',
    // Outside a completion widget compadd, compset, _files and compdef do not exist: stand-ins record what the
    // function asked for (compset -P strips as zsh does, so --flag=value is exercised too).
    prelude: [
      'compdef() { print -r -- "compdef $*" }',
      'compadd() { [[ $1 == -a ]] && print -r -- "${(@P)2}" }',
      'compset() { [[ $1 == -P && $PREFIX == *=* ]] && PREFIX=${PREFIX#*=} }',
      '_files() { print -r -- FILES }',
    ].join('\n'),
    cases: [...SCRIPT_CASES, ['run crashloop --kubeconfig ', 'FILES']],
    invoke: (w, i) =>
      `words=("$BIN" ${quoted(w)}); CURRENT=${w.length + 1}; PREFIX='${w.at(-1)}'; print -rn -- "${i}:"; _kinspect`,
  })
})

test.after(cleanup)
test.run()
