// What the node pod is asked to run, as argv builders: the per-command wrapper, the probe and the killer.
// Every script runs under the image's sh with the caller's argv as "$@", so argv never passes through a shell.

/** PATH for commands run with the node's tools (the node's own mount namespace). */
export const NODE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/bin:/home/kubernetes/bin'
/** Where the wrapper keeps its pid files, in the pod's own /tmp. */
export const STATE_DIR = '/tmp/kinspect'
/** Exit code of the wrapper when it cannot find the node's namespaces (with a "kinspect:" line on stderr). */
export const NO_NAMESPACES_EXIT = 125
/** Exit code of a command stopped by an abort before it started. */
export const STOPPED_EXIT = 130

/** Where a command's program comes from: the node's filesystem, or the node pod's image (in the node's network namespace only). */
export type ToolSource = 'node' | 'image'

/** What the probe found out about a pod, once. */
export interface PodFacts {
  /** Absolute path of nsenter in the image (resolved so a busybox that prefers its applets still runs this file). */
  nsenter: string
  /** '1' when PID 1's namespaces are readable (a normal node); 'kubelet' when not (a sandboxed init). */
  target: '1' | 'kubelet'
}

const PROBE = `n=$(command -v nsenter 2>/dev/null)
case "$n" in /*) ;; *) n=$(which nsenter 2>/dev/null) ;; esac
echo "nsenter=$n"
if readlink /proc/1/ns/mnt >/dev/null 2>&1; then echo target=1; else echo target=kubelet; fi`

/** The probe run once per pod: where nsenter is, and whose namespaces are the node's. */
export function probeCommand(): string[] {
  return ['sh', '-c', PROBE]
}

/** Reads the probe's answer; throws a plain Error naming what is missing. */
export function parseProbe(stdout: string): PodFacts {
  const kv = new Map(
    stdout.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
  )
  const nsenter = kv.get('nsenter') ?? ''
  const target = kv.get('target')
  if (!nsenter.startsWith('/')) throw new Error('the node pod image has no nsenter (busybox or util-linux provide it)')
  if (target !== '1' && target !== 'kubelet')
    throw new Error(`the node pod probe answered something unexpected: ${JSON.stringify(stdout.slice(0, 200))}`)
  return { nsenter, target }
}

/** sh: reads the shell's own pid and start time (fields 1 and 22 of /proc/self/stat) into $P and $Q, with builtins only. */
export function selfStat(P: string, Q: string): string {
  return `read -r ${P} ${'_ '.repeat(20)}${Q} _ </proc/self/stat`
}

/**
 * sh: sets $tp to the pid whose namespaces are the node's when the target is "kubelet" (the kubelet in this pod's
 * network namespace; its pid is cached in $d/kubelet and checked, comm and netns, with builtins only, so only a
 * kubelet restart costs a pidof scan); runs `fail` (after a "kinspect:" line on stderr) when there is none.
 */
export function kubeletTarget(fail: string): string {
  return `if [ "$tp" = kubelet ]; then
  tp=; kc=; { read -r tp <$d/kubelet && read -r kc </proc/$tp/comm; } 2>/dev/null
  if [ "$kc" != kubelet ] || ! [ /proc/$tp/ns/net -ef /proc/self/ns/net ]; then
    tp=; for kp in $(pidof kubelet); do [ /proc/$kp/ns/net -ef /proc/self/ns/net ] && { tp=$kp; echo $kp >$d/kubelet; break; }; done
  fi
  if [ -z "$tp" ]; then echo "kinspect: cannot enter the node's namespaces: /proc/1/ns is not readable and no kubelet runs in the node's network namespace" >&2; ${fail}; fi
fi`
}

// $1 token, $2 nsenter, $3 target, $4 node|image, $5 stdin bytes or -, $6 deadline secs; then argv.
// The pid file holds "pid starttime" so that a killer never hits a reused pid.
const WRAPPER = `t=$1 ns=$2 tp=$3 m=$4 n=$5 s=$6; shift 6
d=${STATE_DIR}; [ -d $d ] || mkdir -p $d
${selfStat('me', 'st')}
echo "$me $st" >$d/$t.pid
if [ -e $d/$t.stop ]; then rm -f $d/$t.pid $d/$t.stop; exit ${STOPPED_EXIT}; fi
${kubeletTarget(`rm -f $d/$t.pid; exit ${NO_NAMESPACES_EXIT}`)}
if [ "$m" = node ]; then set -- env PATH=${NODE_PATH} "$ns" -t "$tp" -m -u -i -n -p -- timeout -k 2 "$s" "$@"
else set -- "$ns" -t "$tp" -n -- timeout -k 2 "$s" "$@"; fi
if [ "$n" = - ]; then "$@"; else head -c "$n" | "$@"; fi
r=$?; rm -f $d/$t.pid; exit $r`

/** How one command is wrapped. */
export interface WrapOptions {
  /** Names this run's pid file (for abort). */
  token: string
  facts: PodFacts
  from: ToolSource
  timeoutMs: number
  /** Bytes of stdin the command gets through `head -c` (v4, where stdin cannot be closed); undefined: stdin as is. */
  stdinBytes?: number
}

/** The deadline in whole seconds, at least 1. */
export function deadlineSeconds(timeoutMs: number): number {
  return Math.max(1, Math.ceil(timeoutMs / 1000))
}

/**
 * The exec argv for one command: the wrapper records its pid, enters the node's namespaces (all of them for the
 * node's tools; only the network namespace for the image's) and runs `timeout -k 2 SECS argv` there.
 */
export function wrapCommand(argv: readonly string[], o: WrapOptions): string[] {
  if (!/^[a-z0-9]+$/.test(o.token))
    throw new TypeError(`wrapCommand: token must be [a-z0-9]+, received ${JSON.stringify(o.token)}`)
  const n = o.stdinBytes === undefined ? '-' : String(o.stdinBytes)
  return [
    'sh',
    '-c',
    WRAPPER,
    'kinspect',
    o.token,
    o.facts.nsenter,
    o.facts.target,
    o.from,
    n,
    String(deadlineSeconds(o.timeoutMs)),
    ...argv,
  ]
}

/**
 * sh function kt ROOTS: TERM every process in the trees under ROOTS ("pid:starttime" words; a root whose start time
 * differs, i.e. a reused pid, is skipped) from one snapshot of /proc, then KILL the ones still alive after 300 ms whose
 * start time is unchanged. Sets $n to how many processes it signalled.
 */
export const TREE_KILL = `kt() {
  l=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v roots="$1" '{ s=$0; sub(/.*\\) /, "", s); split(s, a, " "); par[$1]=a[2]; st[$1]=a[20] } END { k=split(roots, r, " "); for (i=1; i<=k; i++) { split(r[i], x, ":"); if ((x[1] in st) && st[x[1]] == x[2]) want[x[1]]=1 } c=1; while (c) { c=0; for (q in par) if (!(q in want) && (par[q] in want)) { want[q]=1; c=1 } } for (q in want) print q ":" st[q] }')
  n=0
  [ -n "$l" ] || return 0
  for e in $l; do kill -TERM \${e%%:*} 2>/dev/null; done
  sleep 0.3 2>/dev/null || sleep 1
  for e in $l; do q=\${e%%:*}; c=$(awk '{ s=$0; sub(/.*\\) /, "", s); split(s, a, " "); if (a[1] != "Z") print a[20] }' /proc/$q/stat 2>/dev/null); [ "$c" = "\${e#*:}" ] && kill -KILL $q 2>/dev/null; done
  set -- $l; n=$#
}`

// Marks the token stopped (a wrapper that has not started yet then never runs its command), then kills the
// wrapper's tree by its pid file.
const KILLER = `t=$1 d=$2; [ -d $d ] || mkdir -p $d
${TREE_KILL}
: >$d/$t.stop
p=; [ -e $d/$t.pid ] && read -r p <$d/$t.pid
[ -n "$p" ] || exit 0
kt "\${p% *}:\${p#* }"
rm -f $d/$t.pid $d/$t.stop; echo "stopped $n"`

/** The exec argv that stops a wrapped command or an agent's command (and everything it started) by its token; prints "stopped N". */
export function killCommand(token: string, dir: string = STATE_DIR): string[] {
  if (!/^[a-z0-9]+$/.test(token))
    throw new TypeError(`killCommand: token must be [a-z0-9]+, received ${JSON.stringify(token)}`)
  if (!/^\/[A-Za-z0-9._/-]+$/.test(dir))
    throw new TypeError(`killCommand: dir must be an absolute path of [A-Za-z0-9._/-], received ${JSON.stringify(dir)}`)
  return ['sh', '-c', KILLER, 'kinspect', token, dir]
}

/** What a 127 from a wrapped command means: the program is missing ('tool'), or the node has no timeout(1). */
export function missingProgram(
  r: { exitCode: number | null; stderr: string },
  argv0: string,
): 'tool' | 'timeout' | undefined {
  if (r.exitCode !== 127) return undefined
  const first = r.stderr.split('\n').find((l) => l.trim() !== '') ?? ''
  const q = (s: string) => `(?:'${esc(s)}'|‘${esc(s)}’|${esc(s)})`
  const enoent = /No such file or directory|not found/
  if (new RegExp(`^timeout: (?:failed to run command|can't execute) ${q(argv0)}`).test(first) && enoent.test(first))
    return 'tool'
  if (new RegExp(`^nsenter: (?:failed to execute|can't execute) ${q('timeout')}`).test(first) && enoent.test(first))
    return 'timeout'
  return undefined
}

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
