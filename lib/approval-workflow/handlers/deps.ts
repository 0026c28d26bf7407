/*
 * What the handlers need from the world, as interfaces. The Lambda entry points build them from
 * AWS SDK clients (created lazily); tests and local mode pass their own.
 */
import { BreakGlassConfig } from '../logic/break-glass';
import { ApproverSpec } from '../logic/identity';
import { RuleConfig } from '../logic/rules';
import { RequestStore, SessionCredentials, StoredRequest } from './store';

/** An elevated role a request may name. */
export interface ElevatedRoleConfig {
  readonly arn: string;
  readonly maxSessionSeconds: number;
  /** Whether a request must name a change set (`allowRequestsWithoutChangeSet` unset). @default true */
  readonly changeSetRequired?: boolean;
  /** Stacks whose change sets the role executes, by name or pattern. @default - any */
  readonly stackNames?: string[];
  /** Change sets that remove or replace production data: approvers must accept them, or they are refused. @default 'accept' */
  readonly riskyChangeSets?: 'accept' | 'refuse';
  /** Break-glass, when the role allows it (`ElevatedRoleOptions.breakGlass`). @default - none */
  readonly breakGlass?: BreakGlassConfig;
}

/** The workflow's configuration, as the construct writes it into the functions' environment. */
export interface WorkflowConfig extends RuleConfig {
  readonly approvers: ApproverSpec[];
  /** Whether roles may ask without naming the human they act for (`allowRequestsWithoutOnBehalfOf`). */
  readonly allowRequestsWithoutOnBehalfOf?: boolean;
  /** Elevated roles by name. */
  readonly roles: Record<string, ElevatedRoleConfig>;
  /** How long a request waits for approvals, in seconds. */
  readonly pendingSeconds: number;
  /** Requests one requester may have waiting for approval at a time. @default 3 */
  readonly maxPendingPerRequester?: number;
  /** The workflow's account and region: change sets must be there. */
  readonly account?: string;
  readonly region?: string;
  /** The production tag, for the impact of change sets. @default Environment=production */
  readonly productionTag?: { readonly key: string; readonly values: string[] };
}

/** A change set described: the root's `describe-change-set` output, then each nested change set's. */
export type ChangeSetDescription = { readonly found: true; readonly documents: unknown[] } | { readonly found: false; readonly message: string };

/** Describes change sets (with property values, every page, nested change sets followed). */
export interface ChangeSetReader {
  describe(changeSetArn: string): Promise<ChangeSetDescription>;
}

/** The state machine, as the handlers drive it. */
export interface Workflow {
  /** Starts the execution for a new request (idempotent per request id). */
  start(requestId: string): Promise<void>;
  /** Completes the approval wait: the request may proceed to issuing. */
  approve(taskToken: string, requestId: string): Promise<void>;
  /** Ends the approval wait with an error the state machine catches (`RequestDenied`). */
  reject(taskToken: string, error: string, cause: string): Promise<void>;
}

/** Issues the elevated session. */
export interface SessionIssuer {
  assumeRole(params: {
    roleArn: string;
    sessionName: string;
    sourceIdentity: string;
    durationSeconds: number;
    policy: string;
    tags: Array<{ Key: string; Value: string }>;
  }): Promise<SessionCredentials>;
}

/** Ends sessions already in use. */
export interface SessionRevoker {
  /** Denies every session of `roleArn` tagged with `requestId` and issued before `before`. */
  revoke(roleArn: string, requestId: string, before: Date): Promise<void>;
}

/**
 * A state change, published for teams to route to email, chat or a pager. `break-glass`: an
 * approver broke glass (the session is issued next, and a post-incident review is open).
 */
export interface WorkflowEvent {
  readonly type: 'requested' | 'approved' | 'denied' | 'expired' | 'issued' | 'revoked' | 'failed' | 'break-glass';
  readonly request: StoredRequest;
  readonly by?: string;
}

/** A call the workflow refused: what was asked, by whom, and why. */
export interface RefusalEvent {
  readonly at: string;
  /** `METHOD /path`, as routed. */
  readonly action: string;
  readonly by: string;
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly requestId?: string;
}

/** Publishes state changes, and refusals. */
export interface EventPublisher {
  publish(event: WorkflowEvent): Promise<void>;
  /** Refusals go to the event bus, not to the topic's subscribers. */
  refused(event: RefusalEvent): Promise<void>;
}

/** Signs approvals and verifies their proofs (an HMAC with a key only the workflow's functions may use). */
export interface ApprovalSigner {
  sign(message: string): Promise<string>;
  verify(message: string, proof: string): Promise<boolean>;
}

/**
 * Seals an issued session's credentials for one request and its requester: the issuer seals, only
 * the API function opens, and a sealed value opens for no other request.
 */
export interface CredentialsVault {
  seal(requestId: string, requesterArn: string, credentials: SessionCredentials): Promise<string>;
  open(requestId: string, requesterArn: string, sealed: string): Promise<SessionCredentials>;
}

/** Everything the handlers depend on. */
export interface HandlerDeps {
  readonly config: WorkflowConfig;
  readonly store: RequestStore;
  readonly workflow: Workflow;
  readonly issuer: SessionIssuer;
  readonly revoker: SessionRevoker;
  readonly changeSets: ChangeSetReader;
  readonly signer: ApprovalSigner;
  readonly vault: CredentialsVault;
  readonly events: EventPublisher;
  readonly now: () => Date;
  readonly newId: () => string;
  readonly log?: (message: string, detail?: Record<string, unknown>) => void;
  /** Waits between retries. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}
