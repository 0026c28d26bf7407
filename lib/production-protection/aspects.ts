/* The aspects ProductionProtection applies to the resources of a production stack. */
import { Annotations, CfnDeletionPolicy, CfnResource, IAspect, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ArtifactMetadataEntryType } from 'aws-cdk-lib/cloud-assembly-schema';
import { IConstruct } from 'constructs';

/** The S3 ABAC status under which IAM evaluates a bucket's tags. */
export const ABAC_ENABLED = 'Enabled';

/** Turns on S3 ABAC on every bucket, so IAM evaluates their production tag. */
export class EnableBucketAbac implements IAspect {
  public visit(node: IConstruct): void {
    // The class is read only for a bucket: aws-cdk-lib loads a service's module when one of its classes is first read.
    if (CfnResource.isCfnResource(node) && node.cfnResourceType === 'AWS::S3::Bucket' && node instanceof s3.CfnBucket && node.abacStatus === undefined) {
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
      info(node, `${node.cfnResourceType} had removal policy DESTROY; production protection retains it (set allowStatefulResourceDeletion to opt out)`);
    }
    node.applyRemovalPolicy(RemovalPolicy.RETAIN);

    // Each class is read only for a resource of its type (see EnableBucketAbac).
    const type = node.cfnResourceType;
    if (type === 'AWS::DynamoDB::Table' && node instanceof dynamodb.CfnTable) {
      node.deletionProtectionEnabled = keepExplicitFalse(node, node.deletionProtectionEnabled, 'deletionProtectionEnabled');
    } else if ((type === 'AWS::RDS::DBInstance' && node instanceof rds.CfnDBInstance) || (type === 'AWS::RDS::DBCluster' && node instanceof rds.CfnDBCluster)) {
      node.deletionProtection = keepExplicitFalse(node, node.deletionProtection, 'deletionProtection');
    }
  }
}

/**
 * Adds an info message to `node` as `Annotations.addInfo` does (once), without the stack trace it
 * captures: for a message an aspect adds, that trace shows CDK's synthesis rather than the app's
 * code, and capturing it costs about a millisecond a message where source maps are on (ts-node).
 */
function info(node: IConstruct, message: string): void {
  if (!node.node.metadata.some((entry) => entry.data === message)) {
    node.node.addMetadata(ArtifactMetadataEntryType.INFO, message);
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
