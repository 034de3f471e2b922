// Secrets found by what an object is: a Secret's data, a secret-named env entry, a token/key field of a kubeconfig. Pure.
import { isHarmless, isKeyPath, isSecretEnvName, isSecretField, REDACTED, SECRET_TYPE } from './names.ts'
import type { Finding } from './spans.ts'
import { get, scalarsOf, type MapNode, type Scalar, type Value } from './tree.ts'

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/

/** True when a mapping is a Secret: kind Secret, class V1Secret, stringData, or a Secret type with data. */
export function isSecretMap(m: MapNode, textMentionsSecret: boolean): boolean {
  const kind = get(m, 'kind')
  if (kind?.t === 'scalar') return kind.value === 'Secret'
  if (m.prefix && /\bV1Secret\b/.test(m.prefix)) return true
  if (get(m, 'stringData')?.t === 'map') return true
  const data = get(m, 'data')
  if (data?.t !== 'map') return false
  const type = get(m, 'type')
  if (type?.t === 'scalar' && SECRET_TYPE.test(type.value)) return true
  // No kind at all (output cut off, or a Secret's fields copied out): base64 data in a text that speaks of a Secret.
  const values = scalarsOf(data)
  return textMentionsSecret && !type && values.length > 0 && values.every((s) => BASE64.test(s.value.trim()))
}

function finding(s: Scalar): Finding | undefined {
  if (s.spans.length === 0 || s.value.trim() === '' || s.value.includes(REDACTED)) return undefined
  return { spans: s.spans, value: s.value, by: 'structure' }
}

// `Authorization: Bearer x`: the scheme is not the secret.
function withoutScheme(s: Scalar): Scalar {
  const m = /^(?:bearer|basic|token|negotiate|digest)[ \t]+/i.exec(s.value)
  const first = s.spans[0]
  if (!m || !first || first[1] - first[0] <= m[0].length || s.value.length === m[0].length) return s
  return { ...s, value: s.value.slice(m[0].length), spans: [[first[0] + m[0].length, first[1]], ...s.spans.slice(1)] }
}

/** Every secret under the mappings read from a text: Secret data/stringData, secret env entries, secret-named fields. */
export function structuralFindings(roots: readonly MapNode[], textMentionsSecret: boolean): Finding[] {
  const out: Finding[] = []
  const add = (s: Scalar) => {
    const f = finding(s)
    if (f) out.push(f)
  }
  let budget = 200_000
  const visit = (v: Value | undefined, depth: number): void => {
    if (!v || depth > 100 || --budget < 0) return
    if (v.t === 'list') {
      for (const it of v.items) visit(it, depth + 1)
      return
    }
    if (v.t !== 'map') return
    const secret = isSecretMap(v, textMentionsSecret)
    const name = get(v, 'name')
    const value = get(v, 'value')
    const envSecret = name?.t === 'scalar' && value?.t === 'scalar' && isSecretEnvName(name.value)
    for (const e of v.entries) {
      if (secret && (e.key === 'data' || e.key === 'stringData')) {
        for (const s of scalarsOf(e.value)) add(s)
      } else if (envSecret && e.key === 'value' && e.value.t === 'scalar') {
        add(e.value)
      } else if (e.value.t === 'scalar') {
        if (isSecretField(e.key) && !isHarmless(e.value.value, e.value.quoted) && !isKeyPath(e.key, e.value.value))
          add(withoutScheme(e.value))
      } else visit(e.value, depth + 1)
    }
  }
  for (const r of roots) visit(r, 0)
  return out
}
