/*
 * Pure: what an agent role's trust policy may say. Shared by the synth-time check of `AgentRole`
 * (which reads the rendered template, so statements added later and escape hatches count) and the
 * review rule `AGR-AGENT-TRUST` (which reads any template). No CDK, no SDK.
 */
import { toArray } from '../private/arrays';
import { renderIntrinsic } from '../private/intrinsics';

/** Why a trust policy lets someone other than the agent's launcher start agent sessions. */
export type AgentTrustProblemCode =
  | 'everyone'
  | 'not-principal'
  | 'iam-user'
  | 'identity-center'
  | 'saml'
  | 'service'
  | 'unconditioned-root'
  | 'no-source-identity'
  | 'unresolved-principal';

/** One problem of an agent role's trust policy, as data; `describeAgentTrustProblem` renders it. */
export interface AgentTrustProblem {
  readonly code: AgentTrustProblemCode;
  /** The statement, by Sid or position. */
  readonly statement: string;
  /** The principal concerned, as text (`*` where it cannot be read). */
  readonly principal?: string;
}

const UNREADABLE = '#unresolved#';

/** Whether a statement lets its principals start sessions of the role. */
function assumes(statement: any): boolean {
  return toArray(statement?.Action).some((a) => /^(\*|sts:\*|sts:assumerole\w*)$/i.test(String(a)));
}

/** Whether a statement requires `sts:SourceIdentity` to equal a literal (the agent's name, when given). */
function requiresSourceIdentity(statement: any, agentName: string | undefined): boolean {
  const condition = statement?.Condition ?? {};
  return Object.entries<any>(condition).some(
    ([operator, block]) =>
      /^StringEquals$/i.test(operator) &&
      Object.entries<any>(block ?? {}).some(
        ([key, value]) => key.toLowerCase() === 'sts:sourceidentity' && toArray(value).length > 0 && toArray(value).every((v) => typeof v === 'string' && (agentName === undefined || v === agentName)),
      ),
  );
}

/**
 * The problems of an agent role's trust policy: every statement that lets principals assume the
 * role must name only launchers (roles, CI's OIDC provider, the account root with a condition),
 * never everyone, an IAM user, Identity Center, SAML or a service, and must require the session's
 * source identity to be the agent's name.
 */
export function agentTrustProblems(trustPolicy: unknown, agentName?: string): AgentTrustProblem[] {
  const problems: AgentTrustProblem[] = [];
  toArray<any>((trustPolicy as any)?.Statement).forEach((statement, index) => {
    if (statement?.Effect !== 'Allow' || !assumes(statement)) return;
    const at = (code: AgentTrustProblemCode, principal?: string) => problems.push({ code, statement: statement.Sid ?? String(index), principal });
    if (statement.NotPrincipal !== undefined) {
      at('not-principal');
      return;
    }
    const conditioned = Object.keys(statement.Condition ?? {}).length > 0;
    const principal = statement.Principal;
    if (principal === '*' || principal === undefined || typeof principal !== 'object' || principal === null) {
      at('everyone', String(principal));
    } else {
      for (const [kind, values] of Object.entries(principal)) {
        for (const value of toArray(values)) {
          const text = renderIntrinsic(value, UNREADABLE);
          if (kind === 'AWS') {
            if (text === '*') at('everyone', text);
            else if (text === UNREADABLE) at('unresolved-principal', '*');
            else if (/:user\//.test(text)) at('iam-user', text);
            else if (/AWSReservedSSO_/.test(text)) at('identity-center', text);
            else if ((/:root$/.test(text) || /^\d{12}$/.test(text)) && !conditioned) at('unconditioned-root', text);
          } else if (kind === 'Federated') {
            if (/:saml-provider\//.test(text)) at('saml', text);
          } else if (kind === 'Service') {
            at('service', text);
          } else {
            at('everyone', `${kind}: ${text}`);
          }
        }
      }
    }
    if (!requiresSourceIdentity(statement, agentName)) at('no-source-identity');
  });
  return problems;
}

/** A trust problem as a sentence, for errors and review findings. */
export function describeAgentTrustProblem(problem: AgentTrustProblem, agentName?: string): string {
  const where = `trust statement ${problem.statement}`;
  switch (problem.code) {
    case 'everyone':
      return `${where} trusts everyone (${problem.principal}); name the launcher role`;
    case 'not-principal':
      return `${where} trusts everyone but a NotPrincipal list; name the launcher role`;
    case 'iam-user':
      return `${where} trusts the IAM user ${problem.principal}; an agent never runs with a human's credentials`;
    case 'identity-center':
      return `${where} trusts the IAM Identity Center role ${problem.principal}, which humans sign in to`;
    case 'saml':
      return `${where} trusts the SAML provider ${problem.principal}, through which humans sign in`;
    case 'service':
      return `${where} trusts the service ${problem.principal}, which cannot set a source identity`;
    case 'unconditioned-root':
      return `${where} trusts the account root (${problem.principal}) without a condition, so every principal of the account with sts:AssumeRole starts the agent`;
    case 'no-source-identity':
      return `${where} does not require the source identity ${agentName === undefined ? 'of the agent' : `"${agentName}"`} (StringEquals sts:SourceIdentity), so sessions are not attributed to the agent`;
    case 'unresolved-principal':
      return `${where} trusts a principal that cannot be read offline`;
  }
}
