/* Pure: a change set's impact as lines of text, as the CLI prints it and notifications carry it. */
import { ChangeSetImpact, describeImpactReason } from './impact';

/** The impact as text: a headline, the counts, each change with its reasons, and what must be accepted. */
export function formatImpact(impact: ChangeSetImpact): string[] {
  const { added, modified, removed, replaced } = impact.counts;
  const lines = [
    `change set on ${impact.stackName}${impact.production ? ' (production)' : ''}: ${impact.risk.toUpperCase()} risk`,
    `  ${added} added, ${modified} modified in place, ${removed} removed, ${replaced} replaced or maybe replaced`,
  ];
  for (const c of impact.changes) {
    const replacement = c.replacement && c.replacement !== 'False' ? ` (replacement: ${c.replacement})` : '';
    lines.push(`  ${c.risk.toUpperCase().padEnd(6)} ${c.action}${replacement} ${c.stackName}/${c.logicalResourceId} (${c.resourceType})`);
    for (const reason of c.reasons) lines.push(`         - ${describeImpactReason(reason)}`);
  }
  if (impact.riskToAccept.length > 0) {
    lines.push('  production data at risk, which each approver must accept:');
    for (const r of impact.riskToAccept) lines.push(`    ${r}`);
  }
  return lines;
}
