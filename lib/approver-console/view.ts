/*
 * Pure: what the console's page receives of the approval API's answers. Nothing secret passes,
 * even if the API one day answered with it (credentials, task tokens), and each change of a change
 * set carries its reasons as sentences, so the page shows what the CLI prints without a copy of
 * the sentences.
 */
import { describeImpactReason, ImpactReasonCode } from '../approval-workflow/logic/impact';

/** Fields the page never receives, wherever they appear in a request. */
const SECRET_FIELDS = ['credentials', 'taskToken'];

/** Who the console acts as, and against which API. */
export interface ConsoleSession {
  /** The principal ARN calls are made as, or absent when it cannot be told (then `problem` says why). */
  readonly actingAs?: string;
  readonly problem?: string;
  /** `local` when calls carry `--identity` to local mode; `aws` when they are signed. */
  readonly mode: 'local' | 'aws';
  /** The approval API's URL. */
  readonly api: string;
}

/** An API answer's body, as the page receives it. */
export function consoleView(body: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(body.requests)) {
    return { ...withoutSecrets(body), requests: body.requests.map((r) => (isObject(r) ? requestView(r) : r)) };
  }
  return typeof body.requestId === 'string' ? requestView(body) : withoutSecrets(body);
}

function requestView(request: Record<string, unknown>): Record<string, unknown> {
  const visible = withoutSecrets(request);
  const impact = visible.impact;
  if (!isObject(impact) || !Array.isArray(impact.changes)) return visible;
  return {
    ...visible,
    impact: {
      ...impact,
      changes: impact.changes.map((change) =>
        isObject(change) && Array.isArray(change.reasons) ? { ...change, reasonTexts: change.reasons.map((code) => describeImpactReason(code as ImpactReasonCode) ?? String(code)) } : change,
      ),
    },
  };
}

function withoutSecrets(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !SECRET_FIELDS.includes(key)));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
