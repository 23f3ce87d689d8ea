#include "service/app/letters_app.h"

#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "service/app/letters.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;
namespace {

using domain::InvalidInput;

constexpr char kTemplatesCollection[] = "messageTemplates";

google::protobuf::Timestamp Now(const domain::Clock& clock) { return Ts(clock.Now()); }

std::string ProfileName(absl::string_view tenant) {
  return absl::StrCat(TenantName(tenant), "/profile");
}

// The profile as the API shows it: the secret replaced by its key id.
v1::TenantProfile Redacted(v1::TenantProfile p) {
  if (!p.payment_link_secret().empty())
    p.set_payment_link_key_id(PaymentKeyId(p.payment_link_secret()));
  p.clear_payment_link_secret();
  return p;
}

absl::Status ProfileError(absl::string_view field, absl::string_view why) {
  return InvalidInput("INVALID_PROFILE", absl::StrCat("profile.", field), why);
}

// Printable text: no control characters but, where allowed, line breaks.
bool Printable(absl::string_view s, bool lines) {
  for (const char c : s) {
    if (c == '\n' && lines) continue;
    if (absl::ascii_iscntrl(c)) return false;
  }
  return true;
}

absl::Status CheckText(const std::string& s, size_t max, bool lines, absl::string_view field) {
  if (s.size() > max) return ProfileError(field, absl::StrCat("at most ", max, " characters"));
  if (!Printable(s, lines)) {
    return ProfileError(field, lines ? "no control characters but line breaks"
                                     : "no control characters or line breaks");
  }
  return absl::OkStatus();
}

// Every rule of letters.proto TenantProfile, first problem first.
absl::Status ValidateProfile(const v1::TenantProfile& p) {
  if (p.company_name().empty()) return ProfileError("company_name", "required");
  RETURN_IF_ERROR(CheckText(p.company_name(), 200, false, "company_name"));
  RETURN_IF_ERROR(CheckText(p.postal_address(), 10 * 201, true, "postal_address"));
  const std::vector<absl::string_view> lines = absl::StrSplit(p.postal_address(), '\n');
  if (lines.size() > 10) return ProfileError("postal_address", "at most 10 lines");
  for (absl::string_view line : lines) {
    if (line.size() > 200) return ProfileError("postal_address", "at most 200 characters a line");
  }
  if (!p.reply_to().empty()) {
    const size_t at = p.reply_to().find('@');
    if (p.reply_to().size() > 254 || at == 0 || at == std::string::npos ||
        at + 1 == p.reply_to().size() || absl::StrContains(p.reply_to(), ' ') ||
        !Printable(p.reply_to(), false)) {
      return ProfileError("reply_to", "an e-mail address local@domain, at most 254 characters");
    }
  }
  if (p.phone().size() > 40 || !std::all_of(p.phone().begin(), p.phone().end(), [](char c) {
        return absl::ascii_isdigit(c) || absl::StrContains(" +()-./", c);
      })) {
    return ProfileError("phone", "at most 40 characters of digits, spaces and + ( ) - . /");
  }
  RETURN_IF_ERROR(CheckText(p.signature(), 500, true, "signature"));
  bool uses_token = false;
  if (!p.payment_link_template().empty()) {
    RETURN_IF_ERROR(ValidatePaymentLinkTemplate(p.payment_link_template(),
                                                "profile.payment_link_template", &uses_token));
  }
  if (p.payment_link_valid_days() < 0 || p.payment_link_valid_days() > 365) {
    return ProfileError("payment_link_valid_days", "1..365, or 0 for 30");
  }
  if (!p.payment_link_secret().empty() &&
      (p.payment_link_secret().size() < 32 || p.payment_link_secret().size() > 64)) {
    return ProfileError("payment_link_secret", "32..64 bytes");
  }
  if (uses_token && p.payment_link_secret().empty()) {
    return ProfileError("payment_link_secret",
                        "required when payment_link_template uses {{token}}");
  }
  return absl::OkStatus();
}

// Copies the fields `paths` names (all settable ones when empty) from `from`
// into `to`. An empty secret never replaces the stored one.
absl::Status ApplyUpdate(const v1::TenantProfile& from,
                         const google::protobuf::RepeatedPtrField<std::string>& paths,
                         v1::TenantProfile* to) {
  static const char* const kSettable[] = {"company_name",
                                          "postal_address",
                                          "reply_to",
                                          "phone",
                                          "signature",
                                          "payment_link_template",
                                          "payment_link_valid_days",
                                          "payment_link_secret"};
  std::vector<std::string> fields(paths.begin(), paths.end());
  if (fields.empty()) fields.assign(std::begin(kSettable), std::end(kSettable));
  for (const std::string& f : fields) {
    if (f == "company_name")
      to->set_company_name(from.company_name());
    else if (f == "postal_address")
      to->set_postal_address(from.postal_address());
    else if (f == "reply_to")
      to->set_reply_to(from.reply_to());
    else if (f == "phone")
      to->set_phone(from.phone());
    else if (f == "signature")
      to->set_signature(from.signature());
    else if (f == "payment_link_template")
      to->set_payment_link_template(from.payment_link_template());
    else if (f == "payment_link_valid_days")
      to->set_payment_link_valid_days(from.payment_link_valid_days());
    else if (f == "payment_link_secret") {
      if (!from.payment_link_secret().empty())
        to->set_payment_link_secret(from.payment_link_secret());
    } else {
      return InvalidInput("INVALID_PROFILE", "update_mask",
                          absl::StrCat("\"", f, "\" is not a settable TenantProfile field"));
    }
  }
  return absl::OkStatus();
}

// Every template in effect for the tenant, by resource name: the shipped
// ones, overlaid by the tenant's replacements.
absl::StatusOr<std::map<std::string, v1::MessageTemplate>> EffectiveTemplates(
    store::Transaction& tx, absl::string_view tenant) {
  std::map<std::string, v1::MessageTemplate> out;
  for (const auto& t : domain::DefaultTemplates()) {
    v1::MessageTemplate p = TemplateToProto(tenant, t);
    out[p.name()] = std::move(p);
  }
  ASSIGN_OR_RETURN(auto replaced, Letters::LoadTenantTemplates(tx));
  for (auto& t : replaced) out[t.name()] = std::move(t);
  return out;
}

absl::StatusOr<std::string> TenantOfTemplateName(absl::string_view name, std::string* key) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "tenants" || parts[2] != kTemplatesCollection ||
      !IsValidTenantId(parts[1]) || parts[3].empty() || parts[3].size() > 200) {
    return InvalidInput("INVALID_RESOURCE_NAME", "name",
                        "expected tenants/{tenant}/messageTemplates/{id}.{locale}");
  }
  *key = parts[3];
  return parts[1];
}

// A template as given in a request, checked for storage or preview; field
// paths start with "template.".
absl::StatusOr<domain::MessageTemplate> RequestedTemplate(const v1::MessageTemplate& t) {
  domain::MessageTemplate d = TemplateFromProto(t);
  if (!v1::CollectionStage_IsValid(t.stage()) || !v1::Channel_IsValid(t.channel()) ||
      !v1::Tone_IsValid(t.tone())) {
    return InvalidInput("TEMPLATE_INVALID", "template.stage", "unknown stage, channel or tone");
  }
  if (absl::Status st = domain::ValidateTemplate(d); !st.ok()) {
    return domain::PrefixFields(st, "template.");
  }
  return d;
}

}  // namespace

absl::StatusOr<v1::TenantProfile> LettersApp::GetTenantProfile(
    const CallContext& ctx, const v1::GetTenantProfileRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant,
                   ParseTenantName(absl::StripSuffix(r.name(), "/profile"), "name"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  v1::TenantProfile out;
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(auto profile, Letters::LoadProfile(tx));
        if (!profile) {
          return domain::NotFoundError(
              "PROFILE_NOT_FOUND",
              absl::StrCat(ProfileName(tenant),
                           " is not set; letters are signed with the server's "
                           "--company_name until UpdateTenantProfile sets it"));
        }
        out = Redacted(*profile);
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<v1::TenantProfile> LettersApp::UpdateTenantProfile(
    const CallContext& ctx, const v1::UpdateTenantProfileRequest& r) {
  ASSIGN_OR_RETURN(
      std::string tenant,
      ParseTenantName(absl::StripSuffix(r.profile().name(), "/profile"), "profile.name"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  v1::TenantProfile out;
  RETURN_IF_ERROR(store_.Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    return RunIdempotent(
        tx, r.request_id(), "LetterService/UpdateTenantProfile", r, &out, [&]() -> absl::Status {
          ASSIGN_OR_RETURN(auto current, Letters::LoadProfile(tx));
          const int64_t version = current ? current->version() : 0;
          if (r.expected_version() > 0 && r.expected_version() != version) {
            return domain::WithReason(
                absl::AbortedError(absl::StrCat("the profile is at version ", version, ", not ",
                                                r.expected_version())),
                "PROFILE_VERSION_MISMATCH");
          }
          v1::TenantProfile next = current.value_or(v1::TenantProfile());
          RETURN_IF_ERROR(ApplyUpdate(r.profile(), r.update_mask().paths(), &next));
          RETURN_IF_ERROR(ValidateProfile(next));
          next.set_name(ProfileName(tenant));
          next.set_version(version + 1);
          next.clear_payment_link_key_id();
          *next.mutable_update_time() = Now(clock_);
          next.set_updated_by(ctx.actor);
          RETURN_IF_ERROR(
              tx.PutDoc({kProfileKind, kProfileId, "", "", "", next.SerializeAsString()}));
          out = Redacted(next);
          const v1::TenantProfile before = Redacted(current.value_or(v1::TenantProfile()));
          return AppendEvent(tx, clock_, ctx, tenant, "tenant_profile.updated", out.name(), "",
                             current ? &before : nullptr, &out, r.request_id());
        });
  }));
  return out;
}

absl::StatusOr<v1::ListMessageTemplatesResponse> LettersApp::ListMessageTemplates(
    const CallContext& ctx, const v1::ListMessageTemplatesRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size()));
  std::string after;
  if (!r.page_token().empty()) {
    ASSIGN_OR_RETURN(after, PageStart(r));
  }
  v1::ListMessageTemplatesResponse out;
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(auto all, EffectiveTemplates(tx, tenant));
        for (auto it = all.upper_bound(after); it != all.end(); ++it) {
          if (out.templates_size() == page_size) {
            out.set_next_page_token(NextPageToken(r, out.templates().rbegin()->name()));
            break;
          }
          *out.add_templates() = it->second;
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<v1::MessageTemplate> LettersApp::GetMessageTemplate(
    const CallContext& ctx, const v1::GetMessageTemplateRequest& r) {
  std::string key;
  ASSIGN_OR_RETURN(std::string tenant, TenantOfTemplateName(r.name(), &key));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  v1::MessageTemplate out;
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(auto all, EffectiveTemplates(tx, tenant));
        auto it = all.find(r.name());
        if (it == all.end()) {
          return domain::NotFoundError("TEMPLATE_NOT_FOUND",
                                       absl::StrCat(r.name(), " does not exist"));
        }
        out = it->second;
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<v1::MessageTemplate> LettersApp::ReplaceMessageTemplate(
    const CallContext& ctx, const v1::ReplaceMessageTemplateRequest& r) {
  ASSIGN_OR_RETURN(std::string tenant, ParseTenantName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  ASSIGN_OR_RETURN(domain::MessageTemplate text, RequestedTemplate(r.template_()));
  const std::string key = TemplateKey(text.id, text.locale);
  v1::MessageTemplate out;
  RETURN_IF_ERROR(store_.Run(tenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    return RunIdempotent(
        tx, r.request_id(), "LetterService/ReplaceMessageTemplate", r, &out, [&]() -> absl::Status {
          ASSIGN_OR_RETURN(auto all, EffectiveTemplates(tx, tenant));
          const std::string name =
              absl::StrCat(TenantName(tenant), "/", kTemplatesCollection, "/", key);
          const auto it = all.find(name);
          const int64_t version = it == all.end() ? 0 : it->second.version();
          if (r.expected_version() > 0 && r.expected_version() != version) {
            return domain::WithReason(
                absl::AbortedError(
                    absl::StrCat(name, " is at version ", version, ", not ", r.expected_version())),
                "TEMPLATE_VERSION_MISMATCH");
          }
          text.version = version + 1;
          out = TemplateToProto(tenant, text);
          out.set_customized(true);
          *out.mutable_update_time() = Now(clock_);
          out.set_updated_by(ctx.actor);
          RETURN_IF_ERROR(tx.PutDoc({kTemplateKind, key, "", "", "", out.SerializeAsString()}));
          return AppendEvent(tx, clock_, ctx, tenant, "message_template.replaced", out.name(), "",
                             it == all.end() ? nullptr : &it->second, &out, r.request_id());
        });
  }));
  return out;
}

absl::StatusOr<v1::RenderMessageResponse> LettersApp::PreviewMessageTemplate(
    const CallContext& ctx, const v1::PreviewMessageTemplateRequest& r) {
  v1::MessageTemplate given = r.template_();
  if (given.id().empty()) given.set_id("preview.message");
  if (given.locale().empty()) given.set_locale("en");
  ASSIGN_OR_RETURN(domain::MessageTemplate text, RequestedTemplate(given));
  v1::RenderMessageRequest render;
  render.set_customer(r.customer());
  *render.mutable_as_of() = r.as_of();
  return recovery_.PreviewMessage(ctx, render, text);
}

}  // namespace collections::app
