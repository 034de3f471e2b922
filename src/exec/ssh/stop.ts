// Stopping a remote command for real. OpenSSH's sshd refuses "signal" channel requests in common setups (9.2 logs
// "session signalling requires privilege separation"), and closing the channel leaves the command running. So an
// abortable command announces its pid on stderr first, and an abort kills its process tree through a second channel.
import path from 'node:path'
import { shJoin } from '../quote.ts'

/**
 * The wrapper that announces the pid: `sh -c SCRIPT TOKEN argv…` prints "kinspect-pid:TOKEN:PID:LOGIN-SHELL" on
 * stderr, then execs argv. It works under any login shell; sshd sets $SHELL to that shell, so the first run on a
 * connection also tells which one it is.
 */
const ANNOUNCE = 'echo "kinspect-pid:$0:$$:${SHELL-}" >&2; exec "$@"'

/** argv wrapped so its pid (kept across exec) is announced on stderr under token. */
export function announcePid(argv: readonly string[], token: string): string[] {
  checkToken(token)
  return ['sh', '-c', ANNOUNCE, token, ...argv]
}

// Login shells that read `echo "…$$" >&2; exec …` as POSIX sh does (fish and csh do not).
const POSIX_SHELLS = new Set(['sh', 'ash', 'dash', 'bash', 'ksh', 'ksh93', 'mksh', 'pdksh', 'zsh', 'yash', 'posh'])

/** Whether a login shell (sshd's $SHELL for the user) runs POSIX sh command lines. */
export function posixLoginShell(shell: string | undefined): boolean {
  return !!shell && path.posix.isAbsolute(shell) && POSIX_SHELLS.has(path.posix.basename(shell))
}

/**
 * The command line that announces argv's pid. Under a known POSIX login shell the announcement is part of the line
 * itself and the shell execs argv: one process fewer on the node per command than `sh -c` (measured in
 * bench/fleet.ts: the warm fleet). Any other or unknown login shell gets the `sh -c` wrapper.
 */
export function announcedCommand(argv: readonly string[], token: string, loginShell?: string): string {
  if (!posixLoginShell(loginShell)) return shJoin(announcePid(argv, token))
  checkToken(token)
  return `echo kinspect-pid:${token}:$$ >&2; exec ${shJoin(argv)}`
}

function checkToken(token: string): void {
  if (!/^[a-z0-9]+$/.test(token))
    throw new TypeError(`announcePid: token must be [a-z0-9]+, received ${JSON.stringify(token)}`)
}

/**
 * Finds the announcement in stderr text: the pid, the login shell when the `sh -c` wrapper announced it ('' when sshd
 * set no $SHELL), and the text without that line (the first one only).
 */
export function takePid(stderr: string, token: string): { pid?: number; shell?: string; rest: string } {
  // indexOf, not a RegExp made per call: this runs on every stderr chunk of every command (a fleet's hot path).
  const mark = `kinspect-pid:${token}:`
  for (let at = stderr.indexOf(mark); at >= 0; at = stderr.indexOf(mark, at + 1)) {
    if (at > 0 && stderr[at - 1] !== '\n') continue
    const end = stderr.indexOf('\n', at + mark.length)
    if (end < 0) return { rest: stderr }
    const line = stderr.slice(at + mark.length, end)
    const colon = line.indexOf(':')
    const digits = colon < 0 ? line : line.slice(0, colon)
    if (!/^\d+$/.test(digits)) continue
    const rest = stderr.slice(0, at) + stderr.slice(end + 1)
    const pid = Number(digits)
    return colon < 0 ? { pid, rest } : { pid, shell: line.slice(colon + 1), rest }
  }
  return { rest: stderr }
}

// TERM the process and every descendant (one /proc snapshot with start times), then after 300 ms KILL those still
// alive whose start time is unchanged (a reused pid is never hit). Without awk: TERM and KILL the pid's process group.
const KILLER = `p=$1; list=
if command -v awk >/dev/null 2>&1; then
list=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$p" '{ s=$0; sub(/.*\\) /, "", s); split(s, a, " "); par[$1]=a[2]; st[$1]=a[20] } END { want[root]=1; c=1; while (c) { c=0; for (q in par) if (!(q in want) && (par[q] in want)) { want[q]=1; c=1 } } for (q in want) if (q in st) print q ":" st[q] }')
fi
if [ -z "$list" ]; then kill -TERM -- -"$p" "$p" 2>/dev/null; sleep 0.3 2>/dev/null || sleep 1; kill -KILL -- -"$p" "$p" 2>/dev/null; exit 0; fi
for e in $list; do kill -TERM \${e%%:*} 2>/dev/null; done
sleep 0.3 2>/dev/null || sleep 1
for e in $list; do q=\${e%%:*}; cur=$(awk '{ s=$0; sub(/.*\\) /, "", s); split(s, a, " "); if (a[1] != "Z") print a[20] }' /proc/$q/stat 2>/dev/null); [ "$cur" = "\${e#*:}" ] && kill -KILL $q 2>/dev/null; done
echo "stopped $(echo $list | wc -w)"`

/** The argv that stops pid and everything it started (behind sudo -n when the command ran under sudo). */
export function killTree(pid: number, sudo = false): string[] {
  if (!Number.isInteger(pid) || pid <= 1)
    throw new TypeError(`killTree: pid must be a process id above 1, received ${JSON.stringify(pid)}`)
  const argv = ['sh', '-c', KILLER, 'kinspect-stop', String(pid)]
  return sudo ? ['sudo', '-n', '--', ...argv] : argv
}
