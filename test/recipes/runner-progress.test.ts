// The runner's progress display: started and stopped per step; the spinner and the plain still-running lines.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { plainProgress, spinner, type Progress } from '../../src/recipes/progress.ts'
import { run, sink, step } from './runner-kit.ts'

test('progress: the runner starts and stops it per step with the step label', async () => {
  const events: string[] = []
  const progress: Progress = {
    start: (l) => events.push(`start ${l}`),
    pause: () => events.push('pause'),
    stop: () => events.push('stop'),
  }
  await run(step('One', '1') + step('Two', '2'), {}, { progress })
  assert.equal(
    events.filter((e) => e.startsWith('start')),
    ['start [1/2] One', 'start [2/2] Two'],
  )
  assert.ok(events.filter((e) => e === 'stop').length >= 2)
})

test('spinner draws frame, label and time on one line and clears it; plain progress prints still-running lines', async () => {
  const out = sink()
  let now = 0
  const sp = spinner(out, { intervalMs: 5, now: () => now })
  sp.start('[1/2] Conditions')
  now = 3000
  await new Promise((r) => setTimeout(r, 30))
  sp.stop()
  await new Promise((r) => setImmediate(r))
  assert.match(out.text(), /^\r\u001b\[2K⠋ \[1\/2\] Conditions 0s\r\u001b\[2K⠙ \[1\/2\] Conditions 3s/)
  assert.ok(out.text().endsWith('\r\u001b[2K'))
  const plain = sink()
  const pp = plainProgress(plain, { everyMs: 5, now: () => now })
  now = 0
  pp.start('[2/2] Slow')
  now = 12_000
  await new Promise((r) => setTimeout(r, 20))
  pp.stop()
  const before = plain.text()
  await new Promise((r) => setTimeout(r, 20))
  assert.match(before, '  … still running: [2/2] Slow (12s)\n')
  assert.is(plain.text(), before, 'no lines after stop()')
})

test.run()
