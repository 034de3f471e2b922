// `lab ssh off|on`: the lab as most managed clusters are, with no SSH to the nodes. Off stops every node's sshd and
// makes `lab env` withhold the ssh files (and point KINSPECT_CONFIG at a config without ssh settings); on restores both.
import fs from 'node:fs'
import path from 'node:path'
import { LAB_DIR, NET, NODES, labPaths } from './layout.ts'
import { onNode, start, stop } from './components.ts'
import { kinspectConfigNoSsh } from './configs.ts'
import { progress, waitFor, writeFile } from './sh.ts'
import net from 'node:net'

const MARK = path.join(LAB_DIR, 'ssh-off')

/** True after `lab ssh off` (until `lab ssh on`). */
export function sshIsOff(): boolean {
  return fs.existsSync(MARK)
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 1000 })
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
    s.once('timeout', () => (s.destroy(), resolve(false)))
  })
}

/** Turns SSH to the nodes off or on. */
export async function setSsh(state: string): Promise<void> {
  if (state !== 'on' && state !== 'off') throw new Error(`lab: ssh state must be "on" or "off", got "${state}"`)
  writeFile(labPaths().kinspectConfigNoSsh, kinspectConfigNoSsh(LAB_DIR))
  if (state === 'off') {
    fs.writeFileSync(MARK, 'sshd is stopped on every node; `npm run lab -- ssh on` starts it again\n')
    for (const n of NODES) await stop(onNode('sshd', n.name), 3000)
    for (const n of NODES)
      await waitFor(`sshd on ${n.name} to stop answering`, async () => !(await answers(n.ip, NET.sshPort)), 10_000, 200)
    progress('ssh is off: no node answers SSH; eval "$(npm run -s lab -- env)" now exports no ssh files')
  } else {
    fs.rmSync(MARK, { force: true })
    for (const n of NODES) await start(onNode('sshd', n.name))
    for (const n of NODES) await waitFor(`sshd on ${n.name}`, () => answers(n.ip, NET.sshPort), 10_000, 200)
    progress('ssh is on again')
  }
}
