import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "bin/", "policy/node_modules/", "policy/bin/", "**/*.js", "**/*.mjs"] },
  eslint.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // Data flows one way: config -> model (stacks/) -> components. The model
    // derives every fact once (VIPs, IP pools, namespaces); a stacks module
    // that imported a component would re-open the cycle where components
    // re-derive what the model already knows. Shared constants and sizing
    // maths live in components/common, which both sides may use.
    // stacks/datacenter.ts is the composition root: wiring components is its job.
    files: ["stacks/**/*.ts"],
    ignores: ["stacks/datacenter.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^(\\.\\./)+components/(?!common/)",
              message:
                "stacks/ may import only components/common: derive the fact in stacks/ and let the component read it from the model.",
            },
          ],
        },
      ],
    },
  },
);
