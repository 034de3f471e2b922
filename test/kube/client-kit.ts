// Shared by the Kube client tests: a fake TLS API server with a kubeconfig for it, the lab captures they answer with,
// and rejects(), which asserts a KubeError of a kind.
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import { Kube, KubeError, loadKubeconfig } from '../../src/kube/index.ts'
import { FakeApi, fakeKubeconfig, makePki, type Pki } from './fakeapi.ts'
import { capture, captureNs, eventsOf, pick } from './labkube.ts'

// objects captured from the lab (test/fixtures/lab/kube/): a web pod restarted once and crash (CrashLoopBackOff)
// in the capture's namespace, lab-1 with its Lease and pods, shop/web-nodeport with its EndpointSlices
/** The `pods` capture. */
export const pods = capture('pods')
/** The `describe-pod-crash` capture. */
export const crashCap = capture('describe-pod-crash')
/** The `describe-node-lab-1` capture. */
export const nodeCap = capture('describe-node-lab-1')
/** The `describe-svc-web-nodeport` capture. */
export const svcCap = capture('describe-svc-web-nodeport')
/** The crash pod (CrashLoopBackOff), a fresh copy. */
export const crash = () => pick(crashCap.items, 'Pod', 'crash')
/** The events of the crash pod. */
export const crashEvents = () => eventsOf(crashCap.items, crash())
/** The Node lab-1, a fresh copy. */
export const lab1 = () => pick(nodeCap.items, 'Node', 'lab-1')
/** The namespace the captures were made in. */
export const ns = captureNs

/** Awaits p and asserts it rejects with a KubeError of `kind` (message or hint matching re); returns the error. */
export async function rejects(p: Promise<unknown>, kind: string, re?: RegExp): Promise<KubeError> {
  try {
    await p
  } catch (e) {
    assert.instance(e, KubeError, `not a KubeError: ${(e as Error)?.stack}`)
    const k = e as KubeError
    assert.is(k.kind, kind, `kind of: ${k.message}`)
    if (re) assert.match(`${k.message} | ${k.hint ?? ''}`, re)
    return k
  }
  assert.unreachable(`expected a KubeError of kind ${kind}`)
  throw new Error('unreachable')
}

/** A running FakeApi, its PKI, a kubeconfig for it (client certificate and token tok-123) and a Kube on it. */
export interface FakeKube {
  pki: Pki
  api: FakeApi
  kc: string
  kube: Kube
}

/** Starts a FakeApi and makes a kubeconfig and a Kube for it (what the tests' test.before does). */
export async function startFakeKube(): Promise<FakeKube> {
  const pki = makePki()
  const api = new FakeApi(pki)
  try {
    await api.listen()
    const kc = fakeKubeconfig(pki.dir, api.url, pki, { token: 'tok-123' })
    return { pki, api, kc, kube: new Kube(loadKubeconfig({ kubeconfig: kc })) }
  } catch (e) {
    await stopFakeKube({ pki, api })
    throw e
  }
}

/** Closes the Kube and the FakeApi and removes the PKI directory; parts that were never made are skipped. */
export async function stopFakeKube(f: Partial<FakeKube>): Promise<void> {
  f.kube?.close()
  await f.api?.close()
  if (f.pki) fs.rmSync(f.pki.dir, { recursive: true, force: true })
}
