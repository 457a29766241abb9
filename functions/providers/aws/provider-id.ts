// EC2 providerIDs: `aws:///<availability-zone>/<instance-id>` (CAPA `GenerateProviderID`), the form the
// AWS cloud provider writes into Node.spec.providerID, so a Machine and its Node match byte for byte.
import { AWS_PROVIDER_ID_PREFIX } from '../../../shared/api/providers/constants.ts';

export interface ParsedProviderID {
  availabilityZone: string;
  instanceId: string;
}

export function formatProviderID(availabilityZone: string, instanceId: string): string {
  return `${AWS_PROVIDER_ID_PREFIX}${availabilityZone}/${instanceId}`;
}

/**
 * The instance ID is the text after the last `/` (upstream's rule, `^[^:]+://.*[^/]$`), so the
 * zone-less form `aws:////i-…` some tools write parses too. Anything else is not an AWS providerID.
 */
export function parseProviderID(providerID: string | undefined): ParsedProviderID | undefined {
  if (!providerID) return undefined;
  const m = /^aws:\/\/\/?([^/]*)\/(i-[0-9a-zA-Z]+)$/.exec(providerID);
  if (!m) return undefined;
  return { availabilityZone: m[1]!, instanceId: m[2]! };
}

/**
 * The region an availability zone belongs to: a zone is its region plus a letter (`us-east-1a`). Local
 * and Wavelength Zones (`us-east-1-bos-1a`) do not follow that rule and give undefined.
 */
export function regionOfZone(zone: string): string | undefined {
  const m = /^([a-z]{2}(?:-[a-z]+)+-\d+)[a-z]$/.exec(zone);
  return m ? m[1] : undefined;
}
