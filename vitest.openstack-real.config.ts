// `npm run test:openstack-real`: the OpenStack provider against a real OpenStack (scripts/openstack-real.sh up first);
// not part of `npm test`, whose include patterns do not match *.real.ts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/providers/openstack/*.real.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
