// Google Cloud Functions registration (Pub/Sub through Eventarc); entry point name: "machineset".
import { registerGcp } from '../../shared/entrypoints/cloud-functions.ts';
import { machineSetHandler } from './handler.ts';

registerGcp(machineSetHandler);
