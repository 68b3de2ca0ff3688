import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackIdFromContext, stackPropsFromContext } from '../lib/context';
import { PipelineStack } from '../lib/pipeline-stack';

const app = new App();
new PipelineStack(app, stackIdFromContext(app.node), {
  ...stackPropsFromContext(app.node),
  description: 'Exactly-once event ingestion on Amazon MSK and AWS Lambda',
  // Environment-agnostic (synth needs no account or credentials) unless an existing VPC must be looked up.
  env: app.node.tryGetContext('vpcId')
    ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
    : undefined,
});
// Every synth is checked against the AWS Solutions rules; an unacknowledged finding fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
