// The name rules of kinspect's arguments, in one place: DNS labels (namespaces, services), DNS subdomains (pods,
// nodes), references ("namespace/name"), API object names and label keys as the API accepts them in requests, and
// DNS names as an application asks for them (dnsQuery).
import { HintedError, received } from './errors.ts'

/** The longest DNS label (RFC 1123), e.g. a namespace. */
export const DNS_LABEL_MAX = 63
/** The longest DNS subdomain (RFC 1123), e.g. a pod or node name. */
export const DNS_SUBDOMAIN_MAX = 253

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const DNS_LABEL = new RegExp(`^(?=.{1,${DNS_LABEL_MAX}}$)${LABEL}$`)
const DNS_SUBDOMAIN = new RegExp(`^(?=.{1,${DNS_SUBDOMAIN_MAX}}$)${LABEL}(\\.${LABEL})*$`)
// As resolvers accept them: letters of either case, digits, '_' (SRV names) and '-' inside labels of at most 63,
// a leading '*' label, an optional trailing dot (absolute), at most 253 characters before it.
const DNS_NAME =
  /^(?=.{1,254}$)([A-Za-z0-9_*]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/

/** A DNS label (RFC 1123): 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit. */
export function isDnsLabel(s: unknown): s is string {
  return typeof s === 'string' && DNS_LABEL.test(s)
}

/** A DNS subdomain (RFC 1123): at most 253 characters, labels as isDnsLabel joined by '.'. */
export function isDnsSubdomain(s: unknown): s is string {
  return typeof s === 'string' && DNS_SUBDOMAIN.test(s)
}

/** A node name: a DNS subdomain, as the API server requires. */
export function isNodeName(s: unknown): s is string {
  return isDnsSubdomain(s)
}

/** "name" or "namespace/name" (namespace a DNS label) whose name passes isName; undefined when it is not one. */
function parseRef(s: unknown, isName: (name: string) => boolean): { namespace?: string; name: string } | undefined {
  if (typeof s !== 'string') return undefined
  const parts = s.split('/')
  if (parts.length > 2) return undefined
  const [namespace, name] = parts.length === 2 ? parts : [undefined, parts[0]]
  if (namespace !== undefined && !isDnsLabel(namespace)) return undefined
  if (!isName(name)) return undefined
  return namespace === undefined ? { name } : { namespace, name }
}

/** A pod reference, "name" or "namespace/name" (the name a DNS subdomain); undefined when it is not one. */
export function parsePodRef(s: unknown): { namespace?: string; name: string } | undefined {
  return parseRef(s, isDnsSubdomain)
}

/** A service reference, "name" or "namespace/name" (a Service name is a DNS label); undefined when it is not one. */
export function parseServiceRef(s: unknown): { namespace?: string; name: string } | undefined {
  return parseRef(s, isDnsLabel)
}

const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/
const LABEL_KEY = /^([A-Za-z0-9][-A-Za-z0-9_.]*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/

/** The name of any API object as a request path takes it (RBAC names like "system:coredns" included); no "/". */
export function isObjectName(s: unknown): s is string {
  return typeof s === 'string' && OBJECT_NAME.test(s)
}

/** A label key: an optional "prefix/" and a name of letters, digits, "-", "_" and ".". */
export function isLabelKey(s: unknown): s is string {
  return typeof s === 'string' && LABEL_KEY.test(s)
}

/** A DNS name as an application asks for it ("web", "web.shop.svc.cluster.local.", "_http._tcp.web"). */
export function isDnsName(s: unknown): s is string {
  return typeof s === 'string' && DNS_NAME.test(s)
}

/** The rules checkName and isName know, with what a message says was expected. */
export const NAME_RULES = {
  'dns-label': {
    expected: 'a DNS label (1-63 lowercase letters, digits and "-", starting and ending with a letter or digit)',
    test: isDnsLabel,
  },
  'dns-subdomain': {
    expected: 'a DNS subdomain (at most 253 characters: lowercase letters, digits, "-" and ".")',
    test: isDnsSubdomain,
  },
  node: { expected: 'a node name (lowercase letters, digits, "-" and ".")', test: isNodeName },
  pod: { expected: 'a pod name ("client") or "namespace/name"', test: (s: unknown) => parsePodRef(s) !== undefined },
  service: {
    expected: 'a service name ("web") or "namespace/name"',
    test: (s: unknown) => parseServiceRef(s) !== undefined,
  },
  'dns-name': { expected: 'a DNS name like "web" or "web.shop.svc.cluster.local."', test: isDnsName },
} as const

/** One of NAME_RULES. */
export type NameRule = keyof typeof NAME_RULES

/** A name that breaks its rule (checkName), or an unknown rule. */
export class NameError extends HintedError<'invalid'> {
  override name = 'NameError'
}

function ruleOf(rule: unknown): (typeof NAME_RULES)[NameRule] {
  if (typeof rule === 'string' && Object.prototype.hasOwnProperty.call(NAME_RULES, rule))
    return NAME_RULES[rule as NameRule]
  throw new NameError(
    'invalid',
    `rule: expected one of ${Object.keys(NAME_RULES)
      .map((r) => JSON.stringify(r))
      .join(', ')}, received ${received(rule)}`,
  )
}

/** Whether value follows the rule ('dns-label', 'dns-subdomain', 'node', 'pod', 'service' or 'dns-name'). */
export function isName(rule: NameRule, value: unknown): value is string {
  return ruleOf(rule).test(value)
}

/** Returns value when it follows the rule; else throws NameError "WHAT: expected …, received …". */
export function checkName(rule: NameRule, value: unknown, what = 'name'): string {
  const r = ruleOf(rule)
  if (!r.test(value)) throw new NameError('invalid', `${what}: expected ${r.expected}, received ${received(value)}`)
  return value as string
}
