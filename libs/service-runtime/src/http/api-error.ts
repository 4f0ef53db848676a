/**
 * The one JSON shape every error response has, in every service. `code` is stable and meant for
 * programs; `message` is for people; `details` says which fields were wrong.
 */
export interface ApiErrorBody {
  status: number;
  code: string;
  message: string;
  details?: ApiErrorDetail[];
}

export interface ApiErrorDetail {
  field: string;
  problem: string;
}

export const defaultErrorCodes: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'AUTH.TOKEN_MISSING',
  403: 'AUTH.FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

/** An error body in the shared shape, for answers sent outside Nest's exception filter (Fastify hooks). */
export function apiError(status: number, code: string, message: string): ApiErrorBody {
  return { status, code, message };
}
