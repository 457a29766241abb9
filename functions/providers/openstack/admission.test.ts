import { describe, expect, it } from 'vitest';
import { openstackMachineRules, openstackMachineTemplateRules } from './admission.ts';

const docs = { flavor: 'm1.xlarge', image: { filter: { name: 'rhcos' } } };

describe('OpenStack admission rules', () => {
  it('the docs’ template passes; a template naming a server or a bad tag is refused, naming the field', () => {
    const tmpl = (spec: Record<string, unknown>) => ({
      operation: 'CREATE' as const,
      object: { spec: { template: { spec } } },
      env: {},
    });
    expect(openstackMachineTemplateRules(tmpl(docs))).toEqual([]);
    expect(
      openstackMachineTemplateRules(tmpl({ ...docs, providerID: 'openstack:///x', tags: ['a/b'] })).map((v) => [
        v.field,
        v.type,
      ]),
    ).toEqual([
      ['spec.template.spec.providerID', 'Forbidden'],
      ['spec.template.spec.tags[0]', 'Invalid'],
    ]);
  });
  it('a recorded providerID does not change', () => {
    const v = openstackMachineRules({
      operation: 'UPDATE',
      object: { spec: { ...docs, providerID: 'openstack:///b' } },
      oldObject: { spec: { ...docs, providerID: 'openstack:///a' } },
      env: {},
    });
    expect(v.map((x) => [x.field, x.type])).toEqual([['spec.providerID', 'Immutable']]);
  });
});
