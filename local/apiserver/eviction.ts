// pods/eviction: delete a pod unless that would violate its PodDisruptionBudget (429 with the budget's numbers).
import { podReadyCondition } from './builtins/core.ts';
import { pdbSelects } from './controllers/pdb.ts';
import { type DeleteOptions, deleteObject, parsePropagation } from './rest/delete.ts';
import { RetryWrite, type Target, type WriteOptions, withRetry } from './rest/write.ts';
import { ApiError, badRequest, notFound, tooManyRequests } from './status-errors.ts';
import { PreconditionError } from './storage/store.ts';
import { asObject, clone, isObject, type JsonObject, nowRfc3339 } from './util.ts';

const PDB_KEY = 'policy/poddisruptionbudgets';

export async function evictPod(t: Target, body: unknown, wopts: WriteOptions): Promise<JsonObject> {
  if (!isObject(body)) throw badRequest('Eviction body must be an object');
  const kind = body.kind;
  const av = body.apiVersion;
  if (kind !== undefined && kind !== 'Eviction')
    throw badRequest(`the kind in the data (${String(kind)}) does not match the expected kind (Eviction)`);
  if (av !== undefined && av !== 'policy/v1' && av !== 'policy/v1beta1')
    throw badRequest(`the API version in the data (${String(av)}) does not match the expected API version (policy/v1)`);
  const bodyName = asObject(body.metadata).name;
  if (bodyName !== undefined && bodyName !== t.name)
    throw badRequest('name in URL does not match name in Eviction object');
  const dopts = asObject(body.deleteOptions);
  const deleteOptions: DeleteOptions = {};
  const pp = parsePropagation(dopts.propagationPolicy);
  if (pp) deleteOptions.propagationPolicy = pp;
  if (isObject(dopts.preconditions))
    deleteOptions.preconditions = dopts.preconditions as DeleteOptions['preconditions'];
  const dryRun = wopts.dryRun || (Array.isArray(dopts.dryRun) && dopts.dryRun.includes('All'));
  const opts = { ...wopts, dryRun };
  return withRetry(async () => {
    const pod = t.ctx.store.get('pods', t.namespace, t.name);
    if (!pod) throw notFound({ group: '', resource: 'pods' }, t.name);
    const phase = asObject(pod.status).phase;
    const del = async () => {
      await deleteObject(t, deleteOptions, opts);
      return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
    };
    if (
      phase === 'Succeeded' ||
      phase === 'Failed' ||
      phase === 'Pending' ||
      asObject(pod.metadata).deletionTimestamp
    ) {
      return del();
    }
    const pdbs = t.ctx.store.list(PDB_KEY, t.namespace).filter((p) => pdbSelects(p, pod));
    if (pdbs.length === 0) return del();
    if (pdbs.length > 1) {
      throw new ApiError(
        500,
        '',
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      );
    }
    const pdb = pdbs[0]!;
    const pm = asObject(pdb.metadata);
    const st = asObject(pdb.status);
    const pdbName = String(pm.name);
    if (typeof st.observedGeneration !== 'number' || st.observedGeneration < Number(pm.generation ?? 1)) {
      throw tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: `The disruption budget ${pdbName} is still being processed by the server.`,
          },
        ],
        retryAfterSeconds: 10,
      });
    }
    const healthy = Number(st.currentHealthy ?? 0);
    const desired = Number(st.desiredHealthy ?? 0);
    if (!podReadyCondition(pod)) {
      // Unhealthy pods may go when the budget is met anyway (IfHealthyBudget) or always (AlwaysAllow).
      if (asObject(pdb.spec).unhealthyPodEvictionPolicy === 'AlwaysAllow' || healthy >= desired) return del();
    }
    const allowed = Number(st.disruptionsAllowed ?? 0);
    if (allowed <= 0) {
      throw tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: `The disruption budget ${pdbName} needs ${desired} healthy pods and has ${healthy} currently`,
          },
        ],
      });
    }
    if (!opts.dryRun) {
      const next = clone(pdb);
      const ns = asObject(next.status);
      ns.disruptionsAllowed = allowed - 1;
      ns.disruptedPods = { ...asObject(ns.disruptedPods), [t.name]: nowRfc3339() };
      next.status = ns;
      try {
        t.ctx.store.write(PDB_KEY, t.namespace, pdbName, next, String(pm.resourceVersion));
      } catch (e) {
        if (e instanceof PreconditionError) throw new RetryWrite();
        throw e;
      }
    }
    return del();
  });
}
