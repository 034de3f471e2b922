// The usage texts of kinspect and of each subcommand (`kinspect SUB --help`), and a recipe's own help
// (`kinspect run NAME --help`, from its front matter). Pure.
import { fleetUsage } from '../fleet/args.ts'
import type { RecipeInfo } from '../recipes/types.ts'
import type { Subcommand } from './args.ts'

const GLOBALS = `Global flags, accepted anywhere before -- (before or after the subcommand, among recipe parameters):
  -n, --namespace NS  namespace (default: the config's, then the context's, then "default")
  --context C         kubeconfig context (default: the config's, then the kubeconfig's current-context)
  --kubeconfig F      use this kubeconfig file alone (default: $KUBECONFIG, then ~/.kube/config)
  -y, --yes           allow node pods (privileged pods that reach a node without SSH) for this run without
                      asking; with run, also apply the recipe's changes
  -h, --help          this help; after a subcommand, that subcommand's
--flag=value works as well as --flag value. -- ends option parsing. -o json may also stand before run, triage or fleet.`

/** The usage text; `prog` is "kinspect" or "kubectl inspect". */
export function usage(prog = 'kinspect'): string {
  return `Usage:
  ${prog} [--context C] [-n|--namespace NS] [--kubeconfig F] [-y] [-e EXPR] [FILE.mjs|FILE.md]
  ${prog} run NAME [--param value]... [-- --param value...]
  ${prog} recipes
  ${prog} triage [-n NS[,NS...] | -A] [--nodes] [-o json]
  ${prog} gc [--dry-run]
  ${prog} fleet [-l SELECTOR | NODE...] [--timeout 5s] [--deadline 30s] [-f N] [-o json] [-b] -- CMD ARGS...
  ${prog} completion bash|zsh
  ${prog} --help | --version | SUBCOMMAND --help

An investigation shell for Kubernetes: the API, the nodes (SSH or a node pod) and pod network namespaces.
  (no arguments)   start the shell; the prompt is CONTEXT:NAMESPACE>, .help lists commands and globals
  -e EXPR          evaluate one expression with the shell's globals and print the result
  FILE.mjs         run a zx-style script with the shell's globals
  FILE.md          run the js blocks of a notebook written by .save, in order
  run NAME         run a recipe (a name, or a path to a .md recipe); ${prog} run NAME --help lists its parameters
  recipes          list the recipes (shipped, and the config's recipeDirs) with their parameters
  triage           what is wrong in the namespace (-n a,b: those; -A: all), ranked, each problem with the
                   recipe to run next
  gc               list kinspect's node pods in the cluster and delete leftovers
  fleet            run one command on many nodes at once
  completion       print a bash or zsh completion script
  ${prog} SUBCOMMAND --help explains each one.

${GLOBALS}

Environment: KUBECONFIG, KINSPECT_CONFIG (the .recipes config file), KINSPECT_HISTORY,
KINSPECT_SSH_CONFIG, KINSPECT_KNOWN_HOSTS, NO_COLOR. Installed as kubectl-inspect too: kubectl inspect.
`
}

const TOPICS: Record<Exclude<Subcommand, 'fleet'>, (prog: string) => string> = {
  run: (
    prog,
  ) => `Usage: ${prog} run NAME [--param value]... [--teach | --dry-run] [--follow] [-o json] [-- --param value...]

Runs a recipe (a name from ${prog} recipes, or a path to a .md recipe) with its parameters as --name value
or --name=value; ${prog} run NAME --help lists them.
  --teach       explain each step and wait for Enter
  --dry-run     print the plan and run nothing
  -o json       print the report as JSON (-o text: the default)
  --follow      then run the recipe each failing finding names as its next step
Global flags (-n, --context, --kubeconfig, -y) may stand among the parameters: -n NS is the namespace, never a
recipe parameter; -y also applies the recipe's changes without asking. A recipe parameter named like a global
or runner flag (namespace, context, kubeconfig, yes, teach, output...) goes after --, where every word is a
recipe parameter: ${prog} run NAME -n shop -- --namespace other.
Exit: 0 nothing failed, 1 a finding failed, 2 the recipe could not run.

${GLOBALS}
`,
  recipes: (prog) => `Usage: ${prog} recipes

Lists the recipes (the config's recipeDirs first, then the shipped ones) with their parameters.
${prog} run NAME --help shows one recipe's parameters in full.

${GLOBALS}
`,
  triage: (prog) => `Usage: ${prog} triage [-n NS[,NS...] | -A] [--nodes | --no-nodes] [-o json]

What is wrong in the namespace, ranked, each problem with the recipe to run next.
  -n NS[,NS...]        these namespaces (comma-separated, repeatable); default the session's
  -A, --all-namespaces every namespace
  --nodes              also read conntrack and kube-proxy rules on the nodes over SSH or a node pod (--no-nodes: do not)
  -o json              one JSON document (-o text: the default)
Exit: 0 nothing wrong, 1 problems, 2 could not look (what was not seen is listed).

${GLOBALS}
`,
  gc: (prog) => `Usage: ${prog} gc [--dry-run]

Lists kinspect's node pods in the cluster and deletes leftovers (pods of sessions that no longer run, or past
their deadline).
  --dry-run   only list
Exit: 0 done, 1 a pod could not be deleted, 2 the pods could not be listed.

${GLOBALS}
`,
  completion: (prog) => `Usage: ${prog} completion bash|zsh

Prints a completion script: subcommands, flags, recipe names and their parameters; namespaces, contexts,
nodes, pods and Services from the cluster where a flag or parameter takes one.
  bash:  source <(${prog} completion bash)          (or save it in ~/.local/share/bash-completion/completions/kinspect)
  zsh:   source <(${prog} completion zsh)           (or save it as _kinspect in a folder of $fpath)
`,
}

/** The help of one subcommand (the general usage without one). */
export function topicUsage(topic: Subcommand | undefined, prog = 'kinspect'): string {
  if (!topic) return usage(prog)
  if (topic === 'fleet') return `${fleetUsage(prog)}\n${GLOBALS}\n`
  return TOPICS[topic](prog)
}

/** A recipe's help: its summary, its parameters (type, required or default, description) and whether it changes things. */
export function recipeHelp(r: RecipeInfo, prog = 'kinspect'): string {
  const params = r.params ?? []
  const lines = [
    `Usage: ${prog} run ${r.name}${params.map((p) => (p.required ? ` --${p.name} ${p.type.toUpperCase()}` : ` [--${p.name} ${p.type.toUpperCase()}]`)).join('')}`,
    '',
  ]
  if (r.description) lines.push(r.description, '')
  if (params.length) {
    lines.push('Parameters:')
    const width = Math.max(...params.map((p) => p.name.length + p.type.length + 4))
    for (const p of params) {
      const note = p.required ? 'required' : p.default !== undefined ? `default ${String(p.default)}` : 'optional'
      lines.push(`  ${`--${p.name} ${p.type}`.padEnd(width)}  ${p.description ?? ''} (${note})`)
    }
  } else lines.push('Parameters: none')
  lines.push(
    '',
    r.changes
      ? 'It may change the cluster or a node: it asks first (-y applies the changes without asking).'
      : 'It reads only: it changes nothing.',
  )
  if (r.file) lines.push(`File: ${r.file}`)
  lines.push(
    `Runner flags: --teach, --dry-run, --follow, -o json (${prog} run --help explains them and the global flags).`,
  )
  return `${lines.join('\n')}\n`
}
