/* The aspects ProductionProtection applies to the resources of a production stack. */
import { Annotations, CfnDeletionPolicy, CfnResource, IAspect, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';

/** The S3 ABAC status under which IAM evaluates a bucket's tags. */
export const ABAC_ENABLED = 'Enabled';

/** Turns on S3 ABAC on every bucket, so IAM evaluates their production tag. */
export class EnableBucketAbac implements IAspect {
  public visit(node: IConstruct): void {
    if (node instanceof s3.CfnBucket && node.abacStatus === undefined) {
      node.abacStatus = ABAC_ENABLED;
    }
  }
}

/** Retains stateful resources and turns on the services' own deletion protection. */
export class RetainStatefulResources implements IAspect {
  constructor(private readonly statefulTypes: Set<string>) {}

  public visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node) || !this.statefulTypes.has(node.cfnResourceType)) {
      return;
    }
    if (node.cfnOptions.deletionPolicy === CfnDeletionPolicy.DELETE) {
      Annotations.of(node).addInfo(
        `${node.cfnResourceType} had removal policy DESTROY; production protection retains it (set allowStatefulResourceDeletion to opt out)`,
      );
    }
    node.applyRemovalPolicy(RemovalPolicy.RETAIN);

    if (node instanceof dynamodb.CfnTable) {
      node.deletionProtectionEnabled = keepExplicitFalse(node, node.deletionProtectionEnabled, 'deletionProtectionEnabled');
    } else if (node instanceof rds.CfnDBInstance || node instanceof rds.CfnDBCluster) {
      node.deletionProtection = keepExplicitFalse(node, node.deletionProtection, 'deletionProtection');
    }
  }
}

function keepExplicitFalse(node: CfnResource, current: unknown, property: string): any {
  if (current === false) {
    Annotations.of(node).addWarningV2(
      'cdk-agent-guardrails:deletionProtectionOff',
      `${property} is explicitly false on a production ${node.cfnResourceType}`,
    );
    return false;
  }
  return Token.isUnresolved(current) ? current : true;
}
