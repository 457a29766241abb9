// Google Cloud Functions registration (Pub/Sub through Eventarc); entry point name: "machine".
import { registerGcp } from '../../shared/entrypoints/gcp.ts';
import { machineHandler } from './handler.ts';

registerGcp(machineHandler);
