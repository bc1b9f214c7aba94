// What each role may do: the same table as libvideocontrol's permissions.hpp, used only to hide
// controls a person cannot use (the server checks every call regardless).
const table = {
  read: ['viewer', 'speaker', 'operator', 'admin', 'superadmin'],
  control: ['speaker', 'operator', 'admin', 'superadmin'],
  manage_content: ['operator', 'admin', 'superadmin'],
  manage_users: ['admin', 'superadmin'],
  manage_api_keys: ['admin', 'superadmin'],
  read_audit: ['admin', 'superadmin'],
  manage_organizations: ['superadmin'],
};

export function can(user, permission) {
  return !!user && (table[permission] ?? []).includes(user.role);
}
