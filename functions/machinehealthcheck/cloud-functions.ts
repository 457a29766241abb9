// Google Cloud Functions registration (Pub/Sub through Eventarc); entry point name: "machinehealthcheck".
import { registerGcp } from '../../shared/entrypoints/cloud-functions.ts';
import { machineHealthCheckHandler } from './handler.ts';

registerGcp(machineHealthCheckHandler);
