// Google Cloud Functions registration (Pub/Sub through Eventarc); entry point name: "cluster-capi-operator".
// One instance at a time: deploy with max instances 1 and concurrency 1.
import { registerGcp } from '../../shared/entrypoints/cloud-functions.ts';
import { operatorHandler, webhookFromEnv } from './index.ts';

const webhook = webhookFromEnv();

registerGcp(operatorHandler(webhook ? { webhook } : {}));
