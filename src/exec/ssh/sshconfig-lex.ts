// ssh_config lexing exactly as OpenSSH's readconf.c does it: the keyword, argv_split() for arguments, strdelim() for Match.

/** One config line split the way OpenSSH splits it. */
export interface LexedLine {
  /** Lowercased keyword. */
  keyword: string
  /** Everything after the keyword and its separator (whitespace and at most one '='). */
  rest: string
  /** rest split by argv_split (quotes and backslash escapes honoured, a token starting with # ends the line). */
  args: string[]
  /** 1-based line number. */
  line: number
}

/** A line OpenSSH would count as a bad option; `message` is what ssh prints after "FILE line N: ". */
export interface LexError {
  line: number
  message: string
}

const WS = ' \t\r\n'

/** OpenSSH's strdelim(): the next token, splitting on whitespace, a double-quoted string or one '='; null at the end. */
export function strdelim(state: { s: string | null }): string | null {
  const s = state.s
  if (s === null) return null
  let idx = -1
  for (let i = 0; i < s.length; i++) {
    if (`${WS}"=`.includes(s[i])) {
      idx = i
      break
    }
  }
  if (idx < 0) {
    state.s = null
    return s
  }
  if (s[idx] === '"') {
    const t = s.slice(0, idx) + s.slice(idx + 1)
    const close = t.indexOf('"', idx)
    if (close < 0) {
      state.s = null
      return null // no matching quote
    }
    state.s = skipWs(t.slice(close + 1))
    return t.slice(0, close)
  }
  const eq = s[idx] === '='
  let rest = skipWs(s.slice(idx + 1))
  if (rest[0] === '=' && !eq) rest = skipWs(rest.slice(1))
  state.s = rest
  return s.slice(0, idx)
}

function skipWs(s: string): string {
  let i = 0
  while (i < s.length && WS.includes(s[i])) i++
  return s.slice(i)
}

/** OpenSSH's argv_split(s, terminate_on_comment=1); null when a quote is not closed. */
export function argvSplit(s: string): string[] | null {
  const out: string[] = []
  let i = 0
  while (i < s.length) {
    if (s[i] === ' ' || s[i] === '\t') {
      i++
      continue
    }
    if (s[i] === '#') break
    let quote = ''
    let arg = ''
    for (; i < s.length; i++) {
      const c = s[i]
      if (c === '\\') {
        const n = s[i + 1]
        if (n === "'" || n === '"' || n === '\\' || (!quote && n === ' ')) arg += s[++i]
        else arg += c
      } else if (!quote && (c === ' ' || c === '\t')) {
        break
      } else if (!quote && (c === '"' || c === "'")) {
        quote = c
      } else if (quote && c === quote) {
        quote = ''
      } else {
        arg += c
      }
    }
    if (i >= s.length && quote) return null
    out.push(arg)
  }
  return out
}

/**
 * Splits config text into lines as process_config_line does. Blank and comment lines are dropped; a line ssh
 * rejects before looking at its keyword (no argument, bad quotes) comes back as an error.
 */
export function lexConfig(text: string): (LexedLine | LexError)[] {
  const out: (LexedLine | LexError)[] = []
  const lines = text.split('\n')
  if (lines.length && lines[lines.length - 1] === '') lines.pop()
  lines.forEach((raw, i) => {
    const line = i + 1
    // Strip trailing whitespace (and form feeds), but never the first character (as ssh does).
    let end = raw.length
    while (end > 1 && ' \t\r\n\f'.includes(raw[end - 1])) end--
    const st = { s: raw.slice(0, end) as string | null }
    let keyword = strdelim(st)
    if (keyword === '') keyword = strdelim(st)
    if (keyword === null || keyword === '' || keyword.startsWith('#')) return
    keyword = keyword.toLowerCase()
    const rest = skipWs(st.s ?? '')
    if (!rest) return void out.push({ line, message: `no argument after keyword "${keyword}"` })
    const args = argvSplit(rest)
    if (!args) return void out.push({ line, message: 'invalid quotes' })
    out.push({ keyword, rest, args, line })
  })
  return out
}

/** True for a lexed line (not an error). */
export function isLine(l: LexedLine | LexError): l is LexedLine {
  return 'keyword' in l
}

/**
 * Every keyword OpenSSH's client knows (9.2, with Debian's GSSAPI additions and the keywords later releases
 * added, so a config written for a newer ssh never stops the built-in reader). Anything else is a bad option.
 */
export const KNOWN_KEYWORDS: ReadonlySet<string> = new Set(
  `protocol cipher fallbacktorsh globalknownhostsfile2 rhostsauthentication userknownhostsfile2 useroaming usersh
useprivilegedport afstokenpassing kerberosauthentication kerberostgtpassing rsaauthentication rhostsrsaauthentication
compressionlevel gssapiauthentication gssapidelegatecredentials gssapikeyexchange gssapitrustdns gssapiclientidentity
gssapiserveridentity gssapirenewalforcesrekey gssapikexalgorithms useblacklistedkeys protocolkeepalives setuptimeout
pkcs11provider smartcarddevice forwardagent forwardx11 forwardx11trusted forwardx11timeout exitonforwardfailure
xauthlocation gatewayports passwordauthentication kbdinteractiveauthentication kbdinteractivedevices
challengeresponseauthentication skeyauthentication tisauthentication pubkeyauthentication dsaauthentication
hostbasedauthentication identityfile identityfile2 identitiesonly certificatefile addkeystoagent identityagent hostname
hostkeyalias proxycommand port ciphers macs remoteforward localforward permitremoteopen user host match escapechar
globalknownhostsfile userknownhostsfile connectionattempts batchmode checkhostip stricthostkeychecking compression
tcpkeepalive keepalive numberofpasswordprompts syslogfacility loglevel logverbose dynamicforward preferredauthentications
hostkeyalgorithms casignaturealgorithms bindaddress bindinterface clearallforwardings enablesshkeysign verifyhostkeydns
nohostauthenticationforlocalhost rekeylimit connecttimeout addressfamily serveraliveinterval serveralivecountmax sendenv
setenv controlpath controlmaster controlpersist hashknownhosts include tunnel tunneldevice localcommand permitlocalcommand
remotecommand visualhostkey kexalgorithms ipqos requesttty sessiontype stdinnull forkafterauthentication proxyusefdpass
canonicaldomains canonicalizefallbacklocal canonicalizehostname canonicalizemaxdots canonicalizepermittedcnames
streamlocalbindmask streamlocalbindunlink revokedhostkeys fingerprinthash updatehostkeys hostbasedacceptedalgorithms
hostbasedkeytypes pubkeyacceptedalgorithms pubkeyacceptedkeytypes ignoreunknown proxyjump securitykeyprovider
knownhostscommand requiredrsasize enableescapecommandline tag channeltimeout obscurekeystroketiming refuseconnection
warnweakcrypto versionaddendum`.split(/\s+/),
)
