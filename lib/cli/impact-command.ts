/*
 * `agent-guardrails impact FILE [NESTED_FILE ...]`: the impact of a change set, read from the
 * JSON `aws cloudformation describe-change-set --include-property-values --output json` prints
 * (one file per nested change set after the first). The approval workflow stores the same analysis
 * with every request. Exit codes: 0 printed; 2 bad input.
 */
import * as fs from 'fs';
import { ChangeSetImpact, changeSetImpact, describeImpactReason } from '../approval-workflow/logic/impact';
import { formatImpact } from '../approval-workflow/logic/impact-text';
import { ReviewInputError } from '../review/simulate';
import { productionTag, ReviewArgs, ReviewIo } from './review-commands';

/** The impact as JSON: the documented shape, reasons as sentences and as codes. */
export function impactJson(impact: ChangeSetImpact): Record<string, unknown> {
  return {
    risk: impact.risk,
    stackName: impact.stackName,
    production: impact.production,
    counts: impact.counts,
    riskToAccept: impact.riskToAccept,
    fingerprint: impact.fingerprint,
    changes: impact.changes.map((c) => ({
      stackName: c.stackName,
      logicalResourceId: c.logicalResourceId,
      resourceType: c.resourceType,
      action: c.action,
      replacement: c.replacement ?? null,
      stateful: c.stateful,
      risk: c.risk,
      reasons: c.reasons.map(describeImpactReason),
      reasonCodes: c.reasons,
    })),
  };
}

/** Runs `impact`; bad input is thrown as ReviewInputError. */
export function runImpactCommand(args: ReviewArgs, io: ReviewIo): number {
  if (args.positional.length === 0) {
    throw new ReviewInputError('impact needs the describe-change-set JSON of a change set: aws cloudformation describe-change-set --change-set-name ARN --include-property-values --output json > change-set.json');
  }
  const documents = args.positional.map((file) => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new ReviewInputError(`cannot read ${file}: ${(error as Error).message}`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ReviewInputError(`${file} is not JSON (${(error as Error).message}); save the output of describe-change-set with --output json`);
    }
  });
  const tag = productionTag(args);
  const result = changeSetImpact(documents[0], documents.slice(1), {
    inputNames: [...args.positional],
    ...(tag.tagKey ? { productionTag: { key: tag.tagKey, values: tag.tagValues ?? [] } } : {}),
  });
  if (!result.ok) {
    throw new ReviewInputError(result.problems.join('\n'));
  }
  if (args.flags.json) {
    io.out(JSON.stringify(impactJson(result.impact)));
  } else {
    for (const line of formatImpact(result.impact)) io.out(line);
  }
  return 0;
}
