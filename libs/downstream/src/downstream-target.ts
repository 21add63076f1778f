import { NonRetriableError } from '@fanout/errors';
import { loadCredential } from './credentials';
import type { Secret } from './credentials';

export interface DownstreamTarget {
  baseUrl: string;
  credential: Secret;
}

/**
 * Resolves `<PREFIX>_API_URL` and `<PREFIX>_API_KEY` or `<PREFIX>_API_KEY_FILE` for a service's
 * config.ts (which passes the environment it read). A bad URL or a missing key fails with
 * FANOUT_CONFIG_INVALID naming the variable, so a consumer refuses to start.
 */
export function downstreamTarget(
  env: Readonly<Record<string, string | undefined>>,
  prefix: string,
): DownstreamTarget {
  const variable = `${prefix}_API_URL`;
  const raw = env[variable]?.trim();
  if (!raw) {
    throw new NonRetriableError('FANOUT_CONFIG_INVALID', `${variable} is missing`, {
      details: { variable },
    });
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new NonRetriableError('FANOUT_CONFIG_INVALID', `${variable} is not a URL`, {
      details: { variable },
    });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    throw new NonRetriableError(
      'FANOUT_CONFIG_INVALID',
      `${variable} must be an http(s) URL without credentials in it`,
      { details: { variable } },
    );
  }
  const credential = loadCredential({
    variable: `${prefix}_API_KEY`,
    value: env[`${prefix}_API_KEY`],
    file: env[`${prefix}_API_KEY_FILE`],
  });
  return { baseUrl: url.toString().replace(/\/+$/, ''), credential };
}
