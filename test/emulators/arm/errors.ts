// ARM's error shape, as every resource provider returns it:
//   {"error":{"code":"ResourceNotFound","message":"…","target"?:"…","details"?:[…]}}
// The HTTP status and the code travel together; throttling adds Retry-After.

export class ArmHttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly target: string | undefined;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    code: string,
    message: string,
    o: { target?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.target = o.target;
    this.headers = o.headers ?? {};
  }

  body(): Record<string, unknown> {
    return { error: { code: this.code, message: this.message, ...(this.target ? { target: this.target } : {}) } };
  }
}

export const resourceNotFound = (type: string, name: string, rg: string) =>
  new ArmHttpError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
export const resourceGroupNotFound = (rg: string) =>
  new ArmHttpError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
export const invalidParameter = (target: string, message: string) =>
  new ArmHttpError(400, 'InvalidParameter', message, { target });
