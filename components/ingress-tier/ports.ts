// The ports live in components/common so that config validation (stacks/)
// can refuse colliding business ports without importing this component.
export * from "../common/ingress-ports";
