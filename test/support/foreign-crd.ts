// A CRD for another provider's kind (kubeadm bootstrap, kubeadm control plane), reduced to what a test needs: any
// spec and status, the status a subresource, as the provider's own CRD has it.
import type { KubeObject } from '../../shared/api/meta.ts';

export function foreignCrd(group: string, kind: string, plural: string): KubeObject {
  const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1beta1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: open, status: open } } },
        },
      ],
    },
  } as KubeObject;
}
