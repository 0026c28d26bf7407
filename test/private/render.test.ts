import { App, CfnResource, Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { renderedProperties, renderedPropertiesOf } from '../../lib/private/render';

/** What renderedPropertiesOf must return: the properties `names` of the whole rendering. */
function picked(resource: CfnResource, names: string[]): Record<string, unknown> {
  const all = renderedProperties(resource);
  return Object.fromEntries(names.filter((n) => all[n] !== undefined).map((n) => [n, all[n]]));
}

describe('renderedPropertiesOf', () => {
  let stack: Stack;
  beforeEach(() => {
    stack = new Stack(new App(), 'Stack');
  });

  const cases: Array<[string, () => CfnResource, string[]]> = [
    ['a literal name', () => new sqs.Queue(stack, 'Queue', { queueName: 'orders' }).node.defaultChild as CfnResource, ['QueueName']],
    ['no name', () => new sqs.Queue(stack, 'Queue').node.defaultChild as CfnResource, ['QueueName']],
    ['a name that is a token', () => new sqs.Queue(stack, 'Queue', { queueName: `${stack.stackName}-orders` }).node.defaultChild as CfnResource, ['QueueName']],
    ['a name a lazy leaves undefined (physical names)', () => new s3.Bucket(stack, 'Bucket').node.defaultChild as CfnResource, ['BucketName']],
    ['a name given by an override', () => {
      const queue = new sqs.Queue(stack, 'Queue', { queueName: 'orders' }).node.defaultChild as CfnResource;
      queue.addPropertyOverride('QueueName', 'overridden');
      return queue;
    }, ['QueueName']],
    ['a name deleted by an override', () => {
      const queue = new sqs.Queue(stack, 'Queue', { queueName: 'orders' }).node.defaultChild as CfnResource;
      queue.addPropertyDeletionOverride('QueueName');
      return queue;
    }, ['QueueName']],
    ['a raw CfnResource', () => new CfnResource(stack, 'Raw', { type: 'AWS::IAM::Role', properties: { Path: '/agent-workload/', RoleName: Lazy.string({ produce: () => 'lazy' }) } }), ['Path', 'RoleName']],
    ['a name that resolves to an object', () => new CfnResource(stack, 'Raw', { type: 'Custom::Thing', properties: { Name: Lazy.any({ produce: () => ({ Ref: 'Other' }) }) } }), ['Name']],
    ['an L2 subclass of an L1 (the policy CDK synthesizes only when attached)', () => {
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal(), path: '/agent-workload/' });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
      return role.node.findChild('DefaultPolicy').node.defaultChild as CfnResource;
    }, ['PolicyName', 'Path']],
  ];

  test.each(cases)('returns what the whole rendering holds: %s', (_, make, names) => {
    const resource = make();
    expect(renderedPropertiesOf(resource, names)).toEqual(picked(resource, names));
  });

  test('renders whole a subclass that renders its properties by code of its own', () => {
    class Renamed extends CfnResource {
      protected renderProperties(props: Record<string, unknown>): Record<string, unknown> {
        return { ...props, Name: 'renamed' };
      }
    }
    const resource = new Renamed(stack, 'Renamed', { type: 'Custom::Renamed', properties: { Other: 'x' } });
    expect(renderedPropertiesOf(resource, ['Name'])).toEqual({ Name: 'renamed' });
  });
});
