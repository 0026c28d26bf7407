/* Pure: IAM policy documents as plain JSON, and their size as IAM counts it. */

/** A policy statement as IAM reads it. */
export interface StatementJson {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** A policy document as IAM reads it. */
export interface PolicyDocumentJson {
  readonly Version: '2012-10-17';
  readonly Statement: StatementJson[];
}

/** IAM's limit for a customer managed policy document, in characters without whitespace. */
export const MANAGED_POLICY_SIZE_LIMIT = 6144;

/** Size of a policy document as IAM counts it: minified JSON, whitespace outside strings removed. */
export function minifiedPolicySize(document: PolicyDocumentJson): number {
  return JSON.stringify(document).length;
}
