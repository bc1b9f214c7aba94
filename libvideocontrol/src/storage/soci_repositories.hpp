// The SOCI implementations of the repository interfaces, each bound to one session.
#pragma once

#include "soci_common.hpp"
#include "videocontrol/storage.hpp"

namespace vc::storage {

class SociOrganizations final : public OrganizationRepository {
 public:
  SociOrganizations(soci::session& s, Dialect d) : s_(s), d_(d) {}
  Result<void> insert(const Organization& org) override;
  Result<std::optional<Organization>> find(std::string_view id) override;
  Result<std::vector<Organization>> list(std::string_view after_id, int limit) override;
  Result<void> update(const Organization& org) override;
  Result<bool> remove(std::string_view id) override;
  Result<std::int64_t> count() override;
  Result<void> lock(std::string_view id) override;
  Result<std::int64_t> count_devices(std::string_view id) override;
  Result<std::int64_t> storage_bytes(std::string_view id) override;

 private:
  soci::session& s_;
  Dialect d_;
};

class SociUsers final : public UserRepository {
 public:
  explicit SociUsers(soci::session& s) : s_(s) {}
  Result<void> insert(const User& user) override;
  Result<std::optional<User>> find(std::string_view id) override;
  Result<std::optional<User>> find_by_username(std::string_view username) override;
  Result<std::vector<User>> list(std::string_view organization_id, std::string_view after_id, int limit) override;
  Result<void> update(const User& user) override;
  Result<bool> remove(std::string_view id) override;
  Result<std::int64_t> count() override;
  Result<std::int64_t> count_in(std::string_view organization_id) override;

 private:
  Result<std::optional<User>> find_where(const char* column, std::string_view value);
  soci::session& s_;
};

class SociSessions final : public SessionRepository {
 public:
  explicit SociSessions(soci::session& s) : s_(s) {}
  Result<void> insert(const AuthSession& session) override;
  Result<std::optional<AuthSession>> find_by_hash(std::string_view refresh_hash) override;
  Result<bool> mark_used(std::string_view id, std::int64_t at_ms) override;
  Result<void> revoke_family(std::string_view family_id, std::int64_t at_ms) override;
  Result<void> revoke_user(std::string_view user_id, std::int64_t at_ms) override;
  Result<bool> family_active(std::string_view family_id, std::int64_t now_ms) override;

 private:
  soci::session& s_;
};

class SociApiKeys final : public ApiKeyRepository {
 public:
  explicit SociApiKeys(soci::session& s) : s_(s) {}
  Result<void> insert(const ApiKey& key) override;
  Result<std::optional<ApiKey>> find(std::string_view id) override;
  Result<std::optional<ApiKey>> find_by_hash(std::string_view key_hash) override;
  Result<std::vector<ApiKey>> list(std::string_view organization_id, std::string_view after_id, int limit) override;
  Result<void> revoke(std::string_view id, std::int64_t at_ms) override;
  Result<void> touch(std::string_view id, std::int64_t at_ms) override;

 private:
  Result<std::optional<ApiKey>> find_where(const char* column, std::string_view value);
  soci::session& s_;
};

class SociAudit final : public AuditRepository {
 public:
  explicit SociAudit(soci::session& s) : s_(s) {}
  Result<void> append(const AuditEntry& entry) override;
  Result<std::vector<AuditEntry>> list(const AuditQuery& query) override;
  Result<std::int64_t> count() override;
  Result<std::int64_t> prune(std::int64_t before_ms, int max_rows) override;

 private:
  soci::session& s_;
};

class SociSettings final : public SettingRepository {
 public:
  explicit SociSettings(soci::session& s) : s_(s) {}
  Result<std::optional<std::string>> get(std::string_view key) override;
  Result<std::string> put_if_absent(std::string_view key, std::string_view value, std::int64_t at_ms) override;

 private:
  soci::session& s_;
};

class SociDevices final : public DeviceRepository {
 public:
  explicit SociDevices(soci::session& s) : s_(s) {}
  Result<void> insert(const Device& device) override;
  Result<std::optional<Device>> find_by_device_id(std::string_view device_id) override;
  Result<std::vector<Device>> list(std::string_view organization_id, std::string_view status,
                                   std::string_view after_device_id, int limit) override;
  Result<void> update(const Device& device) override;
  Result<bool> remove(std::string_view id) override;
  Result<std::optional<NowPlaying>> state(std::string_view id) override;
  Result<void> put_state(std::string_view id, const NowPlaying& state) override;
  Result<bool> put_state_unless_newer(std::string_view id, const NowPlaying& state) override;
  Result<std::vector<std::string>> with_placeholder(std::string_view media_id) override;
  Result<void> clear_placeholder_for(std::string_view media_id) override;
  Result<IdentityCounts> identity_counts() override;

 private:
  soci::session& s_;
};

class SociMedia final : public MediaRepository {
 public:
  explicit SociMedia(soci::session& s) : s_(s) {}
  Result<void> insert(const Media& media) override;
  Result<std::optional<Media>> find(std::string_view id) override;
  Result<std::optional<Media>> find_by_hash(std::string_view organization_id, std::string_view hash) override;
  Result<std::vector<Media>> list(std::string_view organization_id, std::string_view kind, std::string_view after_id,
                                  int limit) override;
  Result<void> update(const Media& media) override;
  Result<bool> remove(std::string_view id) override;
  Result<void> link(std::string_view device_pk, std::string_view media_id, std::string_view name,
                    std::int64_t at_ms) override;
  Result<bool> unlink(std::string_view device_pk, std::string_view name) override;
  Result<std::optional<DeviceFile>> find_file(std::string_view device_pk, std::string_view name) override;
  Result<std::vector<DeviceFile>> files(std::string_view device_pk, std::string_view after_name, int limit,
                                        const FileFilter& filter = {}) override;
  Result<std::int64_t> link_count(std::string_view media_id) override;
  Result<std::vector<std::string>> only_on(std::string_view device_pk) override;
  Result<std::vector<std::pair<std::string, std::string>>> links(std::string_view media_id) override;
  Result<std::optional<std::string>> name_on(std::string_view device_pk, std::string_view media_id) override;

 private:
  soci::session& s_;
};

class SociBlobs final : public BlobRepository {
 public:
  SociBlobs(soci::session& s, Dialect d) : s_(s), d_(d) {}
  Result<void> add_ref(std::string_view hash, std::int64_t size, std::int64_t at_ms) override;
  Result<bool> release(std::string_view hash) override;
  Result<std::int64_t> refcount(std::string_view hash) override;
  Result<void> lock(std::string_view hash) override;

 private:
  soci::session& s_;
  Dialect d_;
};

class SociJobs final : public JobRepository {
 public:
  SociJobs(soci::session& s, Dialect d) : s_(s), d_(d) {}
  Result<void> insert(const Job& job) override;
  Result<std::optional<Job>> find(std::string_view id) override;
  Result<std::optional<Job>> claim_next(std::string_view worker, std::int64_t now_ms,
                                        std::int64_t lease_expired_before_ms, std::string_view kind) override;
  Result<bool> update_owned(const Job& job, std::string_view worker) override;
  Result<std::vector<JobKindCounts>> counts(std::int64_t now_ms) override;

 private:
  soci::session& s_;
  Dialect d_;
};

class SociWebhooks final : public WebhookRepository {
 public:
  explicit SociWebhooks(soci::session& s) : s_(s) {}
  Result<void> insert(const Webhook& webhook) override;
  Result<std::optional<Webhook>> find(std::string_view id) override;
  Result<std::vector<Webhook>> list(std::string_view organization_id, std::string_view after_id, int limit) override;
  Result<std::vector<Webhook>> enabled_in(std::string_view organization_id) override;
  Result<void> update(const Webhook& webhook) override;
  Result<bool> remove(std::string_view id) override;
  Result<void> insert_delivery(const WebhookDelivery& delivery) override;
  Result<std::optional<WebhookDelivery>> find_delivery(std::string_view id) override;
  Result<std::vector<WebhookDelivery>> deliveries(std::string_view webhook_id, std::string_view before_id,
                                                  int limit) override;
  Result<void> update_delivery(const WebhookDelivery& delivery) override;

 private:
  Result<std::vector<Webhook>> select(const std::string& where, const std::vector<std::string>& params, int limit);
  soci::session& s_;
};

class SociScheduling final : public SchedulingRepository {
 public:
  explicit SociScheduling(soci::session& s) : s_(s) {}
  Result<void> insert_group(const DeviceGroup& group) override;
  Result<std::optional<DeviceGroup>> find_group(std::string_view id) override;
  Result<std::vector<DeviceGroup>> list_groups(std::string_view organization_id) override;
  Result<void> update_group(const DeviceGroup& group) override;
  Result<bool> remove_group(std::string_view id) override;
  Result<void> set_members(std::string_view group_id, const std::vector<std::string>& device_pks, std::int64_t at_ms) override;
  Result<std::vector<std::string>> group_ids_of(std::string_view device_pk) override;
  Result<void> insert_playlist(const Playlist& playlist) override;
  Result<std::optional<Playlist>> find_playlist(std::string_view id) override;
  Result<std::vector<Playlist>> list_playlists(std::string_view organization_id) override;
  Result<void> update_playlist(const Playlist& playlist) override;
  Result<bool> remove_playlist(std::string_view id) override;
  Result<std::vector<std::pair<std::string, std::string>>> playlists_using(std::string_view media_id) override;
  Result<void> remove_items_of(std::string_view media_id) override;
  Result<void> insert_assignment(const Assignment& a, std::string_view device_pk) override;
  Result<std::optional<Assignment>> find_assignment(std::string_view id) override;
  Result<std::vector<Assignment>> list_assignments(std::string_view organization_id, std::string_view device_pk,
                                                   std::string_view group_id) override;
  Result<std::vector<Assignment>> assignments_for(std::string_view device_pk) override;
  Result<void> update_assignment(const Assignment& a, std::string_view device_pk) override;
  Result<bool> remove_assignment(std::string_view id) override;
  Result<DeviceScheduleSettings> device_settings(std::string_view device_pk) override;
  Result<void> put_device_settings(std::string_view device_pk, const DeviceScheduleSettings& settings,
                                   std::int64_t at_ms) override;
  Result<void> insert_override(const Override& o) override;
  Result<std::optional<Override>> find_override(std::string_view id) override;
  Result<std::vector<Override>> active_overrides(std::string_view organization_id, std::int64_t now_ms) override;
  Result<void> clear_override(std::string_view id, std::int64_t at_ms) override;

 private:
  Result<std::vector<Assignment>> select_assignments(const std::string& where, const std::vector<std::string>& params);
  Result<void> write_items(const Playlist& playlist);
  Result<std::vector<Playlist>> select_playlists(const char* where, const std::string& value);
  soci::session& s_;
};

}  // namespace vc::storage
