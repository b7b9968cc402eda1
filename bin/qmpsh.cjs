#!/usr/bin/env node
// CommonJS on purpose: it skips Node's ESM loader, a measurable part of a one-shot's start-up.
require('../dist/launch.cjs');
