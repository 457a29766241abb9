#!/usr/bin/env node
// The command line lives in TypeScript; Node >= 22.18 runs it directly (type stripping).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`capi-fn needs Node.js >= 22.18 (this is ${process.version}). See README.md, "Requirements".\n`);
  process.exit(1);
}
await import('../local/cli/main.ts');
