// The plugins serverless-esbuild loads (`custom.esbuild.plugins` in serverless.yml): the AWS bundles get what
// scripts/build.ts gives the Azure and Google ones.
import { buildTimeData } from './build-time-data.ts';
import { lazyBuiltins } from './lazy-builtins.ts';

export default [lazyBuiltins, buildTimeData];
