#!/usr/bin/env node
import { Validations } from 'aws-cdk-lib';
import { buildApp } from '../examples/coding-agent';
import { AgentGuardrailsReview } from '../lib';

// `cdk synth` reviews the app: it prints every finding and fails on errors.
const app = buildApp();
Validations.of(app).addPlugins(new AgentGuardrailsReview());
app.synth();
