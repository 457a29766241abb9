// Azure Functions v4 registration (queue and Event Grid triggers).
import { registerAzure } from '../../shared/entrypoints/azure-functions.ts';
import { machineHealthCheckHandler } from './handler.ts';

registerAzure(machineHealthCheckHandler);
