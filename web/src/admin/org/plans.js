// The plans and the limits each brings: a copy of libvideocontrol's plan_limits (src/core/domain.cpp),
// used only to show what an empty override means in the superadmin's forms. The REST API has no
// route listing the plans; an organisation's own answer (its "limits") is what counts.
export const PLANS = ['FREE', 'STARTER', 'PRO', 'ENTERPRISE'];

const GB = 1e9;
const LIMITS = {
  FREE: { devices: 5, users: 3, storage_bytes: 5 * GB },
  STARTER: { devices: 20, users: 10, storage_bytes: 50 * GB },
  PRO: { devices: 100, users: 50, storage_bytes: 500 * GB },
  ENTERPRISE: { devices: null, users: null, storage_bytes: null },
};

export function planLimits(plan) {
  return LIMITS[plan] ?? { devices: null, users: null, storage_bytes: null };
}
