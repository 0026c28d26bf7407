/*
 * Construct logic: production as the breaker recognises it in CloudTrail records, read from the
 * app at synth: the production stacks the agents' boundaries know (by name or pattern), and the
 * physical names written out in those stacks.
 */
import { CfnResource, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { AgentRole } from '../../agent-roles/agent-role';
import { ProductionProtection } from '../../production-protection/production-protection';
import { renderedPropertiesOf } from '../../private/render';
import { withoutCovered } from '../../private/wildcards';
import { ProductionIdentifiers } from '../logic/config';

/** Properties that hold a resource's physical name (the identifier a call names it by). */
export const NAME_PROPERTIES: readonly string[] = [
  'BucketName',
  'ClusterName',
  'DBClusterIdentifier',
  'DBInstanceIdentifier',
  'DeliveryStreamName',
  'FunctionName',
  'LogGroupName',
  'Name',
  'QueueName',
  'RepositoryName',
  'RoleName',
  'StackName',
  'StateMachineName',
  'StreamName',
  'TableName',
  'TopicName',
];

/** The production identifiers of the app `scope` is in, for the breaker of `agents`. */
export function productionIdentifiers(scope: IConstruct, agents: readonly AgentRole[]): ProductionIdentifiers {
  const stackNames = agents.flatMap((a) => a.boundary.productionStackNames());
  const resourceNames: string[] = [];
  for (const protection of ProductionProtection.findAll(scope)) {
    stackNames.push(protection.stack.stackName);
    for (const child of protection.stack.node.findAll()) {
      if (!CfnResource.isCfnResource(child)) continue;
      const properties = renderedPropertiesOf(child, NAME_PROPERTIES);
      for (const name of NAME_PROPERTIES) {
        const value = properties[name];
        if (typeof value === 'string' && !Token.isUnresolved(value) && value.length > 0) resourceNames.push(value);
      }
    }
  }
  return { stackNames: withoutCovered(stackNames), resourceNames: [...new Set(resourceNames)].sort() };
}
