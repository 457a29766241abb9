import { describe, expect, it } from 'vitest';
import { acceptedTokens, WEBHOOK_TOKEN_ROTATED_AT } from '../webhooks/token.ts';
import type { SecretObject } from './user-data.ts';
import { planWebhookToken, TOKEN_PROPAGATION_MS, TOKEN_ROTATION_MS } from './webhook-token.ts';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
/** Tokens in the order they are generated. */
function generator() {
  let n = 0;
  return () => `${String(++n).padStart(3, '0')}${'t'.repeat(40)}`;
}

/** The Secret as written by a plan (what the API server would store). */
function stored(plan: ReturnType<typeof planWebhookToken>): SecretObject {
  expect(plan.write).toBeDefined();
  return plan.write!;
}

describe('planWebhookToken', () => {
  it('without a Secret: a new token, stored and registered at once', () => {
    const gen = generator();
    const p = planWebhookToken(undefined, T0, gen);
    expect(p.register).toBe(`001${'t'.repeat(40)}`);
    expect(acceptedTokens(stored(p))).toEqual([p.register]);
    expect(stored(p).metadata.annotations?.[WEBHOOK_TOKEN_ROTATED_AT]).toBe(T0.toISOString());
    expect(stored(p).metadata).toMatchObject({ namespace: 'openshift-cluster-api', name: 'capi-fn-webhook-token' });
    expect(p.requeueAfterMs).toBe(TOKEN_ROTATION_MS);
  });

  it('converged: no write, the current token, look again at the rotation', () => {
    const gen = generator();
    const secret = stored(planWebhookToken(undefined, T0, gen));
    const p = planWebhookToken(secret, at(3_600_000), gen);
    expect(p.write).toBeUndefined();
    expect(p.register).toBe(acceptedTokens(secret)[0]);
    expect(p.requeueAfterMs).toBe(TOKEN_ROTATION_MS - 3_600_000);
  });

  it('rotation: both accepted; the old one stays registered until every instance can know the new one', () => {
    const gen = generator();
    const first = stored(planWebhookToken(undefined, T0, gen));
    const [old] = acceptedTokens(first);
    const rotating = planWebhookToken(first, at(TOKEN_ROTATION_MS), gen);
    const second = stored(rotating);
    const [fresh, previous] = acceptedTokens(second);
    expect(previous).toBe(old);
    expect(fresh).not.toBe(old);
    expect(rotating.register).toBe(old);
    expect(rotating.requeueAfterMs).toBe(TOKEN_PROPAGATION_MS);
    // Inside the propagation window (a webhook may still hold the Secret from before the rotation).
    const during = planWebhookToken(second, at(TOKEN_ROTATION_MS + TOKEN_PROPAGATION_MS - 1), gen);
    expect([during.write, during.register, during.requeueAfterMs]).toEqual([undefined, old, 1]);
    // After it: the new token, and the previous one still accepted for calls already on their way.
    const after = planWebhookToken(second, at(TOKEN_ROTATION_MS + TOKEN_PROPAGATION_MS), gen);
    expect([after.write, after.register]).toEqual([undefined, fresh]);
    expect(acceptedTokens(second)).toContain(after.register);
  });

  it('a Secret without a readable rotation time, or one from the future, is rotated', () => {
    const gen = generator();
    const secret = stored(planWebhookToken(undefined, T0, gen));
    const noStamp = { ...secret, metadata: { ...secret.metadata, annotations: {} } };
    expect(planWebhookToken(noStamp, T0, gen).write).toBeDefined();
    expect(planWebhookToken(secret, at(-60_000), gen).write).toBeDefined();
  });

  it('a Secret whose current token is malformed gets a new one', () => {
    const gen = generator();
    const p = planWebhookToken(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, data: { current: 'bm90IGEgdG9rZW4=' } },
      T0,
      gen,
    );
    expect(acceptedTokens(stored(p))).toEqual([p.register]);
  });

  it('a lost Secret keeps the registered token as previous, registered through the propagation window', () => {
    const gen = generator();
    const registered = `reg${'r'.repeat(40)}`;
    const p = planWebhookToken(undefined, T0, gen, registered);
    expect(acceptedTokens(stored(p))).toEqual([`001${'t'.repeat(40)}`, registered]);
    expect([p.register, p.requeueAfterMs]).toEqual([registered, TOKEN_PROPAGATION_MS]);
    const later = planWebhookToken(stored(p), at(TOKEN_PROPAGATION_MS), gen, registered);
    expect([later.write, later.register]).toEqual([undefined, `001${'t'.repeat(40)}`]);
  });
});
