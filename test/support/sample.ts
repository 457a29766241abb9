// The tests use the same docs-shaped sample the embedded default applies.
export {
  createMissing as createAll,
  machineSet,
  SAMPLE_CLUSTER as CLUSTER,
  SAMPLE_NAMESPACE as NS,
  type SampleOptions,
  sampleObjects,
} from '../../local/embedded/sample.ts';
