// Google Cloud Functions registration (Pub/Sub through Eventarc); entry point name: "machine".
import { registerGcp } from '../../shared/entrypoints/cloud-functions.ts';
import { machineHandler } from './handler.ts';

registerGcp(machineHandler);
