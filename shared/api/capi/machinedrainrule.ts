import * as z from 'zod';
import { AGE_COLUMN, type KindDefinition, kindSchema } from '../kind.ts';
import { LabelSelector } from '../meta.ts';
import { CAPI_GROUP } from './constants.ts';

export const DrainBehaviors = ['Drain', 'Skip', 'WaitCompleted'] as const;

/** Which Machines a rule applies to: both selectors must match (an absent one matches all); entries are ORed. */
export const MachineDrainRuleMachineSelector = z
  .strictObject({ selector: LabelSelector.optional(), clusterSelector: LabelSelector.optional() })
  .refine((o) => Object.keys(o).length > 0, {
    message: 'set selector, clusterSelector or both (an empty entry would match every Machine: leave machines empty)',
  });

/** Which Pods: both selectors must match (an absent one matches all); entries are ORed. */
export const MachineDrainRulePodSelector = z
  .strictObject({ selector: LabelSelector.optional(), namespaceSelector: LabelSelector.optional() })
  .refine((o) => Object.keys(o).length > 0, {
    message: 'set selector, namespaceSelector or both (an empty entry would match every Pod: leave pods empty)',
  });

export const MachineDrainRuleSpec = z.strictObject({
  drain: z
    .strictObject({
      behavior: z.enum(DrainBehaviors),
      order: z.number().int().min(-2147483648).max(2147483647).optional(),
    })
    .refine((d) => d.order === undefined || d.behavior === 'Drain', {
      message: 'order can only be set with behavior Drain',
      path: ['order'],
    }),
  machines: z.array(MachineDrainRuleMachineSelector).max(32).optional(),
  pods: z.array(MachineDrainRulePodSelector).max(32).optional(),
});

export const MachineDrainRule = kindSchema({ spec: MachineDrainRuleSpec });
export type MachineDrainRule = z.infer<typeof MachineDrainRule>;

/** cluster.x-k8s.io/v1beta1 MachineDrainRule (upstream v1.9+): per-pod drain behaviour and order for Machines. */
export const machineDrainRuleKind: KindDefinition = {
  group: CAPI_GROUP,
  kind: 'MachineDrainRule',
  plural: 'machinedrainrules',
  singular: 'machinedrainrule',
  scope: 'Namespaced',
  shortNames: [],
  categories: ['cluster-api'],
  provider: 'core',
  versions: [
    {
      name: 'v1beta1',
      storage: true,
      schema: MachineDrainRule,
      printerColumns: [
        { name: 'Behavior', type: 'string', jsonPath: '.spec.drain.behavior', description: 'Drain behavior' },
        { name: 'Order', type: 'string', jsonPath: '.spec.drain.order', description: 'Drain order' },
        AGE_COLUMN,
      ],
    },
  ],
};
