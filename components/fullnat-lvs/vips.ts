/**
 * The LVS tier's view of the VIP allocation. The allocation itself is a fact
 * of the datacenter, derived once while the model is built
 * (stacks/derive/vips.ts, stored as `model.vips`); components only read it.
 */
import type { DatacenterModel } from "../../stacks/model";
import type { VipAssignment } from "../../stacks/derive/vips";

export {
  allocateVips,
  hashedVip,
  usableRange,
  type Protocol,
  type VipAllocationInput,
  type VipAssignment,
  type VipIssue,
  type VipPort,
} from "../../stacks/derive/vips";

/** Every business's VIP and ports, in config order; empty when the datacenter has no LVS tier. */
export function vipAssignments(model: DatacenterModel): VipAssignment[] {
  return [...model.vips];
}
