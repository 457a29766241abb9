// Google Cloud Functions registration (Pub/Sub through Eventarc); entry point name: "machineset".
import { registerGcp } from '../../shared/entrypoints/gcp.ts';
import { machineSetHandler } from './handler.ts';

registerGcp(machineSetHandler);
