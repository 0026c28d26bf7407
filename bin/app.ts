#!/usr/bin/env node
import { buildApp } from '../examples/coding-agent';

buildApp().synth();
