/**
 * The private-cloud policy pack: `pulumi preview --policy-pack policy`.
 * Thresholds are in each policy's configSchema, with the defaults the
 * components size from (components/common); see README.md "Policy pack".
 */
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./policies";

new PolicyPack("private-cloud", {
  description: "Production lessons of the private cloud as gates on every preview",
  policies: allPolicies(),
});
