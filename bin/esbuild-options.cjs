/*
 * Pure (reads tsconfig.json once): the esbuild options that transpile this repository's TypeScript
 * one file at a time as tsc would emit it, shared by the require hook (bin/typescript-hook.cjs)
 * and jest's transformer (test/support/esbuild-transform.js). The compiler options esbuild honours
 * (target, decorators, class fields) come from tsconfig.json, whose isolatedModules must be on for
 * file-by-file transpiling to be exact. A file of the repository, not of the package.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const TSCONFIG = path.join(__dirname, '..', 'tsconfig.json');

/** tsconfig.json as an object; through TypeScript's reader (slower to load) only if it is not plain JSON. */
function readTsconfig(text) {
  try {
    return JSON.parse(text);
  } catch {
    const ts = require('typescript');
    const parsed = ts.parseConfigFileTextToJson(TSCONFIG, text);
    if (parsed.error) throw new Error(`${TSCONFIG}: ${ts.flattenDiagnosticMessageText(parsed.error.messageText, '\n')}`);
    return parsed.config;
  }
}

/**
 * The options for `user` (the file that transpiles, named in the error when tsconfig.json does not
 * allow it), and tsconfig.json's text, for cache keys.
 */
function esbuildOptions(user) {
  const tsconfigText = fs.readFileSync(TSCONFIG, 'utf8');
  const { compilerOptions } = readTsconfig(tsconfigText);
  if (compilerOptions.isolatedModules !== true) {
    throw new Error(`${TSCONFIG}: compilerOptions.isolatedModules must be true for ${user}, which transpiles one file at a time; got ${compilerOptions.isolatedModules}`);
  }
  const options = {
    loader: 'ts',
    format: 'cjs',
    platform: 'node',
    target: compilerOptions.target.toLowerCase(),
    tsconfigRaw: { compilerOptions },
    // As tsc emits `import()` for CommonJS: a require, once the promise runs.
    supported: { 'dynamic-import': false },
  };
  return { options, tsconfigText };
}

module.exports = { esbuildOptions };
