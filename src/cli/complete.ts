// Shell completion: the bash and zsh scripts `kinspect completion bash|zsh` prints, and the candidates the hidden
// `kinspect __complete WORDS...` prints for them (as kubectl's `__complete`). Subcommands and flags need nothing;
// recipe names and parameters read the recipe folders; namespaces, nodes, pods and Services ask the cluster.
import type { RecipeInfo } from '../recipes/types.ts'
import { GLOBAL_FLAGS, SHELL_FLAGS, SUBCOMMAND_FLAGS, SUBCOMMANDS, scanArgs, type CommonFlags } from './args.ts'

/** What completion reads names from (the CLI gives the recipe folders and a session; tests their own lists). */
export interface CompletionSources {
  recipes(): Promise<RecipeInfo[]>
  /** Names from the cluster (contexts from the kubeconfig); flags are the command line's global flags. */
  names(kind: 'namespace' | 'context' | 'node' | 'pod' | 'service', flags: CommonFlags): Promise<string[]>
}

/** A recipe parameter type whose values are names of this kind. */
const PARAM_NAMES: Record<string, 'node' | 'pod' | 'service' | 'namespace'> = {
  node: 'node',
  pod: 'pod',
  service: 'service',
  namespace: 'namespace',
}

/**
 * The candidates for the last of `words` (the words after the program name; the last one is being typed, maybe
 * empty), filtered by its prefix. Empty: the shell completes file names.
 */
export async function completeWords(words: readonly string[], src: CompletionSources): Promise<string[]> {
  const line = joinEquals(words)
  let cur = line.at(-1) ?? ''
  const before = line.slice(0, -1)
  const eq = /^(--?[A-Za-z][\w.-]*)=(.*)$/s.exec(cur)
  if (eq) [before[before.length], cur] = [eq[1], eq[2]] // --flag=VAL: complete VAL as the flag's value
  const s = scanArgs(before, true)
  const flags: CommonFlags = { context: s.context, kubeconfig: s.kubeconfig, namespace: s.namespaces[0] }
  const match = (xs: readonly string[]) => [...new Set(xs)].filter((x) => x.startsWith(cur))
  const recipe = async () =>
    s.sub === 'run' && s.recipe !== undefined ? (await src.recipes()).find((r) => r.name === s.recipe) : undefined
  const names = async (kind: Parameters<CompletionSources['names']>[0]) =>
    match(await src.names(kind, flags).catch(() => []))
  if (s.pending) {
    const g = GLOBAL_FLAGS.find((f) => f.names.includes(s.pending!))
    if (g?.complete === 'namespace' || g?.complete === 'context') return names(g.complete)
    if (g) return []
    if (s.pending === '-o' || s.pending === '--output') return match(['text', 'json'])
    const param = (await recipe())?.params?.find((p) => `--${p.name}` === s.pending)
    if (param?.type === 'bool') return match(['true', 'false'])
    return param && PARAM_NAMES[param.type] ? names(PARAM_NAMES[param.type]) : []
  }
  if (s.dash !== undefined && s.sub !== 'run') return []
  if (cur.startsWith('-')) {
    const own = s.sub ? SUBCOMMAND_FLAGS[s.sub] : SHELL_FLAGS
    const params = ((await recipe())?.params ?? []).map((p) => `--${p.name}`)
    if (s.dash !== undefined) return match(params)
    return match([...params, ...own.switches, ...own.values, ...GLOBAL_FLAGS.flatMap((f) => f.names), '--help'])
  }
  if (!s.sub) return s.shell.some((w) => !w.startsWith('-')) ? [] : match(SUBCOMMANDS)
  if (s.sub === 'run' && s.recipe === undefined)
    return match((await src.recipes()).filter((r) => !r.error).map((r) => r.name))
  if (s.sub === 'completion' && s.rest.length === 0) return match(['bash', 'zsh'])
  if (s.sub === 'fleet' && s.dash === undefined) return names('node')
  return []
}

/** bash splits --flag=value into three words (COMP_WORDBREAKS has =): join them again. */
function joinEquals(words: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '=' && out.at(-1)?.startsWith('-')) {
      out[out.length - 1] += `=${words[i + 1] ?? ''}`
      i++
    } else out.push(words[i])
  }
  return out
}

/** The bash completion script: `source <(kinspect completion bash)`. */
export function bashCompletion(): string {
  return `# bash completion for kinspect (kinspect completion bash); candidates come from \`kinspect __complete WORDS...\`
_kinspect_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\\n'
  local out
  out=$("\${COMP_WORDS[0]}" __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
  COMPREPLY=($(compgen -W "$out" -- "$cur"))
}
complete -o default -F _kinspect_complete kinspect kubectl-inspect
`
}

/** The zsh completion script: `source <(kinspect completion zsh)` after compinit, or saved as _kinspect in $fpath. */
export function zshCompletion(): string {
  return `#compdef kinspect kubectl-inspect
# zsh completion for kinspect (kinspect completion zsh); candidates come from \`kinspect __complete WORDS...\`
_kinspect() {
  local -a cands
  [[ $PREFIX == -*=* ]] && compset -P '*='
  cands=(\${(f)"$(\${words[1]} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)"})
  cands=(\${cands:#})
  if (( \${#cands} )); then compadd -a cands; else _files; fi
}
if [[ "\${zsh_eval_context[-1]}" == loadautoload ]]; then _kinspect "$@"; else compdef _kinspect kinspect kubectl-inspect; fi
`
}
