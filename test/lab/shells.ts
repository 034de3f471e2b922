// Lab users whose login shells are dash and busybox ash, so quoting is proven against the shells
// real nodes use, not only bash. Reached as lab-1-dash and lab-1-ash in the lab's ssh_config.
import fs from 'node:fs'
import path from 'node:path'
import { LAB_DIR } from './layout.ts'
import { run, succeeds } from './sh.ts'

/** Login users the lab adds, with their shells. */
export const SHELL_USERS = [
  { user: 'kinspect-dash', host: 'lab-1-dash', shell: '/bin/dash' },
  { user: 'kinspect-ash', host: 'lab-1-ash', shell: path.join(LAB_DIR, 'shells', 'sh') }, // busybox invoked as "sh"
] as const

/** Creates the users (idempotent). Their home is / and they own nothing. */
export function ensureShellUsers(): void {
  fs.mkdirSync(path.join(LAB_DIR, 'shells'), { recursive: true })
  const ash = SHELL_USERS[1].shell
  if (!fs.existsSync(ash)) fs.symlinkSync('/bin/busybox', ash)
  for (const u of SHELL_USERS) {
    if (!succeeds(['id', u.user]))
      run([
        'useradd',
        '--password',
        '*',
        '--no-create-home',
        '--home-dir',
        '/',
        '--shell',
        u.shell,
        '--comment',
        'kinspect lab shell user',
        u.user,
      ])
  }
}

/** Removes the users again (down leaves nothing behind). */
export function removeShellUsers(): void {
  for (const u of SHELL_USERS) if (succeeds(['id', u.user])) run(['userdel', u.user], { ok: true })
}
