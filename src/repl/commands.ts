// The dot-commands of the shell: ONE table of {name, help, action}; .help is built from it.
import type { SessionApi } from '../session.ts'
import type { CompleteKind, NameCache } from './complete.ts'
import { GLOBAL_GROUPS, GLOBALS } from './context.ts'
import { ShellError } from './errors.ts'
import { parseParamWords, splitWords, takeRunFlags, type LineSource, type RecipesPort } from './recipes.ts'

/** What a command can do to the shell it runs in. */
export interface CommandHost {
  readonly session: SessionApi
  readonly names: NameCache
  readonly recipes: RecipesPort
  /** The shell's output stream. */
  readonly output: NodeJS.WritableStream
  /** Writes text (a newline is added when missing). */
  print(text: string): void
  /** Prints a value with the REPL writer (util.inspect; tables for result objects). */
  printValue(value: unknown): void
  /** Sets the prompt from the session's context and namespace. */
  refreshPrompt(): void
  /** Rebuilds the globals (buildContext) in a fresh context. */
  resetContext(): void
  /** Saves the notebook; returns the file written and how many inputs it holds. */
  saveNotebook(file: string): Promise<{ file: string; inputs: number }>
  /** Pings the cluster in the background and prints one line if it is not usable. */
  checkCluster(): void
  /** The user's next lines while a command runs (teach mode, confirmations); absent when headless. */
  readonly lines?: LineSource
  /** The shell prints in colour. */
  readonly color?: boolean
  /** Runs one of node's own REPL commands (editor, break, exit). */
  builtin(name: 'editor' | 'break' | 'exit', arg: string): void
}

/** One dot-command. */
export interface Command {
  name: string
  /** Argument synopsis shown by .help, e.g. "NAME". */
  args?: string
  help: string
  /** Names completed after the command. */
  complete?: CompleteKind
  /** The command shows the prompt itself (node's own commands). */
  ownPrompt?: boolean
  /** The command goes into the notebook (it changes what later inputs see). */
  recorded?: boolean
  /** The command waits for the cluster client and the result renderers to load first. */
  ready?: boolean
  action(host: CommandHost, arg: string): void | Promise<void>
}

function where(s: SessionApi): string {
  return `context ${s.context || '(none)'}, namespace ${s.namespace}`
}

/** The shell's dot-commands, in .help order. */
export const COMMANDS: readonly Command[] = [
  {
    name: 'ctx',
    args: 'NAME',
    help: 'switch kubeconfig context (no NAME: list contexts)',
    complete: 'context',
    recorded: true,
    action(h, arg) {
      const name = arg.trim()
      if (!name) {
        const list = h.session.contexts()
        h.print(
          list.length
            ? list.map((c) => `${c === h.session.context ? '*' : ' '} ${c}`).join('\n')
            : 'the kubeconfig defines no contexts',
        )
        return
      }
      h.session.setContext(name)
      h.names.invalidate()
      h.refreshPrompt()
      h.print(where(h.session))
      h.checkCluster()
    },
  },
  {
    name: 'ns',
    args: 'NAME',
    help: 'switch namespace (no NAME: show the current one)',
    complete: 'namespace',
    recorded: true,
    action(h, arg) {
      const ns = arg.trim()
      if (!ns) {
        h.print(where(h.session))
        return
      }
      h.session.setNamespace(ns)
      h.names.invalidate(['pod', 'service'])
      h.refreshPrompt()
      const known = h.names.get('namespace')
      h.print(
        `namespace ${ns}${known.length && !known.includes(ns) ? ` (not in the namespaces listed earlier: ${known.join(', ')})` : ''}`,
      )
    },
  },
  {
    name: 'run',
    args: 'NAME [param=value...] [--dry-run] [--yes] [--follow] [-o json]',
    help: 'run a recipe (Markdown runbook from recipeDirs)',
    complete: 'recipe',
    recorded: true,
    ready: true,
    async action(h, arg) {
      const { options, rest: words } = takeRunFlags(splitWords(arg))
      const [name, ...rest] = words
      if (!name) {
        const list = await h.recipes.listRecipes({ session: h.session })
        h.print(
          list.length
            ? list.map((r) => `${r.name}${r.description ? `  — ${r.description}` : ''}`).join('\n')
            : 'no recipes found (config recipeDirs)',
        )
        return
      }
      const params = parseParamWords(rest)
      h.printValue(
        await h.recipes.runRecipe(name, params, {
          session: h.session,
          output: h.output,
          lines: h.lines,
          paramStyle: 'word',
          ...options,
        }),
      )
    },
  },
  {
    name: 'triage',
    args: '[-n NS[,NS...] | -A] [--nodes] [-o json]',
    help: 'what is wrong in the namespace (-n a,b: those, -A: all), ranked, each problem with the recipe to run next',
    ready: true,
    async action(h, arg) {
      const { parseTriageArgs } = await import('../triage/options.ts')
      const t = parseTriageArgs(splitWords(arg), undefined, 'repl')
      if (t.context || t.kubeconfig)
        throw new ShellError(
          'usage',
          '.triage: --context and --kubeconfig belong to the session',
          'switch with .ctx NAME first',
        )
      const { triage, sshNodeReads } = await import('../triage/index.ts')
      const nodes = t.nodes ?? h.session.config.triage?.nodes ?? false
      const report = await triage(h.session, {
        scope: t.allNamespaces ? { allNamespaces: true } : { namespaces: t.namespaces ?? [h.session.namespace] },
        nodeReads: nodes ? sshNodeReads(h.session) : undefined,
        nodesOff: t.nodes === false ? 'off (--no-nodes)' : undefined,
      })
      if (t.format === 'json') h.print(JSON.stringify(report, null, 2))
      else h.printValue(report)
    },
  },
  {
    name: 'save',
    args: 'FILE.md',
    help: 'save this session as a Markdown notebook (secrets redacted); `kinspect FILE.md` runs it again',
    async action(h, arg) {
      const r = await h.saveNotebook(arg)
      h.print(`saved ${r.inputs} input${r.inputs === 1 ? '' : 's'} to ${r.file}`)
    },
  },
  {
    name: 'reset',
    help: 'forget your variables and rebuild the globals',
    action(h) {
      h.resetContext()
      h.print(`globals rebuilt (${where(h.session)})`)
    },
  },
  {
    name: 'gc',
    args: '[--dry-run]',
    help: "list kinspect's node pods in the cluster and delete leftovers (pods of sessions that no longer run, or past their deadline)",
    async action(h, arg) {
      const words = arg.trim().split(/\s+/).filter(Boolean)
      const bad = words.find((w) => w !== '--dry-run')
      if (bad) throw new ShellError('usage', `.gc: unknown argument ${JSON.stringify(bad)}`, 'usage: .gc [--dry-run]')
      if (!h.session.gc) throw new ShellError('unavailable', 'this session cannot list node pods')
      const dryRun = words.includes('--dry-run')
      const { renderGc } = await import('../render/nodeaccess.ts')
      h.print(renderGc(await h.session.gc({ dryRun }), { dryRun, color: h.color }))
    },
  },
  {
    name: 'help',
    help: 'this list',
    action(h) {
      h.print(helpText())
    },
  },
  {
    name: 'editor',
    help: 'multi-line editor mode (Ctrl-D runs, Ctrl-C cancels)',
    ownPrompt: true,
    action: (h, arg) => h.builtin('editor', arg),
  },
  {
    name: 'break',
    help: 'abandon a half-typed multi-line input',
    ownPrompt: true,
    action: (h, arg) => h.builtin('break', arg),
  },
  { name: 'exit', help: 'leave the shell (or Ctrl-D)', ownPrompt: true, action: (h, arg) => h.builtin('exit', arg) },
]

/** The .help text: every command of the table, then the globals by group. */
export function helpText(commands: readonly Command[] = COMMANDS): string {
  const rows = commands.map((c) => [`.${c.name}${c.args ? ` ${c.args}` : ''}`, c.help])
  const w = Math.max(...rows.map((r) => r[0].length))
  const out = ['Commands:', ...rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`), '', 'Globals (top-level await works):']
  for (const [g, title] of GLOBAL_GROUPS) {
    const gs = GLOBALS.filter((x) => x.group === g)
    // zx's globals are zx's own: their names are enough.
    if (g === 'zx') out.push(`  ${title}: ${gs.map((x) => x.name).join(' ')}`)
    else out.push(`  ${title}:`, ...gs.map((x) => `    ${x.help}`))
  }
  return out.join('\n')
}

/** Finds a command by name; unknown names are a usage error listing the table. */
export function findCommand(name: string, commands: readonly Command[] = COMMANDS): Command {
  const c = commands.find((x) => x.name === name)
  if (!c)
    throw new ShellError(
      'usage',
      `unknown command .${name}`,
      `commands: ${commands.map((x) => `.${x.name}`).join(' ')}`,
    )
  return c
}
