// DerivedStore: what the content pipeline makes from a blob (page images, folder images, a
// thumbnail, a video rendition, a manifest), addressed like the blob itself — by the source's
// SHA-256 and the profile of the conversion — so the same bytes uploaded by ten devices or ten
// organisations are converted once (DESIGN.md principle 6, issue 12).
//
//   <root>/<ab>/<hash>/<profile>/manifest.json, thumb.jpg, 000001.png …, rendition.mp4
//   <root>/tmp/<job>/                    a job's private work folder (tool temp files, output)
//
// A profile folder appears only by an atomic rename of a complete work folder whose files were
// flushed, with manifest.json written last, so a crash leaves either nothing or a complete folder,
// and nothing half-written is ever served. Paths come from hashes and fixed names only. Private to
// the library.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/result.hpp"

namespace vc::pipeline {

class DerivedStore {
 public:
  // root: an absolute or relative folder (created when missing).
  explicit DerivedStore(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  // The folder of (hash, profile); it may not exist. REQUIRES: valid hash and profile.
  std::string dir(std::string_view hash, std::string_view profile) const;
  // A file of a published profile folder, when present. Errors: invalid (bad hash, profile or name),
  // not_found.
  Result<std::string> file(std::string_view hash, std::string_view profile, std::string_view name) const;
  // Whether (hash, profile) is published (its manifest exists).
  bool published(std::string_view hash, std::string_view profile) const;
  // manifest.json of a published folder. Errors: not_found, unavailable.
  Result<std::string> manifest(std::string_view hash, std::string_view profile) const;

  // A new empty work folder for a job (an earlier attempt's folder of the same job is removed
  // first, so a resumed job starts clean). Errors: invalid (bad job id), unavailable.
  Result<std::string> make_work_dir(std::string_view job_id) const;
  // Removes a work folder (absent is fine); failures are logged.
  void remove_work_dir(std::string_view job_id) const;
  // Flushes every file of `out_dir`, writes manifest.json (flushed) last, then renames out_dir to
  // the (hash, profile) folder. When another worker published the same folder first, ours is
  // removed and theirs kept (the outputs are equal by construction). Errors: invalid, unavailable.
  Result<void> publish(const std::string& out_dir, std::string_view hash, std::string_view profile,
                       std::string_view manifest_json) const;
  // Everything derived from `hash` (with its bytes, when the last reference goes). Absent is fine.
  Result<void> remove_all(std::string_view hash) const;
  // The job ids that have a work folder (the pipeline removes those whose job no longer runs).
  std::vector<std::string> work_dirs() const;

  static bool valid_hash(std::string_view hash) noexcept;
  // [a-z0-9._-]{1,64}, not starting with '.'
  static bool valid_profile(std::string_view profile) noexcept;
  // A published folder's file name: [A-Za-z0-9._-]{1,64}, not starting with '.'
  static bool valid_name(std::string_view name) noexcept;

 private:
  std::string root_;
};

}  // namespace vc::pipeline
