// CDK's built-in CloudFormation validation checks templates against the resource schemas on every
// synth; it checks nothing of this library's, and costs about half of the test suite's time. It is
// off in tests unless the environment says otherwise; test/examples.test.ts turns it on, so every
// example is still validated by it.
if (process.env.CDK_VALIDATION === undefined) process.env.CDK_VALIDATION = 'false';
