// Match lines as OpenSSH's match_cfg_line() evaluates them, and Match exec run the way ssh runs it.
import { spawnSync } from 'node:child_process'
import { connectionTokens, percentExpand } from './sshconfig-expand.ts'
import { strdelim } from './sshconfig-lex.ts'
import { matchPatternList } from './pattern.ts'
import type { ReadContext } from './sshconfig-types.ts'
import { SshConfigError } from './sshconfig-error.ts'

/** What a Match line can see of the settings read so far. */
export interface MatchState {
  /** True in the final pass (Match final / Match canonical then match). */
  final: boolean
  /** Port so far, or 22. */
  port: number
  /** User so far, or the local user. */
  user: string
  /** HostName so far (in the final pass: the host as ssh canonicalised it). */
  hostname?: string
  /** HostKeyAlias so far, as written. */
  alias?: string
}

/** HostName with %h expanded (the only token it takes besides %%). */
export function expandHostName(hostname: string, name: string): string {
  try {
    return percentExpand(hostname, { h: name })
  } catch (e) {
    throw new SshConfigError(
      `HostName ${hostname}: ${(e as Error).message}`,
      'HostName accepts only the tokens %h and %%',
    )
  }
}

/** match_cfg_line(): whether the Match line applies, or an error message; `want.final` is set by `Match final`. */
export function matchLine(
  rest: string,
  m: MatchState,
  ctx: ReadContext,
  want: { final: boolean } | undefined,
  where: string,
): boolean | string {
  const { final, port, user: ruser } = m
  const host = final ? m.hostname! : m.hostname !== undefined ? expandHostName(m.hostname, ctx.name) : ctx.name
  const st = { s: rest as string | null }
  let result = true
  let attributes = 0
  for (let attrib = strdelim(st); attrib !== null && attrib !== ''; attrib = strdelim(st)) {
    if (attrib.startsWith('#')) break
    const neg = attrib.startsWith('!')
    const name = (neg ? attrib.slice(1) : attrib).toLowerCase()
    const hit = (r: boolean) => {
      if (r === neg) result = false
    }
    if (name === 'all') {
      const next = strdelim(st)
      if (attributes > 1 || (next !== null && next !== '' && !next.startsWith('#')))
        return `'${attrib}' cannot be combined with other Match attributes`
      if (result) result = !neg
      return result
    }
    attributes++
    if (name === 'canonical' || name === 'final') {
      if (name === 'final' && want) want.final = true
      hit(final)
      continue
    }
    const arg = strdelim(st)
    if (arg === null || arg === '' || arg.startsWith('#')) return `Missing Match criteria for ${name}`
    const list = arg.split(',')
    if (name === 'host') hit(matchPatternList(list, host.toLowerCase(), true) === 'match')
    else if (name === 'originalhost') hit(matchPatternList(list, ctx.name.toLowerCase(), true) === 'match')
    else if (name === 'user') hit(matchPatternList(list, ruser, false) === 'match')
    else if (name === 'localuser') hit(matchPatternList(list, ctx.localUser, false) === 'match')
    else if (name === 'exec') {
      if (!result) continue // a criterion already failed: ssh does not run the command
      let cmd: string
      try {
        cmd = percentExpand(arg, connectionTokens(ctx, { host, port, user: ruser, alias: m.alias ?? host }))
      } catch (e) {
        throw new SshConfigError(
          `${where}: Match exec ${arg}: ${(e as Error).message}`,
          'Match exec accepts the tokens %C %L %d %h %k %l %n %p %r %u %i and %%',
        )
      }
      const status = ctx.runExec(cmd)
      if (status === null)
        throw new SshConfigError(
          `${where}: match exec '${cmd}' error: it did not exit normally (killed, or still running at the deadline)`,
          'the command runs with $SHELL -c; make it finish quickly, or remove the Match exec line',
        )
      hit(status === 0)
    } else return `Unsupported Match attribute ${name}`
  }
  if (attributes === 0) return 'One or more attributes required for Match'
  return result
}

/** Runs a Match exec command like ssh: $SHELL -c (or /bin/sh), stdin and stdout on /dev/null, with a deadline. */
export function runMatchExec(
  command: string,
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs = 5000,
): number | null {
  const shell = env.SHELL || '/bin/sh'
  const r = spawnSync(shell, ['-c', command], {
    stdio: 'ignore',
    env: env as NodeJS.ProcessEnv,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  })
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT')
    throw new SshConfigError(`Match exec: cannot run ${shell}: ${r.error.message}`, 'set SHELL to an executable shell')
  return r.status
}
