/*
 * Pure: what an audit finds in CloudTrail records: one timeline per agent session (and per elevated
 * session the workflow issued), what each session is (role, task, request, approvers, the chain of
 * roles it came through), every call with its outcome, and the circuit breaker's trips. Every
 * string here came from the records or the approval API: untrusted text for the formats to escape.
 */
import { Outcome } from './records';

/** An agent session (its role is under /agent-guardrails/agent/), an elevated one (/agent-guardrails/elevated/), or another role reached from one. */
export type SessionKind = 'agent' | 'elevated' | 'chained';

/**
 * How the session was found: by the AssumeRole call that created it (its tags, source identity
 * and session name are known), by the role in the calls' session context alone, or by the
 * agent's source identity, which role chaining keeps, when the chain's AssumeRole is not in the records.
 */
export type LinkedBy = 'assume-role' | 'session-context' | 'source-identity';

/** One call a session made. */
export interface AuditEvent {
  readonly eventId: string;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly awsRegion?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly outcome: Outcome;
  readonly readOnly: boolean;
  /** What the call was about: a resource ARN or a telling request parameter. */
  readonly target?: string;
  /** Whether it names a stack given as production (`--production-stack`). */
  readonly production: boolean;
  /** The session this call began (an AssumeRole of a chain), by id. */
  readonly opens?: string;
}

/** The circuit breaker quarantining an agent role (`trip`), or lifting the quarantine (`reset`). */
export interface Trip {
  readonly action: 'trip' | 'reset';
  readonly at: string;
  readonly roleName: string;
  readonly accountId?: string;
  /** Who put (or deleted) the quarantine policy. */
  readonly by?: string;
  readonly eventId: string;
}

/** An approval of a request, as the approval API shows it. */
export interface RequestApproval {
  readonly human: string;
  readonly callerArn?: string;
  readonly at?: string;
  readonly acceptedRisk?: boolean;
  readonly comment?: string;
}

/** A request of the approval workflow, as `GET /requests/{id}` returns it, narrowed. */
export interface RequestDetails {
  readonly requestId: string;
  readonly status?: string;
  readonly role?: string;
  readonly requester?: string;
  readonly onBehalfOf?: string;
  readonly justification?: string;
  readonly ticket?: string;
  readonly changeSetArn?: string;
  readonly impact?: {
    readonly stackName?: string;
    readonly production?: boolean;
    readonly risk?: string;
    readonly counts?: { readonly added: number; readonly modified: number; readonly removed: number; readonly replaced: number };
    readonly riskToAccept: readonly string[];
  };
  readonly approvals: readonly RequestApproval[];
  readonly history: ReadonlyArray<{ readonly at?: string; readonly event?: string; readonly by?: string }>;
}

/** A request read from the API, or why it could not be. */
export type RequestLookup =
  | { readonly ok: true; readonly request: RequestDetails }
  | { readonly ok: false; readonly status?: number; readonly error: string; readonly message: string };

/** Per-session counts. */
export interface SessionSummary {
  readonly calls: number;
  /** Calls refused by a policy. */
  readonly denied: number;
  /** Calls that failed otherwise. */
  readonly failed: number;
  /** Calls that changed something (not read-only) and were allowed. */
  readonly writes: number;
  /**
   * Whether the session changed production, or tried to: a call that is not read-only named a
   * production stack, or its request's change set is on one. `null` when nothing tells (no
   * --production-stack, no request read).
   */
  readonly production: boolean | null;
  readonly firstAt?: string;
  readonly lastAt?: string;
}

/** One assumed-role session and its calls. */
export interface AuditSession {
  /** `s1`, `s2`, ... in the order sessions began. */
  readonly id: string;
  readonly kind: SessionKind;
  readonly linkedBy: LinkedBy;
  readonly sourceIdentity?: string;
  /** The role, with its path. */
  readonly roleArn?: string;
  /** `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`. */
  readonly assumedRoleArn?: string;
  /** The session name: the task id of an agent session, `request-ID` of an elevated one. */
  readonly sessionName?: string;
  readonly accessKeyId?: string;
  readonly issuedAt?: string;
  readonly expiresAt?: string;
  /** Who called AssumeRole: the launcher, the workflow's issuer, or the session it was chained from. */
  readonly issuedBy?: string;
  /** The task session tag. */
  readonly task?: string;
  /** The request-id session tag of an elevated session. */
  readonly requestId?: string;
  /** The approvers session tag. */
  readonly approvers: readonly string[];
  /** The session this one was assumed from (its id). */
  readonly chainedFrom?: string;
  /** The sessions from the first one recorded to this one, as assumed-role ARNs (or role ARNs). */
  readonly chain: readonly string[];
  readonly events: readonly AuditEvent[];
  /** Trips and resets of the session's role while it lasted, and the trip in force when it began. */
  readonly trips: readonly Trip[];
  readonly summary: SessionSummary;
  /** The request, read from the approval API (with --url). */
  readonly request?: RequestLookup;
}

/** A principal whose calls the audit left out. */
export interface IgnoredPrincipal {
  readonly principal: string;
  readonly events: number;
}

/** What the audit found. */
export interface Audit {
  readonly sessions: readonly AuditSession[];
  /** Every trip and reset, also those of roles with no session in the records. */
  readonly trips: readonly Trip[];
  /** Records read. */
  readonly records: number;
  /** The first and last record's time. */
  readonly from?: string;
  readonly to?: string;
  readonly ignored: { readonly events: number; readonly principals: readonly IgnoredPrincipal[] };
}
