/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
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
