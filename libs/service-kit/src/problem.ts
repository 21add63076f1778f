/**
 * RFC 9457 problem details. `errors` names each offending field, so a client can point at it.
 */
export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

/**
 * Thrown by route handlers for an expected failure; the error handler renders it as
 * problem+json. `slug` becomes the problem type URI, stable for clients to branch on.
 */
export class ProblemError extends Error {
  readonly status: number;
  readonly slug: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    slug: string,
    detail: string,
    options: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.status = status;
    this.slug = slug;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export function problemType(slug: string): string {
  return `https://fanout.dev/problems/${slug}`;
}

export function buildProblem(
  status: number,
  slug: string,
  detail: string,
  instance: string,
  errors?: FieldError[],
): ProblemDetails {
  const problem: ProblemDetails = {
    type: problemType(slug),
    title: statusTitle(status),
    status,
    detail,
    instance,
  };
  if (errors && errors.length > 0) problem.errors = errors;
  return problem;
}
