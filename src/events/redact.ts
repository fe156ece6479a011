/**
 * Secrets that ride along with a request — tokens and keys in the query string, cookies, an
 * Authorization header gw did not consume — stay out of what gw shows and writes: request events
 * carry them redacted, so the plain and JSON logs and the dashboard's detail all get the redacted
 * text without each redacting on its own (issue 12 item 10). Names stay visible, values go.
 */

export const REDACTED = '[redacted]';

/** Query parameters whose values are credentials: `api_key`, `access_token`, `token`, `key` … */
const secretParam =
  /(?:^|[_.-])(?:token|key|secret|password|passwd|pwd|signature|sig|jwt|session|sessionid|auth|code|credentials?)$|^(?:apikey|accesstoken|authtoken|idtoken|refreshtoken|clientsecret|sessid)$/i;
/** A cheap pre-check: a query string without any of these has nothing to redact. */
const mayHoldSecret = /token|key|secret|pass|pwd|sig|jwt|sess|auth|code|credential/i;

/** `/a?api_key=abc&page=2` → `/a?api_key=[redacted]&page=2`; the rest of the text as it was. */
export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q === -1 || !mayHoldSecret.test(url.slice(q))) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1 || eq === pair.length - 1) return pair;
      return secretParam.test(decodeName(pair.slice(0, eq))) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/** Headers that carry credentials or session state (names compared in lowercase). */
const secretHeaders = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
const secretHeaderName = /(?:^|-)(?:api-?key|token|secret|password|session|signature|credentials?)(?:-|$)/;

const verdicts = new Map<string, boolean>();
function isSecretHeader(name: string): boolean {
  let secret = verdicts.get(name);
  if (secret === undefined) {
    const lower = name.toLowerCase();
    secret = secretHeaders.has(lower) || secretHeaderName.test(lower);
    // Header names repeat; a client inventing new ones must not grow this without bound.
    if (verdicts.size > 1_000) verdicts.clear();
    verdicts.set(name, secret);
  }
  return secret;
}

/** The value with its secret part replaced: the auth scheme and cookie names stay readable. */
function redactValue(name: string, value: string): string {
  switch (name.toLowerCase()) {
    case 'authorization':
    case 'proxy-authorization': {
      const space = value.indexOf(' ');
      return space > 0 ? `${value.slice(0, space)} ${REDACTED}` : REDACTED;
    }
    case 'cookie':
      return value
        .split(';')
        .map((part) => {
          const eq = part.indexOf('=');
          return eq === -1 ? part : `${part.slice(0, eq)}=${REDACTED}`;
        })
        .join(';');
    case 'set-cookie': {
      const eq = value.indexOf('=');
      const semi = value.indexOf(';');
      return eq === -1
        ? REDACTED
        : `${value.slice(0, eq)}=${REDACTED}${semi === -1 ? '' : value.slice(semi)}`;
    }
    default:
      return REDACTED;
  }
}

type HeaderValue = string | string[] | number | undefined;

function isHeaderList(
  headers: Record<string, HeaderValue> | readonly string[],
): headers is readonly string[] {
  return Array.isArray(headers);
}

/**
 * The headers with credential values redacted: the same object when there is nothing to redact
 * (the common case costs a lookup per header), else a copy; never the object given, edited.
 */
export function redactHeaders<T extends Record<string, HeaderValue> | readonly string[]>(headers: T): T;
export function redactHeaders(
  headers: Record<string, HeaderValue> | readonly string[],
): Record<string, HeaderValue> | readonly string[] {
  if (isHeaderList(headers)) {
    const list = headers;
    let copy: string[] | undefined;
    for (let i = 0; i + 1 < list.length; i += 2) {
      if (!isSecretHeader(list[i]!)) continue;
      copy ??= [...list];
      copy[i + 1] = redactValue(list[i]!, list[i + 1]!);
    }
    return copy ?? list;
  }
  const record = headers;
  let copy: Record<string, HeaderValue> | undefined;
  for (const name in record) {
    const value = record[name];
    if (value === undefined || !isSecretHeader(name)) continue;
    copy ??= { ...record };
    copy[name] = Array.isArray(value)
      ? value.map((v) => redactValue(name, v))
      : redactValue(name, String(value));
  }
  return copy ?? record;
}

/**
 * Text safe to print on one line: control characters (C0, DEL, C1 such as NEL and the 8-bit CSI,
 * and the Unicode line and paragraph separators) become visible escapes, so a value cannot start a
 * fake log line or drive the terminal.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controlCharacter = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controlCharacters = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g;
const escapeOne = (c: string) => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
};

export function escapeControlCharacters(text: string): string {
  return controlCharacter.test(text) ? text.replace(controlCharacters, escapeOne) : text;
}
