export * from './backoff.ts';
export * from './dispatch.ts';
export * from './errors.ts';
export * from './handler.ts';
export * from './logger.ts';
export * from './mappers.ts';
