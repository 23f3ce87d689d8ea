#include "service/app/letters.h"

#include <google/protobuf/util/time_util.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/app/recovery_convert.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;
namespace {

// More distinct (tenant, template, version) entries than this and the cache
// starts over: a bound on memory, far above any real tenant count × 17.
constexpr size_t kMaxCached = 4096;

}  // namespace

std::string TemplateKey(absl::string_view id, absl::string_view locale) {
  return absl::StrCat(id, ".", absl::AsciiStrToLower(locale));
}

domain::MessageTemplate TemplateFromProto(const v1::MessageTemplate& t) {
  domain::MessageTemplate d;
  d.id = t.id();
  d.locale = t.locale();
  d.stage = StageOf(t.stage());
  d.channel = ChannelOf(t.channel());
  d.tone = static_cast<domain::Tone>(t.tone() >= 0 && t.tone() <= 4 ? t.tone() : 0);
  d.subject = t.subject();
  d.body = t.body();
  d.version = t.version();
  return d;
}

v1::MessageTemplate TemplateToProto(absl::string_view tenant, const domain::MessageTemplate& t) {
  v1::MessageTemplate p;
  p.set_name(absl::StrCat(TenantName(tenant), "/messageTemplates/", TemplateKey(t.id, t.locale)));
  p.set_id(t.id);
  p.set_locale(t.locale);
  p.set_stage(ToProtoStage(t.stage));
  p.set_channel(ToProtoChannel(t.channel));
  p.set_tone(static_cast<v1::Tone>(t.tone));
  p.set_subject(t.subject);
  p.set_body(t.body);
  p.set_version(t.version);
  return p;
}

absl::StatusOr<std::optional<v1::TenantProfile>> Letters::LoadProfile(store::Transaction& tx) {
  ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kProfileKind, kProfileId));
  if (!doc) return std::nullopt;
  v1::TenantProfile p;
  if (!p.ParseFromString(doc->body))
    return absl::InternalError("stored tenant profile does not parse");
  return p;
}

absl::StatusOr<std::vector<v1::MessageTemplate>> Letters::LoadTenantTemplates(
    store::Transaction& tx) {
  std::vector<v1::MessageTemplate> out;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(auto page, tx.ListDocs(kTemplateKind, "", after, 500));
    if (page.empty()) break;
    after = page.back().id;
    for (const auto& d : page) {
      v1::MessageTemplate t;
      if (!t.ParseFromString(d.body)) {
        return absl::InternalError(absl::StrCat("stored template ", d.id, " does not parse"));
      }
      out.push_back(std::move(t));
    }
  }
  return out;
}

absl::StatusOr<LetterKit> Letters::Load(store::Transaction& tx, const std::string& tenant) const {
  LetterKit kit;
  kit.tenant = tenant;
  kit.links.tenant = tenant;
  kit.sender.company_name = fallback_company_name_;
  ASSIGN_OR_RETURN(std::optional<v1::TenantProfile> profile, LoadProfile(tx));
  if (profile) {
    kit.sender = {profile->company_name(), profile->postal_address(), profile->reply_to(),
                  profile->phone(), profile->signature()};
    kit.links.link_template = profile->payment_link_template();
    kit.links.secret = profile->payment_link_secret();
    if (profile->payment_link_valid_days() > 0) {
      kit.links.valid_days = profile->payment_link_valid_days();
    }
  }
  ASSIGN_OR_RETURN(auto replaced, LoadTenantTemplates(tx));
  std::set<std::string> keys;
  for (const auto& t : replaced) {
    kit.templates.push_back(TemplateFromProto(t));
    keys.insert(TemplateKey(t.id(), t.locale()));
  }
  for (const auto& t : domain::DefaultTemplates()) {
    if (!keys.contains(TemplateKey(t.id, t.locale))) kit.templates.push_back(t);
  }
  return kit;
}

absl::StatusOr<std::shared_ptr<const domain::CompiledTemplate>> Letters::Compiled(
    absl::string_view tenant, const domain::MessageTemplate& t) {
  const std::string key = absl::StrCat(t.version == 0 ? "" : tenant, "\n",
                                       TemplateKey(t.id, t.locale), "\n", t.version);
  {
    absl::MutexLock lock(&mu_);
    if (auto it = cache_.find(key); it != cache_.end()) {
      const domain::MessageTemplate& src = it->second->source();
      if (src.subject == t.subject && src.body == t.body) return it->second;
    }
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const domain::CompiledTemplate> c,
                   domain::CompiledTemplate::Compile(t));
  absl::MutexLock lock(&mu_);
  ++compilations_;
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_[key] = c;
  return c;
}

int64_t Letters::compilations() const {
  absl::MutexLock lock(&mu_);
  return compilations_;
}

absl::StatusOr<domain::RenderedMessage> Letters::RenderCompiled(
    const LetterKit& kit, const domain::AccountContext& account, const domain::Recommendation& rec,
    const domain::CompiledTemplate& t) {
  ASSIGN_OR_RETURN(domain::RenderInput in, domain::MakeRenderInput(account, rec, kit.sender));
  AddPaymentLinks(kit.links, in);
  ASSIGN_OR_RETURN(domain::RenderedMessage m, t.Render(in));
  RETURN_IF_ERROR(domain::CheckTone(absl::StrCat(m.subject, "\n", m.body), account.customer.kind));
  return m;
}

absl::StatusOr<domain::RenderedMessage> Letters::Render(const LetterKit& kit,
                                                        const domain::AccountContext& account,
                                                        const domain::Recommendation& rec,
                                                        absl::string_view template_id) {
  ASSIGN_OR_RETURN(domain::MessageTemplate t,
                   domain::FindTemplate(kit.templates, template_id, account.customer.locale));
  ASSIGN_OR_RETURN(auto compiled, Compiled(kit.tenant, t));
  return RenderCompiled(kit, account, rec, *compiled);
}

absl::StatusOr<domain::RenderedMessage> Letters::RenderText(const LetterKit& kit,
                                                            const domain::AccountContext& account,
                                                            const domain::Recommendation& rec,
                                                            const domain::MessageTemplate& text) {
  ASSIGN_OR_RETURN(auto compiled, domain::CompiledTemplate::Compile(text));
  return RenderCompiled(kit, account, rec, *compiled);
}

}  // namespace collections::app
