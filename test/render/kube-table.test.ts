// renderTable alignment and colour switches (FORCE_COLOR > NO_COLOR > preferred > TTY).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { colorEnabled, paint, renderTable } from '../../src/render/table.ts'

test('columns are aligned with 3 spaces; trailing space trimmed; missing cells empty', () => {
  const t = renderTable(
    ['NAME', 'READY', 'STATUS'],
    [
      ['web-1', '1/1', 'Running'],
      ['a', '0/1'],
      [null, 2, undefined],
    ],
    { color: false },
  )
  assert.is(t, ['NAME    READY   STATUS', 'web-1   1/1     Running', 'a       0/1', '        2'].join('\n'))
})

test('empty: default message, custom message, or header only', () => {
  assert.is(renderTable(['A'], [], { color: false }), 'No resources found.')
  assert.is(renderTable(['A'], [], { color: false, empty: 'nothing' }), 'nothing')
  assert.is(renderTable(['A', 'B'], [], { color: false, empty: '' }), 'A   B')
})

test('styled cells: colour codes never shift columns; no codes when colour is off', () => {
  const rows = [
    [{ text: 'x', style: 'red' as const }, 'y'],
    ['longer', 'z'],
  ]
  const plain = renderTable(['H1', 'H2'], rows, { color: false })
  assert.not.match(plain, /\x1b\[/)
  const col = renderTable(['H1', 'H2'], rows, { color: true })
  assert.match(col, /\x1b\[31mx\x1b\[39m/)
  assert.is(col.replace(/\x1b\[[0-9;]*m/g, ''), plain)
})

test('newlines in cells are flattened; last column clipped when asked', () => {
  const t = renderTable(
    ['A', 'MSG'],
    [
      ['1', 'first\n  second'],
      ['2', 'x'.repeat(20)],
    ],
    { color: false, maxLastWidth: 12 },
  )
  assert.is(t.split('\n')[1], '1   first second')
  assert.is(t.split('\n')[2], `2   ${'x'.repeat(11)}…`)
})

test('colorEnabled: FORCE_COLOR wins, then NO_COLOR, then preferred, then TTY', () => {
  assert.is(colorEnabled(false, { FORCE_COLOR: '1' }), true)
  assert.is(colorEnabled(true, { FORCE_COLOR: '0' }), false)
  assert.is(colorEnabled(true, { FORCE_COLOR: 'false', NO_COLOR: '' }), false)
  assert.is(colorEnabled(false, { FORCE_COLOR: '', NO_COLOR: '1' }), true) // FORCE_COLOR set (even empty) beats NO_COLOR
  assert.is(colorEnabled(true, { NO_COLOR: '1' }), false)
  assert.is(colorEnabled(true, { NO_COLOR: '' }), true) // empty NO_COLOR does not count
  assert.is(colorEnabled(false, {}), false)
  assert.is(colorEnabled(undefined, {}), Boolean(process.stdout.isTTY))
})

test('paint', () => {
  assert.is(paint('x', 'green', false), 'x')
  assert.is(paint('x', undefined, true), 'x')
  assert.is(paint('x', 'green', true), '\x1b[32mx\x1b[39m')
  assert.is(paint('', 'green', true), '')
})

test.run()
