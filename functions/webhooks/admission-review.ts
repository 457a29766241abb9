// AdmissionReview v1 on the wire (kube-api-protocol.md §16): the request the API server POSTs and the response
// it accepts. Parsing is strict about what the webhook relies on and lenient about the rest (new fields).
// zod/mini: this parse is on every cold start of the webhook, and the classic API bundles all of zod.
import * as z from 'zod/mini';
import { describeIssue } from '../../shared/api/validate.ts';

const GroupVersionKind = z.object({ group: z.string(), version: z.string(), kind: z.string().check(z.minLength(1)) });
const GroupVersionResource = z.object({ group: z.string(), version: z.string(), resource: z.string() });

export const Operation = z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);
export type Operation = z.infer<typeof Operation>;

export const AdmissionRequest = z.object({
  uid: z.string().check(z.minLength(1)),
  kind: GroupVersionKind,
  resource: z.optional(GroupVersionResource),
  subResource: z.optional(z.string()),
  requestKind: z.optional(GroupVersionKind),
  requestResource: z.optional(GroupVersionResource),
  requestSubResource: z.optional(z.string()),
  name: z.optional(z.string()),
  namespace: z.optional(z.string()),
  operation: Operation,
  userInfo: z.optional(
    z.object({
      username: z.optional(z.string()),
      uid: z.optional(z.string()),
      groups: z.optional(z.array(z.string())),
    }),
  ),
  object: z.optional(z.unknown()),
  oldObject: z.optional(z.unknown()),
  dryRun: z.optional(z.boolean()),
  options: z.optional(z.unknown()),
});
export type AdmissionRequest = z.infer<typeof AdmissionRequest>;

export const AdmissionReviewRequest = z.object({
  apiVersion: z.literal('admission.k8s.io/v1'),
  kind: z.literal('AdmissionReview'),
  request: AdmissionRequest,
});

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: {
    code: number;
    reason: string;
    message: string;
    details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  };
  patchType?: 'JSONPatch';
  /** base64 of the JSON Patch document. */
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export type ParsedReview = { ok: true; request: AdmissionRequest } | { ok: false; error: string };

/** The request of an AdmissionReview v1, or why `body` is not one. */
export function parseAdmissionReview(body: unknown): ParsedReview {
  const r = AdmissionReviewRequest.safeParse(body);
  if (r.success) return { ok: true, request: r.data.request };
  const first = r.error.issues[0];
  const e = first ? describeIssue(first)[0] : undefined;
  return {
    ok: false,
    error: `not an admission.k8s.io/v1 AdmissionReview request: ${e?.field || '(body)'}: ${e?.message ?? 'invalid'}`,
  };
}

export function envelope(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}
