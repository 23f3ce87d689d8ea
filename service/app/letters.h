// Letters: what rendering a message needs from the store, and a cache of
// compiled templates. A LetterKit holds one tenant's letterhead, payment-link
// settings and templates (its replacements over the shipped ones); it is
// loaded once per transaction, so a RunCollections over thousands of
// accounts reads the profile and the templates once. Templates are compiled
// once per tenant and template version and shared by every call.
//
// Stored documents (tenant-scoped):
//   ("tenant_profile", "current")          collections_sidecar.v1.TenantProfile,
//                                          with its payment_link_secret
//   ("message_template", "<id>.<locale>")  collections_sidecar.v1.MessageTemplate
#ifndef COLLECTIONS_APP_LETTERS_H_
#define COLLECTIONS_APP_LETTERS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "collections_sidecar/v1/letters.pb.h"
#include "service/app/payment_link.h"
#include "service/domain/account_context.h"
#include "service/domain/policy.h"
#include "service/domain/recommend.h"
#include "service/domain/templates.h"
#include "service/store/store.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

inline constexpr char kProfileKind[] = "tenant_profile";
inline constexpr char kProfileId[] = "current";
inline constexpr char kTemplateKind[] = "message_template";

// The document id of a template: "<id>.<locale>", locale lower-cased.
std::string TemplateKey(absl::string_view id, absl::string_view locale);

// proto <-> domain.
domain::MessageTemplate TemplateFromProto(const v1::MessageTemplate& t);
v1::MessageTemplate TemplateToProto(absl::string_view tenant, const domain::MessageTemplate& t);

struct LetterKit {
  std::string tenant;
  domain::Letterhead sender;
  PaymentLinkSettings links;
  // The tenant's replacements, then every shipped template it did not
  // replace (same id and locale).
  std::vector<domain::MessageTemplate> templates;
};

class Letters {
 public:
  // `fallback_company_name` (collectionsd --company_name) signs the letters
  // of tenants without a profile.
  explicit Letters(std::string fallback_company_name)
      : fallback_company_name_(std::move(fallback_company_name)) {}

  // The stored profile, secret included; nullopt when the tenant has none.
  static absl::StatusOr<std::optional<v1::TenantProfile>> LoadProfile(store::Transaction& tx);
  // The tenant's replaced templates, by document id.
  static absl::StatusOr<std::vector<v1::MessageTemplate>> LoadTenantTemplates(
      store::Transaction& tx);

  // Everything rendering needs for `tenant`, inside the caller's transaction.
  absl::StatusOr<LetterKit> Load(store::Transaction& tx, const std::string& tenant) const;

  // Renders template `template_id` in the customer's locale (the tenant's
  // text first, then the shipped one) for `rec` on `account`, with payment
  // links, and checks the tone for the debtor. NotFound TEMPLATE_NOT_FOUND,
  // FailedPrecondition MISSING_TEMPLATE_FIELD or TEMPLATE_TONE_REFUSED.
  absl::StatusOr<domain::RenderedMessage> Render(const LetterKit& kit,
                                                 const domain::AccountContext& account,
                                                 const domain::Recommendation& rec,
                                                 absl::string_view template_id);
  // The same with a given text, not stored (previews); compiled, not cached.
  absl::StatusOr<domain::RenderedMessage> RenderText(const LetterKit& kit,
                                                     const domain::AccountContext& account,
                                                     const domain::Recommendation& rec,
                                                     const domain::MessageTemplate& text);

  // Templates compiled since construction (to observe the cache).
  int64_t compilations() const;

 private:
  // The compiled form of `t` from the cache, compiling it on a miss. Keyed
  // by tenant (empty for shipped text), id, locale and version; the text is
  // compared too, so a store copied between servers cannot serve stale text.
  absl::StatusOr<std::shared_ptr<const domain::CompiledTemplate>> Compiled(
      absl::string_view tenant, const domain::MessageTemplate& t);
  absl::StatusOr<domain::RenderedMessage> RenderCompiled(const LetterKit& kit,
                                                         const domain::AccountContext& account,
                                                         const domain::Recommendation& rec,
                                                         const domain::CompiledTemplate& t);

  const std::string fallback_company_name_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const domain::CompiledTemplate>> cache_
      ABSL_GUARDED_BY(mu_);
  int64_t compilations_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace collections::app

#endif  // COLLECTIONS_APP_LETTERS_H_
