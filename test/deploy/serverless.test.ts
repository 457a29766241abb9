// serverless.yml is generated from the handler declarations, kept current, and packages offline with
// osls (no login, no credentials), producing one function, queue, DLQ and rule per handler whose
// event pattern is the bus adapter's own routing rule.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloudFunctions } from '../../functions/registry.ts';
import { renderServerlessYaml } from '../../scripts/serverless-config.ts';
import { eventBridgePatternFor } from '../../shared/bus/eventbridge-rules.ts';
import { subscriptionOf } from '../../shared/runtime/handler.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('serverless.yml', () => {
  it('is up to date with the handler declarations', () => {
    expect(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), 'run `npm run gen:serverless`').toBe(
      renderServerlessYaml(),
    );
  });

  it('packages offline with osls: one Lambda, queue, DLQ and rule per handler, schedules for drift and bridge', async () => {
    // Package in a copy so the test never races a developer's own .serverless folder.
    const dir = mkdtempSync(join(tmpdir(), 'capi-fn-sls-'));
    for (const f of ['serverless.yml', 'package.json', 'tsconfig.json']) cpSync(join(ROOT, f), join(dir, f));
    for (const d of ['functions', 'shared', 'local'])
      cpSync(join(ROOT, d), join(dir, d), { recursive: true, filter: (p) => !p.endsWith('.test.ts') });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    await new Promise<void>((resolve, reject) =>
      execFile(
        process.execPath,
        [join(ROOT, 'node_modules/osls/bin/serverless.js'), 'package'],
        { cwd: dir, timeout: 180_000, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } },
        (err, stdout, stderr) =>
          err ? reject(new Error(`osls package failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(),
      ),
    );
    const out = join(dir, '.serverless');
    const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const byType = (t: string) => Object.values(template.Resources).filter((r) => r.Type === t);
    expect(byType('AWS::Events::EventBus')).toHaveLength(1);
    const rules = byType('AWS::Events::Rule').filter((r) => r.Properties.EventPattern);
    expect(rules).toHaveLength(cloudFunctions.length);
    for (const { def } of cloudFunctions) {
      const rule = rules.find((r) => r.Properties.Name === `capifn-${def.name}`);
      expect(rule, def.name).toBeDefined();
      expect(rule!.Properties.EventPattern).toEqual(eventBridgePatternFor(subscriptionOf(def)));
    }
    expect(byType('AWS::SQS::Queue')).toHaveLength(cloudFunctions.length * 2);
    expect(byType('AWS::Lambda::EventSourceMapping')).toHaveLength(cloudFunctions.length);
    const schedules = byType('AWS::Events::Rule').filter((r) => r.Properties.ScheduleExpression);
    expect(schedules.map((r) => r.Properties.ScheduleExpression)).toEqual(['rate(5 minutes)', 'rate(5 minutes)']);
    const zips = readdirSync(out)
      .filter((f) => f.endsWith('.zip'))
      .sort();
    expect(zips).toEqual([...cloudFunctions.map((f) => `${f.def.name}.zip`), 'bridge.zip', 'drift.zip'].sort());
  }, 240_000);
});
