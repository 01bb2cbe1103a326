const os = require("os");

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  // Two workers even on a 2-core machine (jest's default there is one): the
  // end-to-end suites spend most of their wall time waiting on their own
  // simulated datacenter (tests/e2e/release.test.ts: 337 s wall for 140 s of
  // CPU), and each has its own ports, directories and state backend, so two
  // of them, or one beside the unit suites, overlap instead of queueing.
  maxWorkers: Math.max(2, os.cpus().length - 1),
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // tsconfig's isolatedModules makes ts-jest transpile file by file:
    // type-checking is `npm run build`'s job, and this keeps the suite fast on
    // a 2-core CI machine.
    "^.+\\.ts$": "ts-jest",
  },
  testTimeout: 30000,
};
