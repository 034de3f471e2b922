// Which names carry secrets (env variables, fields, Secret types) and which values are never secrets. Pure.

/** What every redacted value is replaced with. */
export const REDACTED = '<redacted>'

// Words that make a name secret-bearing, wherever they stand in it.
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'secret',
  'secrets',
  'token',
  'apikey',
  'privatekey',
  'credential',
  'credentials',
  'creds',
  'auth',
  'authorization',
  'pin',
  'otp',
])
// Words that make a field named `…Key` a secret (apiKey, client-key-data, tls.key); `snapshotKey`, `sortKey` are not.
const KEY_QUALIFIERS = new Set([
  'api',
  'private',
  'secret',
  'access',
  'client',
  'signing',
  'sign',
  'encryption',
  'enc',
  'master',
  'tls',
  'ssl',
  'ssh',
  'auth',
  'session',
  'account',
  'shared',
  'storage',
  'root',
  'hmac',
  'aes',
  'jwt',
  'license',
  'admin',
  'webhook',
  'sas',
  'subscription',
  'crypt',
  'cipher',
  'gpg',
  'pgp',
])
// A last word that makes the value a description of the secret, not the secret (TOKEN_FILE, secretName, keyId).
const META_WORDS = new Set([
  'file',
  'files',
  'path',
  'paths',
  'dir',
  'name',
  'names',
  'ref',
  'refs',
  'type',
  'kind',
  'url',
  'uri',
  'endpoint',
  'length',
  'len',
  'size',
  'ttl',
  'timeout',
  'seconds',
  'secs',
  'expiry',
  'expires',
  'expiration',
  'id',
  'ids',
  'count',
  'enabled',
  'mode',
  'sock',
  'socket',
  'format',
  'version',
  'policy',
  'provider',
  'source',
  'selector',
  'namespace',
  'header',
  'env',
  'var',
  'audience',
  'issuer',
  'algorithm',
  'method',
  'required',
  'min',
  'max',
  'rotation',
  'style',
])

/** A name split into lower-case words: DB_PASSWORD, clientSecret, client-key-data, tls.key. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
}

// Cheap first look: a name without any of these cannot be secret-bearing.
const MAYBE = /pass|pwd|secret|token|key|cred|auth|pin|otp/i

function secretWords(words: string[], keyAlone: boolean): boolean {
  if (
    words.length === 0 ||
    META_WORDS.has(words[words.length - 1]) ||
    words.includes('public') ||
    words.includes('pub')
  )
    return false
  if (words.length === 1 && words[0] === 'pwd') return false // the shell's working directory, not DB_PWD
  if (words.some((w) => SECRET_WORDS.has(w))) return true
  if (!words.includes('key')) return false
  // An env variable named KEY or …_KEY holds a key (STRIPE_KEY); a field needs a qualifier: `key` alone is a label,
  // toleration or selector key, `snapshotKey` a hash.
  return keyAlone || words.some((w) => KEY_QUALIFIERS.has(w))
}

/** An environment variable whose value is a secret: PASSWORD, DB_PASSWORD, API_TOKEN, AWS_SECRET_ACCESS_KEY, KEY… (case-insensitive). */
export function isSecretEnvName(name: string): boolean {
  return MAYBE.test(name) && secretWords(nameWords(name), true)
}

/** A field (YAML/JSON/inspect key) whose value is a secret: token, password, client-key-data, clientSecret, apiKey; not `key`, `snapshotKey`, `secretName`, `tokenFile`. */
export function isSecretField(name: string): boolean {
  return MAYBE.test(name) && secretWords(nameWords(name), false)
}

/** Secret types of the API (a `type:` that marks an object with `data` as a Secret). */
export const SECRET_TYPE =
  /^(?:Opaque|kubernetes\.io\/[\w.-]+|bootstrap\.kubernetes\.io\/token|helm\.sh\/release\.v\d+)$/

// Values that are never secrets, even under a secret-sounding field name.
const HARMLESS =
  /^(?:true|false|null|nil|undefined|none|<none>|<unset>|[{[]|[|>][-+0-9]*|<set to the key .*>.*|\[(?:Object|Array|Getter|Setter|Getter\/Setter|Circular \*\d+|Function[^\]]*)\]|\d+ bytes|\*+|REDACTED|DATA\+OMITTED|<redacted>)$/i

/** True for values a secret-named field may hold without being a secret: unquoted booleans, null, `<none>`, describe's `N bytes`; quoted, only an empty or redacted value. */
export function isHarmless(value: string, quoted = false): boolean {
  const v = value.trim()
  return v === '' || v.includes(REDACTED) || (!quoted && HARMLESS.test(v))
}

/** True for a key file's path under a field named only by `key` (kubeconfig `client-key: /path/key.pem`): kept. A `token: /x/y` is not a path. */
export function isKeyPath(field: string, value: string): boolean {
  return (
    /^(?:~|\.{1,2})?\/[\w.@+-]+(?:\/[\w.@+-]+)+$/.test(value.trim()) &&
    !nameWords(field).some((w) => SECRET_WORDS.has(w))
  )
}
