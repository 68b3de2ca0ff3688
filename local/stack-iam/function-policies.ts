/**
 * The IAM policies the stack attaches to its functions' roles, read from a synthesis of the stack itself
 * (lib/): the local broker then grants each function exactly what its role would get on AWS, so a
 * permission removed from lib/ fails locally too. Only the ARNs change: the cluster ARN token becomes the
 * local cluster's ARN, and the topic and consumer group names are the local pipeline's.
 */
import type { PolicyDocument, PolicyStatement } from '../broker';
import { evaluate } from './intrinsics';

export interface StackNames {
  /** The local MSK cluster ARN that stands for the stack's cluster. */
  readonly clusterArn: string;
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly consumerGroupId: string;
}

export interface FunctionPolicies {
  readonly ingest: PolicyDocument;
  readonly consume: PolicyDocument;
}

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** The construct ids of the functions in lib/ (their roles are described as "Execution role of <id>"). */
const ROLE_DESCRIPTIONS = {
  ingest: 'Execution role of IngestFunction',
  consume: 'Execution role of ConsumeFunction',
} as const;

/**
 * Synthesizes the pipeline stack (no bundling, offline; aws-cdk-lib loads in some seconds) and returns the
 * policy of the ingest and the consume function roles, inline and attached statements together.
 */
export async function synthesizeFunctionPolicies(names: StackNames): Promise<FunctionPolicies> {
  const [{ App }, { PipelineStack }] = await Promise.all([
    import('aws-cdk-lib'),
    import('../../lib/pipeline-stack'),
  ]);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new PipelineStack(app, 'LocalIamPolicies', {
    topic: names.topic,
    deadLetterTopic: names.deadLetterTopic,
    consumerGroupId: names.consumerGroupId,
  });
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, TemplateResource>;
  };
  return {
    ingest: rolePolicy(template.Resources, ROLE_DESCRIPTIONS.ingest, names.clusterArn),
    consume: rolePolicy(template.Resources, ROLE_DESCRIPTIONS.consume, names.clusterArn),
  };
}

function rolePolicy(
  resources: Record<string, TemplateResource>,
  description: string,
  clusterArn: string,
): PolicyDocument {
  const entries = Object.entries(resources);
  const roles = entries.filter(
    ([, resource]) => resource.Type === 'AWS::IAM::Role' && resource.Properties?.Description === description,
  );
  const [role, ...others] = roles;
  if (!role || others.length > 0) {
    throw new Error(`expected one IAM role described "${description}" in the stack, found ${roles.length}`);
  }
  const [roleId, roleResource] = role;
  const clusters = entries.filter(([, resource]) => resource.Type === 'AWS::MSK::Cluster');
  const inline = ((roleResource.Properties?.Policies ?? []) as { PolicyDocument: PolicyDocument }[]).flatMap(
    (policy) => policy.PolicyDocument.Statement,
  );
  const attached = entries
    .filter(
      ([, resource]) =>
        resource.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(resource.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]),
    )
    .flatMap(
      ([, resource]) => (resource.Properties?.PolicyDocument as PolicyDocument | undefined)?.Statement ?? [],
    );
  const attributes = Object.fromEntries(clusters.map(([id]) => [`${id}.Arn`, clusterArn]));
  return {
    Version: '2012-10-17',
    Statement: evaluate([...inline, ...attached], attributes) as PolicyStatement[],
  };
}
