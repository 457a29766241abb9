// Storage kinds a Machine's deletion reads to decide which volumes it waits for (capi-core-spec.md §3.6 step 3):
// PersistentVolume, PersistentVolumeClaim and storage.k8s.io VolumeAttachment. Stored with their status as a
// subresource and printed as kubectl prints them; no binding or attach controller runs here.
import { ageColumn, column, nameColumn } from '../table.ts';
import { asObject, asString } from '../util.ts';
import { builtin, open, root } from './helpers.ts';

const persistentVolume = builtin({
  group: '',
  version: 'v1',
  resource: 'persistentvolumes',
  kind: 'PersistentVolume',
  namespaced: false,
  shortNames: ['pv'],
  status: true,
  schema: root('PersistentVolume', { spec: open(), status: open() }),
  columns: [
    nameColumn,
    column('Capacity', (o) => asString(asObject(asObject(o.spec).capacity).storage) ?? ''),
    column('Status', (o) => asString(asObject(o.status).phase) ?? ''),
    column('Claim', (o) => {
      const ref = asObject(asObject(o.spec).claimRef);
      return ref.name ? `${asString(ref.namespace) ?? ''}/${asString(ref.name)}` : '';
    }),
    ageColumn,
  ],
});

const persistentVolumeClaim = builtin({
  group: '',
  version: 'v1',
  resource: 'persistentvolumeclaims',
  kind: 'PersistentVolumeClaim',
  namespaced: true,
  shortNames: ['pvc'],
  status: true,
  schema: root('PersistentVolumeClaim', { spec: open(), status: open() }),
  columns: [
    nameColumn,
    column('Status', (o) => asString(asObject(o.status).phase) ?? ''),
    column('Volume', (o) => asString(asObject(o.spec).volumeName) ?? ''),
    ageColumn,
  ],
});

const volumeAttachment = builtin({
  group: 'storage.k8s.io',
  version: 'v1',
  resource: 'volumeattachments',
  kind: 'VolumeAttachment',
  namespaced: false,
  status: true,
  schema: root('VolumeAttachment', { spec: open(), status: open() }),
  columns: [
    nameColumn,
    column('Attacher', (o) => asString(asObject(o.spec).attacher) ?? ''),
    column('PV', (o) => asString(asObject(asObject(o.spec).source).persistentVolumeName) ?? ''),
    column('Node', (o) => asString(asObject(o.spec).nodeName) ?? ''),
    column('Attached', (o) => String(asObject(o.status).attached ?? false)),
    ageColumn,
  ],
});

export const storageDefs = [persistentVolume, persistentVolumeClaim, volumeAttachment];
