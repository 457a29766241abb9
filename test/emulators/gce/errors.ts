// Google's JSON error shape, as Compute Engine returns it:
//   {"error":{"code":404,"message":"The resource '…' was not found","errors":[{"domain":"global","reason":"notFound","message":"…"}]}}

export class GceHttpError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }

  body(): Record<string, unknown> {
    return {
      error: {
        code: this.status,
        message: this.message,
        errors: [
          {
            domain: this.status === 403 && this.reason.endsWith('RateLimitExceeded') ? 'usageLimits' : 'global',
            reason: this.reason,
            message: this.message,
          },
        ],
      },
    };
  }
}

export const notFound = (resource: string) =>
  new GceHttpError(404, 'notFound', `The resource '${resource}' was not found`);
export const alreadyExists = (resource: string) =>
  new GceHttpError(409, 'alreadyExists', `The resource '${resource}' already exists`);
export const invalid = (field: string, value: unknown, why: string) =>
  new GceHttpError(400, 'invalid', `Invalid value for field '${field}': '${String(value)}'. ${why}`);
export const badRequest = (message: string) => new GceHttpError(400, 'badRequest', message);
