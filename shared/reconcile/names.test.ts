import { describe, expect, it } from 'vitest';
import { machineName, machineNameFromTemplate } from './names.ts';

const v = { cluster: 'ocp-4wq8n', machineSet: 'ocp-4wq8n-worker-a' };

describe('machineNameFromTemplate (upstream MachineSet naming)', () => {
  it('without a template: <machineSet>-<random>', () => {
    expect(machineNameFromTemplate(undefined, v, 'bcdfg')).toBe('ocp-4wq8n-worker-a-bcdfg');
    expect(machineNameFromTemplate(undefined, v, 'bcdfg')).toBe(machineName(v.machineSet, 'bcdfg'));
  });

  it('renders .cluster.name, .machineSet.name and .random, spaces or not', () => {
    expect(machineNameFromTemplate('{{ .cluster.name }}-w-{{.random}}', v, 'x2z4q')).toBe('ocp-4wq8n-w-x2z4q');
    expect(machineNameFromTemplate('{{ .machineSet.name }}-{{ .random }}', v, 'x2z4q')).toBe(
      'ocp-4wq8n-worker-a-x2z4q',
    );
  });

  it('above 63 characters: the first 58 and a fresh five-character suffix', () => {
    const long = { ...v, machineSet: 'm'.repeat(70) };
    const n = machineNameFromTemplate('{{ .machineSet.name }}-{{ .random }}', long, 'bcdfg');
    expect(n).toHaveLength(63);
    expect(n.slice(0, 58)).toBe('m'.repeat(58));
    expect(n.slice(58)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('another variable is an error naming the field', () => {
    expect(() => machineNameFromTemplate('{{ .machine.name }}-{{ .random }}', v)).toThrow(
      'spec.machineNamingStrategy.template: {{ .machine.name }} is not a variable',
    );
  });
});
