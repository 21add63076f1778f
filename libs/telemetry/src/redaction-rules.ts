// One set of rules decides what is personal data or a secret, for span attributes and log
// fields alike, so a field redacted in logs is never readable in Jaeger (or the reverse).
//
// Two tests, both cheap enough for the export path:
// - by key: the attribute or field name says what it holds (`user.email`, `password`,
//   `http.request.header.authorization`); the whole value is replaced;
// - by value: a free-text value contains an email address, a bearer token, URL credentials or a
//   query parameter whose name the key rules call sensitive (`?x-api-key=`, `&phone=`), in
//   `url.full`, `exception.message` or a logged `req.url`; only the matching part is replaced.
// Phone numbers and postal addresses have no reliable value pattern (ids and timestamps look
// alike), so they are caught by key only: name fields for what they hold.

export const REDACTED = '[REDACTED]';
export const REDACTED_EMAIL = '[REDACTED:email]';

/** Key segments (lower case, `_`/`-` removed) that are secrets wherever they appear. */
const SECRET_FRAGMENTS = [
  'authorization',
  'cookie',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'privatekey',
  'credential',
  'sessionid',
  'signature',
];

/** Key segments that are personal data on their own. */
const PERSONAL_SEGMENTS = new Set([
  'email',
  'emailaddress',
  'mail',
  'phone',
  'phonenumber',
  'mobile',
  'telephone',
  'firstname',
  'lastname',
  'fullname',
  'givenname',
  'familyname',
  'middlename',
  'surname',
  'displayname',
  'username',
  'street',
  'streetaddress',
  'addressline1',
  'addressline2',
  'postalcode',
  'postcode',
  'zipcode',
  'zip',
  'dateofbirth',
  'birthdate',
  'dob',
  'ssn',
  'iban',
  'cardnumber',
]);

/** Segments ending like this are personal data (`shippingAddress`, `contactEmail`, `homePhone`). */
const PERSONAL_SUFFIXES = ['email', 'phone', 'address'];

/**
 * `name`, `address` and `city` are only personal after a segment that names a person; this keeps
 * `service.name`, `messaging.destination.name` and `server.address` readable.
 */
const PERSON_SEGMENTS = new Set([
  'user',
  'customer',
  'recipient',
  'person',
  'contact',
  'sender',
  'owner',
  'enduser',
  'billing',
  'shipping',
  'home',
  'postal',
  'mailing',
  'delivery',
]);
const PERSON_QUALIFIED = new Set(['name', 'address', 'city']);

/** Network addresses in the semantic conventions (`server.address`, `client.address`...). */
const NETWORK_ADDRESS_KEYS =
  /(^|\.)(server|client|peer|local|source|destination|host|net|sock|network)\.address$/;

/** Compound segments that end in `address` but name a socket, not a home (Fastify logs `remoteAddress`). */
const NETWORK_ADDRESS_SEGMENTS = new Set([
  'serveraddress',
  'clientaddress',
  'peeraddress',
  'remoteaddress',
  'localaddress',
  'ipaddress',
  'macaddress',
  'hostaddress',
  'listenaddress',
  'bindaddress',
  'socketaddress',
  'brokeraddress',
]);

const keyCache = new Map<string, boolean>();
const KEY_CACHE_LIMIT = 2_000;

function segmentsOf(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1.$2')
    .toLowerCase()
    .split('.')
    .map((segment) => segment.replace(/[^a-z0-9]/g, ''))
    .filter((segment) => segment.length > 0);
}

function decideKey(key: string): boolean {
  const lower = key.toLowerCase();
  if (NETWORK_ADDRESS_KEYS.test(lower)) return false;
  const compact = lower.replace(/[^a-z0-9]/g, '');
  if (SECRET_FRAGMENTS.some((fragment) => compact.includes(fragment))) return true;
  // Camel case is split into segments too: `shippingAddress` -> shipping.address.
  const raw = lower.split('.').map((s) => s.replace(/[^a-z0-9]/g, ''));
  const camel = segmentsOf(key);
  for (const segments of [raw, camel]) {
    for (let i = 0; i < segments.length; i += 1) {
      const segment = segments[i] as string;
      if (PERSONAL_SEGMENTS.has(segment)) return true;
      if (
        PERSONAL_SUFFIXES.some((s) => segment.endsWith(s) && segment !== s) &&
        !NETWORK_ADDRESS_SEGMENTS.has(segment)
      ) {
        return true;
      }
      if (
        PERSON_QUALIFIED.has(segment) &&
        i > 0 &&
        PERSON_SEGMENTS.has(segments[i - 1] as string)
      ) {
        return true;
      }
      // `address.street`, `address.city`: an address record below any key.
      if (segment === 'address' && i < segments.length - 1) return true;
    }
  }
  return false;
}

/** True when a field or attribute named `key` holds personal data or a secret. */
export function isSensitiveKey(key: string): boolean {
  const cached = keyCache.get(key);
  if (cached !== undefined) return cached;
  const decision = decideKey(key);
  // Keys are a small, mostly fixed set; the cap only guards against keys built from data.
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
  keyCache.set(key, decision);
  return decision;
}

// `%40` is an encoded `@`, as in `?email=ada%40example.com`. No class below crosses a quote or a
// backslash, so scrubbing a whole JSON log line never eats into the next field.
const EMAIL = /[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:"\\]+:[^\s/@"\\]+@/gi;
/**
 * A query parameter, after `?`, `&` or `;`, or at the very start (`url.query` has no `?`); the
 * name decides (by the key rules above) whether its value is kept.
 */
const QUERY_PARAM = /(^|[?&;])([^=&#?;\s"\\]{1,100})=([^&#;\s"\\]*)/g;
/** Short names that are secrets only as query parameters (`?key=`, `?sig=`). */
const SECRET_QUERY_NAMES = new Set(['key', 'sig']);

function isSensitiveQueryName(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    // a malformed escape: judge the raw name
  }
  return SECRET_QUERY_NAMES.has(decoded.toLowerCase()) || isSensitiveKey(decoded);
}

function scrubQuery(match: string, separator: string, name: string, value: string): string {
  return value !== '' && isSensitiveQueryName(name) ? `${separator}${name}=${REDACTED}` : match;
}

/** Replaces emails, bearer/basic credentials, URL credentials and sensitive query values inside a string. */
/** Every pattern above needs one of these markers; most values (ids, routes) have none. */
const MARKERS = /[=@]|%40|bearer|basic/i;

export function scrubString(value: string): string {
  if (!MARKERS.test(value)) return value;
  let out = value;
  if (out.includes('=')) out = out.replace(QUERY_PARAM, scrubQuery);
  if (out.includes('@') || out.includes('%40')) {
    out = out.replace(URL_CREDENTIALS, `$1${REDACTED}@`).replace(EMAIL, REDACTED_EMAIL);
  }
  if (/bearer|basic/i.test(out)) out = out.replace(BEARER, `$1 ${REDACTED}`);
  return out;
}

/** The value to keep for `key`: fully redacted when the key is sensitive, scrubbed when it is text. */
export function redactValue<T>(key: string, value: T): T | string {
  if (isSensitiveKey(key)) return REDACTED;
  if (typeof value === 'string') return scrubString(value);
  if (Array.isArray(value)) {
    return value.map((item: unknown) =>
      typeof item === 'string' ? scrubString(item) : item,
    ) as unknown as T;
  }
  return value;
}

/**
 * Keys the logger redacts with pino's compiled `redact` paths (top level and one level down).
 * `name` and `address` are left to the contextual rules above: pino's own `name` and a server's
 * listen `address` are not personal.
 */
export const SENSITIVE_LOG_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'password',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'api_key',
  'x-api-key',
  'email',
  'phone',
  'firstName',
  'lastName',
  'fullName',
  'street',
  'postalCode',
  'dateOfBirth',
];
