// OpenStack's error shapes, per service (reference §1.7, §1.9): Nova and Cinder wrap the message in a key named
// after the fault (`itemNotFound`, `badRequest`, `forbidden`, `conflictingRequest`, `overLimit`), Neutron in
// `NeutronError{type,message,detail}`, Keystone and Glance in `error{code,title,message}`.

export type Service = 'identity' | 'compute' | 'network' | 'image' | 'volume';

export class OsHttpError extends Error {
  readonly status: number;
  /** Neutron's exception type (`PortNotFound`, `OverQuota`); the other services ignore it. */
  readonly type: string;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, type = '', headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.type = type;
    this.headers = headers;
  }
}

const NOVA_KEYS: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  406: 'notAcceptable',
  409: 'conflictingRequest',
  413: 'overLimit',
  429: 'overLimit',
  500: 'computeFault',
  503: 'serviceUnavailable',
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The body a service answers an error with. */
export function errorBody(service: Service, e: OsHttpError): unknown {
  switch (service) {
    case 'compute':
    case 'volume': {
      const key = NOVA_KEYS[e.status] ?? 'computeFault';
      const retry = e.headers['retry-after'];
      return { [key]: { code: e.status, message: e.message, ...(retry ? { retryAfter: retry } : {}) } };
    }
    case 'network':
      return {
        NeutronError: {
          type: e.type || TITLES[e.status]?.replace(/ /g, '') || 'Error',
          message: e.message,
          detail: '',
        },
      };
    default:
      return { error: { code: e.status, title: TITLES[e.status] ?? 'Error', message: e.message } };
  }
}

export const badRequest = (m: string) => new OsHttpError(400, m, 'BadRequest');
export const notFound = (m: string, type = 'NotFound') => new OsHttpError(404, m, type);
export const conflict = (m: string, type = 'Conflict') => new OsHttpError(409, m, type);
export const unauthorized = () =>
  new OsHttpError(401, 'The request you have made requires authentication.', 'Unauthorized', {
    'www-authenticate': 'Keystone uri="/identity"',
  });
