/*
 * Construct API: the humans who may approve, each with every identity they sign in with.
 */
import { ApproverSpec } from './logic/identity';

/** The identities one human signs in with, for `Approver.human`. */
export interface HumanIdentities {
  /**
   * Their IAM Identity Center user name.
   *
   * @default - none
   */
  readonly identityCenterUser?: string;

  /**
   * ARNs of their IAM users.
   *
   * @default - none
   */
  readonly iamUsers?: string[];

  /**
   * ARNs of roles only they use: every session of such a role counts as them.
   *
   * @default - none
   */
  readonly roles?: string[];
}

/** An eligible approver: one human, with every identity they sign in with. See the README for the identity model. */
export class Approver {
  /**
   * A human with several identities (say an IAM user and an Identity Center user): all of them
   * count as this human, as approver, as requester and as the human an agent works for.
   */
  public static human(name: string, identities: HumanIdentities): Approver {
    return new Approver({
      human: name,
      identities: [
        ...(identities.identityCenterUser !== undefined ? [{ kind: 'identity-center-user' as const, userName: identities.identityCenterUser }] : []),
        ...(identities.iamUsers ?? []).map((userArn) => ({ kind: 'iam-user' as const, userArn })),
        ...(identities.roles ?? []).map((roleArn) => ({ kind: 'role' as const, roleArn })),
      ],
    });
  }

  /** A human who signs in as one IAM user, named after it. */
  public static iamUser(userArn: string): Approver {
    return new Approver({ human: lastSegment(userArn), identities: [{ kind: 'iam-user', userArn }] });
  }

  /** A human who signs in through IAM Identity Center, by user name, whichever permission set they use. */
  public static identityCenterUser(userName: string): Approver {
    return new Approver({ human: userName, identities: [{ kind: 'identity-center-user', userName }] });
  }

  /** A role only one human uses: every session of it counts as the same single person, whatever the session name. */
  public static role(roleArn: string): Approver {
    return new Approver({ human: lastSegment(roleArn), identities: [{ kind: 'role', roleArn }] });
  }

  private constructor(public readonly spec: ApproverSpec) {}
}

function lastSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
