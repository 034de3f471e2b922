// npm run lab -- up|down|status|env|scenario NAME on|off|scenarios|proxy-mode MODE|fanout N [--blackhole K]|capture [metrics|crictl|svc|kube|net|triage [CASE]|refusals]
import { down, env, status, up } from './lab.ts'

const usage = `usage: npm run lab -- COMMAND
  up                      start the lab (idempotent), print a status table
  down                    stop everything and remove every trace
  status                  status table; exit 1 when not healthy
  env                     shell exports: eval "$(npm run -s lab -- env)"
  scenarios               list fault scenarios
  scenario NAME on|off [--node N]
                          turn a fault on or off (node-scoped faults act on N, default in the list)
  ssh off|on              stop (start) sshd on every node; with ssh off, env exports no ssh files
  proxy-mode MODE         restart kube-proxy in iptables, nftables or ipvs mode
  fanout N [--blackhole K]
                          start N extra SSH-only nodes (0 stops them); the last K accept TCP, never answer SSH
  capture [metrics|crictl|svc|kube|net|triage [CASE]|refusals]
                          capture real tool outputs into test/fixtures/ (metrics: only the metrics API and kubectl
                          top; crictl: only crictl's outputs on shop/client's node, with the pods and cgroups;
                          svc: only shop/web-local's kube-proxy rules on lab-1 and lab-2, iptables and nftables;
                          kube: API objects with kubectl get -o wide / describe of them, into lab/kube/;
                          net: the net helpers' dig/nslookup/getent/conntrack outputs, into test/net/fixtures/;
                          triage [CASE]: what kinspect triage reads, under each fault case, or one CASE;
                          refusals: the API's 403/401 answers to the view-only and the expired user)`

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  switch (cmd) {
    case 'up':
      await up()
      return 0
    case 'down':
      await down()
      return 0
    case 'status':
      return status() ? 0 : 1
    case 'env':
      console.log(env())
      return 0
    case 'scenarios': {
      const { scenarioList } = await import('./scenarios.ts')
      for (const l of scenarioList()) console.log(l)
      return 0
    }
    case 'scenario': {
      const args = [...rest]
      let node: string | undefined
      const i = args.findIndex((a) => a === '--node' || a.startsWith('--node='))
      if (i >= 0) {
        node = args[i].includes('=') ? args[i].split('=')[1] : args[i + 1]
        args.splice(i, args[i].includes('=') ? 1 : 2)
        if (!node) throw new Error('lab: --node needs a node name (lab-1, lab-2 or lab-3)')
      }
      if (args.length !== 2)
        throw new Error('lab: usage: scenario NAME on|off [--node N] (see `npm run lab -- scenarios`)')
      const { scenario } = await import('./scenarios.ts')
      await scenario(args[0], args[1], { node })
      return 0
    }
    case 'ssh': {
      if (rest.length !== 1) throw new Error('lab: usage: ssh off|on')
      const { setSsh } = await import('./sshswitch.ts')
      await setSsh(rest[0])
      return 0
    }
    case 'proxy-mode': {
      const { setProxyMode } = await import('./proxymode.ts')
      await setProxyMode(rest[0] ?? '')
      return 0
    }
    case 'fanout': {
      const { startExtras, stopExtras } = await import('./fanout.ts')
      const [count, flag, k, ...extra] = rest
      if ((flag !== undefined && flag !== '--blackhole') || (flag && k === undefined) || extra.length) {
        throw new Error(`lab: usage: fanout N [--blackhole K], got: fanout ${rest.join(' ')}`)
      }
      const n = Number(count)
      if (n === 0 && !flag) await stopExtras()
      else await startExtras(n, flag ? Number(k) : 0)
      return 0
    }
    case 'capture': {
      const { capture, captureCrictlOnly, captureMetrics, captureSvc } = await import('./capture.ts')
      if (rest[0] === 'metrics') captureMetrics()
      else if (rest[0] === 'crictl') captureCrictlOnly()
      else if (rest[0] === 'svc') await captureSvc()
      else if (rest[0] === 'kube') await (await import('./capturekube.ts')).captureKube()
      else if (rest[0] === 'triage') await (await import('./capturetriage.ts')).captureTriage(rest[1])
      else if (rest[0] === 'net') await (await import('./capturenet.ts')).captureNet()
      else if (rest[0] === 'refusals') await (await import('./capturerefusals.ts')).captureRefusals()
      else await capture()
      return 0
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(usage)
      return cmd ? 0 : 2
    default:
      console.error(`lab: unknown command "${cmd}"\n${usage}`)
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(String(err?.message ?? err))
    process.exit(1)
  },
)
