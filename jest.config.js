/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // isolatedModules: type-checking is `npm run build`'s job; per-file
    // transpiling keeps the suite fast on a 2-core CI machine.
    "^.+\\.ts$": ["ts-jest", { isolatedModules: true }],
  },
  testTimeout: 30000,
};
