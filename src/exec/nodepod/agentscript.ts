// The agent, in POSIX sh (dash, bash and busybox ash run it; it needs mkfifo, head -c, wc -c, cat, awk, rm): one
// long-lived exec per node pod that reads requests on stdin and runs each command in the background, with the same
// wrapper as a one-shot exec (pid file, nsenter, timeout -k 2 SECS). One writer process owns stdout and sends the
// answers whole, one after another, from the FIFO the other processes post short lines to (atomic writes).
// The protocol is described in agentproto.ts.
import { AGENT_VERSION } from './agentproto.ts'
import {
  NODE_PATH,
  NO_NAMESPACES_EXIT,
  STATE_DIR,
  STOPPED_EXIT,
  TREE_KILL,
  kubeletTarget,
  selfStat,
  type PodFacts,
} from './command.ts'

/** Exit code of an agent that cannot start (no FIFO, no head/wc): the client falls back to one-shot execs. */
export const AGENT_CANNOT_START = 125

// an ID RC: an answer header with the byte counts, then exactly those bytes of the command's stdout and stderr
// (head -c: a background process the command left behind may still be appending). Empty files cost no process.
const ANSWER = `an() {
  o=$d/$1.out e=$d/$1.err ol=0 el=0
  [ -s "$o" ] && ol=$(wc -c <"$o")
  [ -s "$e" ] && el=$(wc -c <"$e")
  echo "A $1 $2" $ol $el
  [ $ol = 0 ] || head -c $ol "$o"
  [ $el = 0 ] || head -c $el "$e"
}`

// $1 nsenter, $2 target (1|kubelet), $3 state dir.
// The writer (wr) relays lines from the FIFO and turns "A id rc" into an answer; it removes the files of answered
// commands 16 at a time (at once after an answer over 1 MB, so the pod's disk does not hold large outputs). Only the main loop holds the FIFO open (fd 3): when it ends, or is killed, the writer reads
// EOF and the exec's stdout closes, so a dead agent is seen at once; jobs open the FIFO just to post their line.
// A job (jb, in its own background process) redirects with exec, so that no saved copy of the exec's stdout or the
// FIFO stays open in it (dash keeps such copies while a function with redirections runs); it records "pid starttime", stops if a kill came first, enters the node and runs argv; its exit code goes
// to $id.rc (for a rescue) and to the writer.
// The main loop stages stdin with head -c (the client sends nothing more until "S id", so head cannot read past it).
const AGENT = `ns=$1 t0=$2 d=$3
NL='
'
[ -d "$d" ] || mkdir -p "$d" || exit ${AGENT_CANNOT_START}
${selfStat('me', 'st')}
f=$d/ag$me.fifo
rm -f "$f"
if ! mkfifo "$f" || ! head -c 0 </dev/null || ! wc -c </dev/null >/dev/null; then echo "kinspect: the agent needs mkfifo, head -c and wc -c in the node pod image" >&2; exit ${AGENT_CANNOT_START}; fi
echo "$me $st" >"$d/ag$me.pid"
${TREE_KILL}
${ANSWER}
wr() {
  g= c=0
  while IFS=' ' read -r k i r; do
    if [ "$k" = A ]; then
      an $i $r
      g="$g $d/$i.*" c=$((c+1))
      if [ $c -ge 16 ] || [ $((ol+el)) -gt 1048576 ]; then rm -f $g; g= c=0; fi
    else echo "$k $i\${r:+ $r}"; fi
  done <"$f"
  rm -f $g "$f" "$d/ag$me.pid"
}
jb() {
  exec <"$x" >"$d/$i.out" 2>"$d/$i.err" 3>&-
  ${selfStat('jp', 'jq')}
  echo "$jp $jq" >"$d/$i.pid"
  if [ -e "$d/$i.stop" ]; then echo "A $i ${STOPPED_EXIT}" >"$f"; return; fi
  tp=$t0
  ${kubeletTarget(`echo ${NO_NAMESPACES_EXIT} >"$d/$i.rc"; echo "A $i ${NO_NAMESPACES_EXIT}" >"$f"; return`).replace(/\n/g, '\n  ')}
  eval "set -- $a"
  if [ "$m" = node ]; then PATH=${NODE_PATH} "$ns" -t "$tp" -m -u -i -n -p -- timeout -k 2 "$s" "$@"
  else "$ns" -t "$tp" -n -- timeout -k 2 "$s" "$@"; fi
  r=$?
  echo $r >"$d/$i.rc"
  echo "A $i $r" >"$f"
}
wr &
exec 3>"$f"
echo "H ${AGENT_VERSION} $me" >&3
while IFS=' ' read -r k i m s n a; do
  case $k in
  R) x=/dev/null
    if [ "$n" != - ]; then x=$d/$i.in; head -c "$n" >"$x"; fi
    jb &
    echo "S $i" >&3 ;;
  K) {
    exec >/dev/null 3>&-
    : >"$d/$i.stop"
    p=; [ -e "$d/$i.pid" ] && read -r p <"$d/$i.pid"
    n=0; [ -z "$p" ] || kt "\${p% *}:\${p#* }"
    [ $n = 0 ] || echo "A $i ${STOPPED_EXIT}" >"$f"
    echo "K $i $n" >"$f"
  } & ;;
  P) echo "P $i" >&3 ;;
  Q) break ;;
  *) echo "kinspect: the agent read a request it does not know: $k" >&2; break ;;
  esac
done`

/** The exec argv of an agent for a pod (dir: where pid, FIFO and output files go; the pod's own /tmp by default). */
export function agentCommand(facts: PodFacts, dir: string = STATE_DIR): string[] {
  checkDir(dir)
  return ['sh', '-c', AGENT, 'kinspect-agent', facts.nsenter, facts.target, dir]
}

// $1 state dir, $2 agent pid, then ids. After an agent was lost: no listed command may start any more (stop
// files), the agent and the listed commands' trees are killed, then each id is answered: "A …" with its output
// when it had finished, "X id" when it was running (now stopped), "N id" when it never started. Which had finished
// is read before the kill: a wrapper the kill interrupts may still write its rc (143), which is not an answer.
const RESCUE = `d=$1 ag=$2; shift 2
${TREE_KILL}
${ANSWER}
for t; do : >"$d/$t.stop"; done
fin=
for t; do [ -e "$d/$t.rc" ] && fin="$fin $t "; done
r=; p=
[ -e "$d/ag$ag.pid" ] && read -r p <"$d/ag$ag.pid" && r="\${p% *}:\${p#* }"
for t; do p=; [ -e "$d/$t.pid" ] && read -r p <"$d/$t.pid"; [ -z "$p" ] || r="$r \${p% *}:\${p#* }"; done
n=0; [ -z "$r" ] || kt "$r"
for t; do
  case "$fin" in
  *" $t "*) read -r c <"$d/$t.rc"; an $t $c; rm -f "$d/$t".* ;;
  *) if [ -e "$d/$t.pid" ]; then echo "X $t"; else echo "N $t"; fi ;;
  esac
done`

/** The one-shot exec argv that settles the commands a lost agent carried (its output is decoded as the agent's). */
export function rescueCommand(agentPid: number, ids: readonly string[], dir: string = STATE_DIR): string[] {
  checkDir(dir)
  if (!Number.isInteger(agentPid) || agentPid < 1)
    throw new TypeError(`rescueCommand: agentPid must be a positive integer, received ${JSON.stringify(agentPid)}`)
  for (const id of ids)
    if (!/^[a-z0-9]+$/.test(id))
      throw new TypeError(`rescueCommand: ids must be [a-z0-9]+, received ${JSON.stringify(id)}`)
  return ['sh', '-c', RESCUE, 'kinspect-rescue', dir, String(agentPid), ...ids]
}

function checkDir(dir: string): void {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(dir))
    throw new TypeError(`agent: dir must be an absolute path of [A-Za-z0-9._/-], received ${JSON.stringify(dir)}`)
}
