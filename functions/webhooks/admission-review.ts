// AdmissionReview v1 on the wire (kube-api-protocol.md §16): the request the API server POSTs and the response
// it accepts. Parsing is strict about what the webhook relies on and lenient about the rest (new fields).
import * as z from 'zod';

const GroupVersionKind = z.object({ group: z.string(), version: z.string(), kind: z.string().min(1) });
const GroupVersionResource = z.object({ group: z.string(), version: z.string(), resource: z.string() });

export const Operation = z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);
export type Operation = z.infer<typeof Operation>;

export const AdmissionRequest = z.object({
  uid: z.string().min(1),
  kind: GroupVersionKind,
  resource: GroupVersionResource.optional(),
  subResource: z.string().optional(),
  requestKind: GroupVersionKind.optional(),
  requestResource: GroupVersionResource.optional(),
  requestSubResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: Operation,
  userInfo: z
    .object({
      username: z.string().optional(),
      uid: z.string().optional(),
      groups: z.array(z.string()).optional(),
    })
    .optional(),
  object: z.unknown().optional(),
  oldObject: z.unknown().optional(),
  dryRun: z.boolean().optional(),
  options: z.unknown().optional(),
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
  const issue = r.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : '(body)';
  return {
    ok: false,
    error: `not an admission.k8s.io/v1 AdmissionReview request: ${where}: ${issue?.message ?? 'invalid'}`,
  };
}

export function envelope(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}
