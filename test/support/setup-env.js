// CDK's built-in CloudFormation validation checks templates against the resource schemas on every
// synth; it checks nothing of this library's, and costs about half of the test suite's time. It is
// off in tests unless the environment says otherwise; test/examples.test.ts turns it on, so every
// example is still validated by it.
if (process.env.CDK_VALIDATION === undefined) process.env.CDK_VALIDATION = 'false';

// CDK records where each CloudFormation element was created, a stack trace per resource in the
// assembly's manifest (`aws:cdk:creationStack`), and where each annotation (warning, info) was
// added; under jest, which maps every frame through the source maps, the first is about a tenth of
// a synth. No test reads them, and the templates are the same without them, so tests run with CDK's
// context switches for both on unless the environment gives a context of its own.
if (process.env.CDK_CONTEXT_JSON === undefined) {
  process.env.CDK_CONTEXT_JSON = JSON.stringify({ 'aws:cdk:disable-creation-stack-traces': true, 'aws:cdk:disable-stack-trace': true });
}
