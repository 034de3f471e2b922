// Runs `ssh -G` for many names through a few /bin/sh loops: node forks once per batch instead of once per name.
// A fork of a large node process costs milliseconds of its main thread plus page-table copies, which for 100 names
// was most of the CPU that resolving a fleet took (measured in bench/fleet.ts); the loop's own fork of ssh is cheap.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { SshConfigError } from './sshconfig-error.ts'

/** What one `ssh -G NAME` did. */
export interface SshGRun {
  code: number | null
  stdout: string
  stderr: string
  timedOut: boolean
}

/** Where and how the loops run. */
export interface SshGBatchOptions {
  /** The ssh client to run. */
  ssh: string
  /** The `-F` file. */
  wrapper: string
  /** A private directory (mode 0700) for the stderr of the name being resolved; removed by the owner. */
  dir: string
  env: Readonly<Record<string, string | undefined>>
  /** Loops at once. */
  shells: number
  /** Deadline of one ssh -G (Match exec commands run inside it): the loop is ended, the rest go on in a new one. */
  timeoutMs: number
}

// $1 dir, $2 -F file, $3 ssh, $4 batch id, $5 a random marker, then the names. For each name: ssh -G's output on
// stdout, then "MARKER INDEX RC" on a line of its own, then what it wrote on stderr (kept in the batch's one file, and
// copied by the shell's own read and printf: ssh -G warns on every name, and a cat per name was a fork and exec),
// then "MARKER". stdin is /dev/null: ssh -G reads nothing.
const LOOP =
  'd=$1 w=$2 s=$3 b=$4 m=$5; shift 5; i=0\n' +
  'for n do\n' +
  '  "$s" -G -F "$w" -- "$n" </dev/null 2>"$d/$b.err"; rc=$?\n' +
  '  printf \'\\n%s %s %s\\n\' "$m" "$i" "$rc"\n' +
  '  while IFS= read -r l || [ -n "$l" ]; do printf \'%s\\n\' "$l"; done <"$d/$b.err"\n' +
  '  printf \'\\n%s\\n\' "$m"\n' +
  '  i=$((i+1))\n' +
  'done\n' +
  'rm -f "$d/$b.err"\n'

interface Job {
  name: string
  resolve: (r: SshGRun) => void
  reject: (e: unknown) => void
}

/** Queues names and runs them in batches, each batch one `sh` (its own process group) running ssh -G per name. */
export class SshGBatch {
  readonly #o: SshGBatchOptions
  #queue: Job[] = []
  #scheduled = false
  #batches = 0
  readonly #running = new Set<number>() // process group ids
  #closed = false

  constructor(opts: SshGBatchOptions) {
    this.#o = opts
  }

  /** Runs `ssh -G -F WRAPPER -- NAME` (with the names asked for in the same tick, in one batch). */
  run(name: string): Promise<SshGRun> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ name, resolve, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => {
          this.#scheduled = false
          this.#flush()
        })
      }
    })
  }

  /** Ends the running loops (their ssh -G and what a Match exec started) and fails what is queued. */
  close(): void {
    this.#closed = true
    for (const pgid of this.#running) killGroup(pgid)
    this.#running.clear()
    const left = this.#queue
    this.#queue = []
    for (const j of left) j.reject(new SshConfigError('ssh -G: the resolver was closed'))
  }

  // Starts as many loops as are free, the queue dealt round-robin between them so the first names come first.
  #flush(): void {
    const free = this.#o.shells - this.#running.size
    if (this.#closed || free <= 0 || !this.#queue.length) return
    const k = Math.min(free, this.#queue.length)
    const groups: Job[][] = Array.from({ length: k }, () => [])
    this.#queue.forEach((j, i) => groups[i % k].push(j))
    this.#queue = []
    for (const g of groups) this.#start(g)
  }

  #start(jobs: Job[]): void {
    const b = ++this.#batches
    const o = this.#o
    const marker = `kinspect-${randomBytes(16).toString('hex')}`
    const child = spawn(
      '/bin/sh',
      ['-c', LOOP, 'kinspect-ssh-G', o.dir, o.wrapper, o.ssh, String(b), marker, ...jobs.map((j) => j.name)],
      {
        env: o.env as NodeJS.ProcessEnv,
        stdio: ['ignore', 'pipe', 'ignore'],
        detached: true, // its own process group: a deadline also ends what a Match exec started
      },
    )
    const pgid = child.pid
    if (pgid) this.#running.add(pgid)
    let done = 0 // jobs answered
    let buf = ''
    let timer: NodeJS.Timeout | undefined
    const arm = () => {
      clearTimeout(timer)
      timer = setTimeout(onTimeout, o.timeoutMs)
    }
    const finish = () => {
      clearTimeout(timer)
      if (pgid) this.#running.delete(pgid)
    }
    // The name at `done` did not answer in time: it times out, the loop is ended, the rest are queued again.
    const onTimeout = () => {
      if (pgid) killGroup(pgid)
      finish()
      const late = jobs[done]
      if (late) late.resolve({ code: null, stdout: '', stderr: '', timedOut: true })
      this.#queue.unshift(...jobs.slice(done + 1))
      done = jobs.length
      this.#flush()
    }
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      buf += s
      for (let r = takeRecord(buf, marker); r; r = takeRecord(buf, marker)) {
        buf = r.rest
        if (r.index !== done || done >= jobs.length) continue
        jobs[done++].resolve({ code: r.code, stdout: r.stdout, stderr: r.stderr, timedOut: false })
        if (done < jobs.length) arm()
        else clearTimeout(timer)
      }
    })
    child.on('error', (e) => {
      finish()
      for (const j of jobs.slice(done))
        j.reject(
          new SshConfigError(
            `cannot run ${o.ssh} -G: ${e.message}`,
            'install the OpenSSH client, or set KINSPECT_SSH_RESOLVER=built-in',
          ),
        )
      done = jobs.length
    })
    child.on('close', (code, signal) => {
      const left = jobs.slice(done)
      done = jobs.length
      finish()
      for (const j of left)
        j.reject(new SshConfigError(`ssh -G ${j.name}: the loop running it ended early (${signal ?? `exit ${code}`})`))
      this.#flush()
    })
    arm()
  }
}

/** The first whole record in BUF (see LOOP), or undefined while it is still arriving. */
export function takeRecord(
  buf: string,
  marker: string,
): { index: number; code: number; stdout: string; stderr: string; rest: string } | undefined {
  const head = buf.indexOf(`\n${marker} `)
  if (head < 0) return undefined
  const eol = buf.indexOf('\n', head + 1)
  if (eol < 0) return undefined
  const tail = buf.indexOf(`\n${marker}\n`, eol)
  if (tail < 0) return undefined
  const [index, code] = buf
    .slice(head + 1 + marker.length + 1, eol)
    .split(' ')
    .map(Number)
  return {
    index,
    code,
    stdout: buf.slice(0, head),
    stderr: buf.slice(eol + 1, tail),
    rest: buf.slice(tail + marker.length + 2),
  }
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL')
  } catch {
    /* already gone */
  }
}
