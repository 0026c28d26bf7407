/*
 * I/O: whether dist/ was built from the sources as they are now, so that the CLI never runs a stale
 * build. A file of the repository, not of the package.
 *
 * The fingerprint of the sources is a digest of the path, size and modification time of every file
 * under lib/ (an edit, a `touch`, a new, renamed or deleted file all change it) and of the tsconfig
 * files. bin/build.cjs takes it before it compiles and writes it to dist/.build-stamp when it is
 * done, so that an edit made during a build leaves that build stale. Checking costs one stat per
 * file, a few milliseconds.
 */
'use strict';
const { createHash } = require('crypto');
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const STAMP = path.join(ROOT, 'dist', '.build-stamp');
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json'];

/** The digest of lib/ and the tsconfig files as they are now. */
function sourcesFingerprint() {
  const hash = createHash('sha256');
  const file = (name) => {
    const stat = fs.statSync(path.join(ROOT, name));
    hash.update(`${name}\0${stat.size}\0${stat.mtimeMs}\n`);
  };
  const folder = (name) => {
    for (const entry of fs.readdirSync(path.join(ROOT, name), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = `${name}/${entry.name}`;
      if (entry.isDirectory()) folder(child);
      else file(child);
    }
  };
  folder('lib');
  CONFIGS.forEach(file);
  return hash.digest('hex');
}

/** Whether dist/ holds a complete build of the sources as they are now. */
function isBuildCurrent() {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(STAMP, 'utf8'));
  } catch {
    return false; // no build, a build under way, or one that failed
  }
  return stamp.sources === sourcesFingerprint();
}

/** Records that dist/ is a build of the sources whose fingerprint, taken before compiling, is `sources`. */
function writeStamp(sources, compiler) {
  fs.writeFileSync(STAMP, `${JSON.stringify({ sources, compiler })}\n`);
}

module.exports = { STAMP, isBuildCurrent, sourcesFingerprint, writeStamp };
