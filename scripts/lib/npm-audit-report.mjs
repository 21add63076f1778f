// Reads what `npm audit --json` printed and decides what it means, without trusting the exit
// code alone: npm exits 1 both when it found advisories and when it could not ask for them.
//
// Three outcomes matter to `npm test`:
// - `clean`: the advisory service answered and nothing is high or critical;
// - `vulnerable`: it answered and something is high or critical (a failure);
// - `unavailable`: the advisory service could not be asked or answered with an error, so nothing
//   was checked (never a pass);
// and `error` for anything else npm could not do (no lock file, output that is not JSON).

/** Severities at or above `--audit-level=high`. */
export const BLOCKING_SEVERITIES = ['critical', 'high'];

// Codes of the registry or the network, not of this checkout: the advisory service is unreachable.
const NETWORK_CODES =
  /^(E\d{3}|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ESOCKETTIMEDOUT|ENETUNREACH|EHOSTUNREACH|EPROTO|EAUDITNOLOCK_NETWORK|CERT_\w+|UNABLE_TO_\w+|SELF_SIGNED_\w+|DEPTH_ZERO_SELF_SIGNED_CERT|FETCH_ERROR|ERR_SOCKET_\w+)$/;

function oneLine(text, max = 240) {
  const line = String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The JSON document npm printed, or undefined when stdout holds none. */
function parseJson(stdout) {
  const text = String(stdout ?? '').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // npm may print a notice before the document: try from the first brace.
    const start = text.indexOf('{');
    if (start <= 0) return undefined;
    try {
      return JSON.parse(text.slice(start));
    } catch {
      return undefined;
    }
  }
}

function isReport(json) {
  return (
    json !== null &&
    typeof json === 'object' &&
    json.vulnerabilities !== null &&
    typeof json.vulnerabilities === 'object' &&
    json.metadata !== null &&
    typeof json.metadata === 'object' &&
    typeof json.metadata.vulnerabilities === 'object'
  );
}

/** npm's JSON error document: `{ message, statusCode, uri }` or `{ error: { code, summary } }`. */
function describeError(json) {
  const nested = json && typeof json.error === 'object' && json.error !== null ? json.error : {};
  const code = typeof json?.code === 'string' ? json.code : nested.code;
  const status = typeof json?.statusCode === 'number' ? json.statusCode : undefined;
  const message = oneLine(json?.message || nested.summary || nested.detail || '');
  return { code: typeof code === 'string' ? code : undefined, status, message };
}

function findingOf(name, vulnerability) {
  const via = Array.isArray(vulnerability.via) ? vulnerability.via : [];
  const advisories = via
    .filter((item) => item !== null && typeof item === 'object')
    .map((item) => ({
      title: oneLine(item.title ?? ''),
      severity: String(item.severity ?? ''),
      url: String(item.url ?? ''),
    }));
  const through = via.filter((item) => typeof item === 'string');
  return {
    name: String(vulnerability.name ?? name),
    severity: String(vulnerability.severity),
    range: String(vulnerability.range ?? ''),
    advisories,
    through,
  };
}

/**
 * Classifies one run of `npm audit --json`.
 * @param {{ status: number | null, stdout?: string, stderr?: string, error?: Error, timedOut?: boolean }} run
 */
export function classifyAudit(run) {
  if (run.timedOut) {
    return { kind: 'unavailable', reason: 'npm audit did not answer in time (advisory service)' };
  }
  if (run.error) {
    return { kind: 'error', reason: `npm audit could not run: ${oneLine(run.error.message)}` };
  }
  const json = parseJson(run.stdout);
  if (isReport(json)) {
    const counts = json.metadata.vulnerabilities;
    const dependencies = json.metadata.dependencies?.total;
    const findings = Object.entries(json.vulnerabilities)
      .filter(([, v]) => v && BLOCKING_SEVERITIES.includes(v.severity))
      .map(([name, v]) => findingOf(name, v))
      .sort(
        (a, b) =>
          BLOCKING_SEVERITIES.indexOf(a.severity) - BLOCKING_SEVERITIES.indexOf(b.severity) ||
          a.name.localeCompare(b.name),
      );
    return findings.length > 0
      ? { kind: 'vulnerable', findings, counts, dependencies }
      : { kind: 'clean', counts, dependencies };
  }
  const stderr = String(run.stderr ?? '');
  if (json !== undefined) {
    const { code, status, message } = describeError(json);
    const network =
      status !== undefined ||
      (code !== undefined && NETWORK_CODES.test(code)) ||
      /audit endpoint returned an error/i.test(stderr);
    const label = status !== undefined ? `HTTP ${status}` : code;
    const reason =
      label && !message.includes(String(status ?? code))
        ? `${label}: ${message}`
        : message || label;
    return network
      ? { kind: 'unavailable', reason: reason || 'the audit endpoint returned an error' }
      : { kind: 'error', reason: `npm audit failed: ${reason || 'no reason given'}` };
  }
  const lastError = stderr
    .split('\n')
    .map((line) => line.replace(/^npm (error|ERR!|warn)\s*/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('A complete log'))
    .at(-1);
  if (/audit endpoint returned an error|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN/i.test(stderr)) {
    return { kind: 'unavailable', reason: oneLine(lastError ?? 'the audit endpoint failed') };
  }
  return {
    kind: 'error',
    reason: `npm audit printed no report (exit ${run.status}): ${oneLine(lastError ?? 'no output')}`,
  };
}

/** Exit codes of scripts/check-audit.mjs; scripts/test.mjs reads 3 as "not checked". */
export const EXIT = { clean: 0, vulnerable: 1, error: 2, unavailable: 3 };

function countsLine(counts) {
  return ['critical', 'high', 'moderate', 'low', 'info']
    .map((severity) => `${counts?.[severity] ?? 0} ${severity}`)
    .join(', ');
}

/** What the check prints: lines for a human, the last one the verdict. */
export function formatAudit(result) {
  switch (result.kind) {
    case 'clean':
      return [
        `npm audit: no high or critical advisories in ${result.dependencies ?? '?'} dependencies (${countsLine(result.counts)})`,
      ];
    case 'vulnerable': {
      // Packages that carry an advisory, each with its URL; packages affected only through
      // them (often dozens) are summarized on one line.
      const lines = [];
      const through = [];
      for (const f of result.findings) {
        const urls = f.advisories.map((a) => a.url).filter(Boolean);
        if (urls.length === 0) {
          through.push(f.name);
          continue;
        }
        lines.push(
          `  ${f.severity.padEnd(8)} ${f.name}${f.range ? ` ${f.range}` : ''}  ${urls.join(' ')}`,
        );
      }
      if (through.length > 0) {
        const shown = through.slice(0, 10).join(', ');
        const more = through.length > 10 ? ` and ${through.length - 10} more` : '';
        lines.push(`  affected through them: ${shown}${more}`);
      }
      lines.push(
        `npm audit: ${result.findings.length} package(s) with high or critical advisories (${countsLine(result.counts)}); see \`npm audit\``,
      );
      return lines;
    }
    case 'unavailable':
      return [`NOT CHECKED: npm audit — advisory service unreachable (${result.reason})`];
    default:
      return [`npm audit failed: ${result.reason}`];
  }
}
