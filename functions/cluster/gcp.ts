// Google Cloud Functions registration (Pub/Sub through Eventarc); entry point name: "cluster".
import { registerGcp } from '../../shared/entrypoints/gcp.ts';
import { clusterHandler } from './handler.ts';

registerGcp(clusterHandler);
