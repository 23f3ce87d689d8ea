// RecoveryService: contacts with the debtor, recorded and listed.
#include "service/app/recovery_internal.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collections_sidecar/v1/cases.pb.h"
#include "service/app/arrangements_app.h"
#include "service/app/cases_app.h"
#include "service/app/ledger_ops.h"
#include "service/app/partial_update.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/domain/compliance.h"
#include "service/domain/recommend.h"
#include "service/domain/risk.h"
#include "service/domain/templates.h"
#include "service/domain/work_queue.h"

namespace collections::app {

using domain::InvalidInput;

// ------------------------------------------------------------ contacts

namespace {

absl::Status ValidateContact(const v1::ContactRecord& c) {
  if (c.channel() == v1::CHANNEL_UNSPECIFIED || !v1::Channel_IsValid(c.channel())) {
    return InvalidInput("INVALID_CONTACT", "contact.channel", "required");
  }
  if (c.direction() == v1::ContactRecord::DIRECTION_UNSPECIFIED) {
    return InvalidInput("INVALID_CONTACT", "contact.direction", "required");
  }
  if (c.outcome() == v1::ContactRecord::OUTCOME_UNSPECIFIED) {
    return InvalidInput("INVALID_CONTACT", "contact.outcome", "required");
  }
  RETURN_IF_ERROR(CheckLength(c.summary(), 4000, "contact.summary"));
  RETURN_IF_ERROR(CheckLength(c.agreement(), 2000, "contact.agreement"));
  RETURN_IF_ERROR(CheckLength(c.actor(), 200, "contact.actor"));
  if (c.override_rule().empty() != c.override_reason().empty()) {
    return InvalidInput(
        "INVALID_OVERRIDE",
        c.override_rule().empty() ? "contact.override_rule" : "contact.override_reason",
        "an override needs both the rule and the reason");
  }
  if (!c.override_reason().empty() &&
      (c.override_reason().size() < 10 || c.override_reason().size() > 1000)) {
    return InvalidInput("INVALID_OVERRIDE", "contact.override_reason", "10..1000 characters");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckAfterCustomerExisted(store::Transaction& tx, const std::string& tenant,
                                       const std::string& customer_id, absl::Time t,
                                       absl::string_view field) {
  ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kCustomerKind, customer_id));
  if (!doc) return absl::OkStatus();  // the caller reports CUSTOMER_NOT_FOUND
  v1::Customer c;
  if (!c.ParseFromString(doc->body)) return absl::InternalError("bad stored customer");
  absl::Time since = FromTs(c.create_time()) - absl::Hours(24 * 366);
  if (c.relationship().has_customer_since()) {
    auto day = ToDay(c.relationship().customer_since(), "customer_since");
    if (day.ok()) since = absl::FromCivil(*day, absl::UTCTimeZone());
  }
  if (t >= since) return absl::OkStatus();
  return InvalidInput(
      "TIME_BEFORE_CUSTOMER", field,
      absl::StrCat(absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone()), " is before ",
                   CustomerResource(tenant, customer_id), " existed (",
                   absl::FormatTime(absl::RFC3339_full, since, absl::UTCTimeZone()),
                   "): give the time it happened, or leave it unset for now"));
}

absl::StatusOr<v1::ContactRecord> RecoveryApp::RecordContact(const CallContext& ctx,
                                                             const v1::RecordContactRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, cn.tenant));
  RETURN_IF_ERROR(ValidateContact(r.contact()));
  if (r.contact().has_time()) {
    RETURN_IF_ERROR(CheckNotFuture(FromTs(r.contact().time()), clock_, "contact.time"));
  }
  std::vector<std::string> invoice_ids;
  for (int i = 0; i < r.contact().invoices_size(); ++i) {
    ASSIGN_OR_RETURN(ChildName n, ParseChildName(r.contact().invoices(i), kInvoices,
                                                 absl::StrCat("contact.invoices[", i, "]")));
    if (n.tenant != cn.tenant || n.customer != cn.customer) {
      return InvalidInput("CROSS_CUSTOMER_REFERENCE", absl::StrCat("contact.invoices[", i, "]"),
                          "names an invoice of another customer");
    }
    invoice_ids.push_back(n.id);
  }
  v1::ContactRecord out;
  RETURN_IF_ERROR(store_.Run(cn.tenant, store::TxMode::kWrite, [&](store::Transaction& tx) {
    return RunIdempotent(
        tx, r.request_id(), "RecoveryService/RecordContact", r, &out, [&]() -> absl::Status {
          out = r.contact();
          if (!out.has_time()) *out.mutable_time() = Ts(clock_.Now());
          const absl::Time when = FromTs(out.time());
          RETURN_IF_ERROR(
              CheckAfterCustomerExisted(tx, cn.tenant, cn.customer, when, "contact.time"));
          ASSIGN_OR_RETURN(
              domain::AccountContext account,
              LoadContext(tx, cn.tenant, cn.customer, absl::ToCivilDay(when, absl::UTCTimeZone())));
          for (size_t i = 0; i < invoice_ids.size(); ++i) {
            const bool known =
                std::any_of(account.invoices.begin(), account.invoices.end(),
                            [&](const auto& inv) { return inv.state.id == invoice_ids[i]; });
            if (!known) {
              return domain::NotFoundError(
                  "INVOICE_NOT_FOUND", absl::StrCat(r.contact().invoices(i), " does not exist"));
            }
          }
          ASSIGN_OR_RETURN(v1::CollectionPolicy pp, TenantPolicy(tx));
          domain::ProposedContact proposed;
          proposed.time = when;
          proposed.channel = ChannelOf(out.channel());
          proposed.direction = out.direction() == v1::ContactRecord::INBOUND
                                   ? domain::Direction::kInbound
                                   : domain::Direction::kOutbound;
          proposed.invoice_ids = invoice_ids;
          proposed.override_rule = out.override_rule();
          proposed.override_reason = out.override_reason();
          const domain::ComplianceVerdict verdict =
              domain::CheckContact(account, PolicyFromProto(pp), proposed);
          RETURN_IF_ERROR(domain::VerdictStatus(verdict));
          if (!verdict.overridden) {
            out.clear_override_rule();
            out.clear_override_reason();
          }
          const std::string id =
              ContactId(when, absl::StrCat(cn.customer, r.request_id(), out.SerializeAsString()));
          out.set_name(ChildResource(cn.tenant, cn.customer, kContacts, id));
          if (out.actor().empty()) out.set_actor(ctx.actor);
          RETURN_IF_ERROR(
              tx.PutDoc({kContactKind, id, cn.customer, "", "", out.SerializeAsString()}));
          const std::string customer_resource = CustomerResource(cn.tenant, cn.customer);
          if (verdict.overridden) {
            RETURN_IF_ERROR(AppendEvent(tx, clock_, ctx, cn.tenant, "compliance.overridden",
                                        out.name(), customer_resource, nullptr, &out,
                                        r.request_id()));
          }
          return AppendEvent(tx, clock_, ctx, cn.tenant, "contact.recorded", out.name(),
                             customer_resource, nullptr, &out, r.request_id());
        });
  }));
  return out;
}

absl::StatusOr<v1::ListContactsResponse> RecoveryApp::ListContacts(
    const CallContext& ctx, const v1::ListContactsRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  RETURN_IF_ERROR(CheckTenant(ctx, cn.tenant));
  ASSIGN_OR_RETURN(int page_size, PageSize(r.page_size()));
  ASSIGN_OR_RETURN(std::string after, PageStart(r));
  v1::ListContactsResponse out;
  RETURN_IF_ERROR(
      store_.Run(cn.tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(auto docs, tx.ListDocs(kContactKind, cn.customer, after, page_size + 1));
        for (int i = 0; i < static_cast<int>(docs.size()) && i < page_size; ++i) {
          ASSIGN_OR_RETURN(*out.add_contacts(), ParseDoc<v1::ContactRecord>(docs[i]));
        }
        if (static_cast<int>(docs.size()) > page_size) {
          out.set_next_page_token(NextPageToken(r, docs[page_size - 1].id));
        }
        return absl::OkStatus();
      }));
  return out;
}

}  // namespace collections::app
