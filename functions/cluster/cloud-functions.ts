// Google Cloud Functions registration (Pub/Sub through Eventarc); entry point name: "cluster".
import { registerGcp } from '../../shared/entrypoints/cloud-functions.ts';
import { clusterHandler } from './handler.ts';

registerGcp(clusterHandler);
