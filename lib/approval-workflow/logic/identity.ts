/*
 * Who is calling, as a human. API Gateway's IAM authorization gives the caller's ARN (never its
 * source identity or session tags), so humans are told apart by what the ARN proves:
 *
 * - an IAM user is one human: `arn:aws:iam::111122223333:user/alice`;
 * - an IAM Identity Center session is one human: Identity Center sets the session name of its
 *   `AWSReservedSSO_*` roles to the user's name, and nobody else can assume those roles;
 * - any other role counts as ONE person, whatever the session name: the caller chooses a session
 *   name, so one human could otherwise assume the same role twice, as "alice" and as "bob", and
 *   approve twice.
 *
 * Root and federated-user sessions are never eligible: a federated user's name is chosen by the
 * IAM user who minted it.
 *
 * A role *named* AWSReservedSSO_* outside Identity Center's reserved path would pass for an
 * Identity Center user here: the ARN API Gateway reports carries no path. The construct's API
 * resource policy therefore admits approvers only by full principal ARN (Identity Center roles by
 * their reserved path `/aws-reserved/sso.amazonaws.com/`), and the agent boundary denies creating
 * roles with that name.
 */

/** One way a human signs in. */
export type IdentitySpec =
  | { readonly kind: 'iam-user'; readonly userArn: string }
  | { readonly kind: 'identity-center-user'; readonly userName: string }
  | { readonly kind: 'role'; readonly roleArn: string };

/**
 * An eligible approver, as configured by the platform team: one human, and every identity they
 * sign in with. All of them count as that human: as requester, as the human an agent works for,
 * and as approver, so one human never counts twice.
 */
export interface ApproverSpec {
  /** The human's name, unique among approvers. */
  readonly human: string;
  readonly identities: readonly IdentitySpec[];
}

/** A caller resolved to the human (or principal) behind it. */
export interface Identity {
  /** Stable key of the human: two calls with the same key are the same person. */
  readonly key: string;
  /** What the key is based on. */
  readonly kind: 'iam-user' | 'identity-center-user' | 'role' | 'unsupported';
  /** The caller's ARN as API Gateway reported it. */
  readonly callerArn: string;
  /** A short name for logs and the session's source identity (2-64 of [\w+=,.@-]). */
  readonly name: string;
}

const USER = /^arn:([\w-]+):iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/;
const ASSUMED_ROLE = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;
const ROLE = /^arn:([\w-]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const IDENTITY_CENTER_ROLE = /^AWSReservedSSO_/;

/** Resolves a caller ARN to the human behind it. */
export function resolveIdentity(callerArn: string): Identity {
  const user = USER.exec(callerArn);
  if (user) {
    // IAM user and role names are unique regardless of case.
    const [, , account, name] = user;
    return { key: `iam-user:${account}:${name.toLowerCase()}`, kind: 'iam-user', callerArn, name: sourceIdentityName(name) };
  }
  const assumed = ASSUMED_ROLE.exec(callerArn);
  if (assumed) {
    const [, , account, roleName, sessionName] = assumed;
    if (IDENTITY_CENTER_ROLE.test(roleName)) {
      // Identity Center user names are case-insensitive and the same human across accounts.
      const userName = sessionName.toLowerCase();
      return { key: `identity-center-user:${userName}`, kind: 'identity-center-user', callerArn, name: sourceIdentityName(userName) };
    }
    return { key: `role:${account}:${roleName.toLowerCase()}`, kind: 'role', callerArn, name: sourceIdentityName(roleName) };
  }
  return { key: `unsupported:${callerArn}`, kind: 'unsupported', callerArn, name: 'unknown' };
}

/** The approver `identity` belongs to, if any. */
export function approverOf(identity: Identity, approvers: readonly ApproverSpec[]): ApproverSpec | undefined {
  return approvers.find((a) => a.identities.some((spec) => identityKey(spec) === identity.key));
}

/** Whether `identity` is one of the configured approvers' identities. */
export function isEligible(identity: Identity, approvers: readonly ApproverSpec[]): boolean {
  return approverOf(identity, approvers) !== undefined;
}

/**
 * The human behind `identity`: the approver it belongs to (`human:<name>`), across identity types,
 * or else the identity itself (an IAM user, an Identity Center user, or a role as one person).
 */
export function humanKey(identity: Identity, approvers: readonly ApproverSpec[]): string {
  const approver = approverOf(identity, approvers);
  return approver ? `human:${approver.human.toLowerCase()}` : identity.key;
}

/** The identity key a configured identity resolves to. */
export function identityKey(spec: IdentitySpec): string {
  switch (spec.kind) {
    case 'iam-user': {
      const match = USER.exec(spec.userArn);
      return match ? `iam-user:${match[2]}:${match[3].toLowerCase()}` : `invalid:${spec.userArn}`;
    }
    case 'identity-center-user':
      return `identity-center-user:${spec.userName.toLowerCase()}`;
    case 'role': {
      const match = ROLE.exec(spec.roleArn);
      return match ? `role:${match[2]}:${match[3].toLowerCase()}` : `invalid:${spec.roleArn}`;
    }
  }
}

/** Why an identity spec is invalid, or undefined if it is valid. */
export function identitySpecProblem(spec: IdentitySpec): string | undefined {
  switch (spec.kind) {
    case 'iam-user':
      return USER.test(spec.userArn) ? undefined : `an IAM user ARN like arn:aws:iam::111122223333:user/alice, got ${JSON.stringify(spec.userArn)}`;
    case 'identity-center-user':
      return /^[\w+=,.@-]{1,128}$/.test(spec.userName) ? undefined : `an Identity Center user name, got ${JSON.stringify(spec.userName)}`;
    case 'role':
      return ROLE.test(spec.roleArn) ? undefined : `a role ARN like arn:aws:iam::111122223333:role/approver, got ${JSON.stringify(spec.roleArn)}`;
  }
}

/**
 * Every problem with a list of approvers: invalid identities, a human without identities, two
 * approvers with the same name, and an identity given twice (once per human at most: the same
 * identity under two humans would let one person count as two, and two spellings of one IAM name,
 * which IAM treats as one, would make every request unapprovable).
 */
export function approverProblems(approvers: readonly ApproverSpec[], label = 'approvers'): string[] {
  const problems: string[] = [];
  const humans = new Map<string, number>();
  const owners = new Map<string, number>();
  approvers.forEach((approver, i) => {
    if (!/^[\w+=,.@-]{1,64}$/.test(approver.human)) {
      problems.push(`${label}[${i}] must be named with 1-64 letters, digits and + = , . @ _ -, got ${JSON.stringify(approver.human)}`);
    }
    const name = approver.human.toLowerCase();
    if (humans.has(name)) {
      problems.push(`${label}[${i}] and ${label}[${humans.get(name)}] are both named ${JSON.stringify(approver.human)}; give each human one entry, with all their identities`);
    }
    humans.set(name, i);
    if (approver.identities.length === 0) {
      problems.push(`${label}[${i}] (${approver.human}) has no identity; give the IAM users, Identity Center user or roles they sign in with`);
    }
    approver.identities.forEach((spec, j) => {
      const problem = identitySpecProblem(spec);
      if (problem) {
        problems.push(`${label}[${i}] (${approver.human}) identity ${j} must be ${problem}`);
        return;
      }
      const key = identityKey(spec);
      const owner = owners.get(key);
      if (owner !== undefined) {
        problems.push(
          owner === i
            ? `${label}[${i}] (${approver.human}) names ${key} twice (IAM names match regardless of case); name it once`
            : `${key} is an identity of both ${approvers[owner].human} and ${approver.human}; one identity belongs to one human`,
        );
      }
      owners.set(key, i);
    });
  });
  return problems;
}

/** A value STS accepts as a source identity: 2-64 characters of [\w+=,.@-]. */
function sourceIdentityName(value: string): string {
  const cleaned = value.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  return cleaned.length >= 2 ? cleaned : `${cleaned}--`.slice(0, 2);
}
