// Test kit entry point, `@egress-proxier/core/testing`: fakes for the core seams, usable by third-party
// backend authors too.
export * from './recording-exec.js';
export * from './manual-clock.js';
