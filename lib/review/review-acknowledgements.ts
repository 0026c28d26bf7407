/*
 * Acknowledging a review finding in the app itself: the acknowledgement is written into the
 * template next to the resource (or the stack), so every review (CLI, validation plugin, CI) sees
 * the same one, with its reason. Rules that guard the guardrails cannot be acknowledged.
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ACKNOWLEDGEMENTS_METADATA_KEY, MIN_REASON_LENGTH } from './review';
import { isAcknowledgeable } from './rules';

/** One acknowledgement as written into the template. */
export interface AcknowledgementEntry {
  readonly ruleId: string;
  readonly reason: string;
}

/**
 * Acknowledges review findings on a resource or a stack.
 *
 * @example
 * ReviewAcknowledgements.of(legacyTable).acknowledge('AGR-PROD-PROTECTED', 'Replaced by OrdersV2 in Q3; data exported to S3 nightly.');
 */
export class ReviewAcknowledgements {
  /** Acknowledgements of `scope`: a stack, a CloudFormation resource, or a construct whose default child is one. */
  public static of(scope: IConstruct): ReviewAcknowledgements {
    return new ReviewAcknowledgements(scope);
  }

  private constructor(private readonly scope: IConstruct) {}

  /** Acknowledges the findings of `ruleId` here, for `reason`; throws for a rule that cannot be acknowledged or a missing reason. */
  public acknowledge(ruleId: string, reason: string): void {
    const acknowledgeable = isAcknowledgeable(ruleId);
    if (acknowledgeable === undefined) {
      throw new Error(`ReviewAcknowledgements: unknown rule id "${ruleId}"; use one of the ids in the README's table of review rules`);
    }
    if (!acknowledgeable) {
      throw new Error(`ReviewAcknowledgements: ${ruleId} guards the guardrails themselves and cannot be acknowledged; fix the finding instead`);
    }
    if (typeof reason !== 'string' || reason.trim().length < MIN_REASON_LENGTH) {
      throw new Error(`ReviewAcknowledgements: acknowledging ${ruleId} on ${this.scope.node.path} needs a reason of at least ${MIN_REASON_LENGTH} characters, got ${JSON.stringify(reason)}; say why the finding is acceptable`);
    }
    const entry: AcknowledgementEntry = { ruleId, reason: reason.trim() };
    if (Stack.isStack(this.scope)) {
      const metadata = (this.scope.templateOptions.metadata ??= {});
      metadata[ACKNOWLEDGEMENTS_METADATA_KEY] = [...(metadata[ACKNOWLEDGEMENTS_METADATA_KEY] ?? []), entry];
      return;
    }
    const resource = CfnResource.isCfnResource(this.scope) ? this.scope : this.scope.node.defaultChild;
    if (!resource || !CfnResource.isCfnResource(resource)) {
      throw new Error(`ReviewAcknowledgements: ${this.scope.node.path} is neither a stack nor a CloudFormation resource, and has no default child that is; acknowledge on the resource the finding names`);
    }
    const existing = (resource.getMetadata(ACKNOWLEDGEMENTS_METADATA_KEY) as AcknowledgementEntry[] | undefined) ?? [];
    resource.addMetadata(ACKNOWLEDGEMENTS_METADATA_KEY, [...existing, entry]);
  }
}
