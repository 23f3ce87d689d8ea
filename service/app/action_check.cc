#include "service/app/action_check.h"

#include <google/protobuf/util/time_util.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "service/base/errors.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"
#include "service/domain/compliance.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;

absl::StatusOr<v1::ActionCheck> ActionChecker::CheckAction(const CallContext& ctx,
                                                           const v1::CheckActionRequest& r) {
  ASSIGN_OR_RETURN(OutboxActionName name, ParseOutboxActionName(r.name(), "name"));
  const auto& [tenant, id] = name;
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  const absl::Time when = r.has_time() ? FromTs(r.time()) : clock_.Now();
  v1::ActionCheck out;
  RETURN_IF_ERROR(
      store_.Run(tenant, store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(auto doc, tx.GetDoc(kOutboxKind, id));
        if (!doc) {
          return domain::NotFoundError("ACTION_NOT_FOUND",
                                       absl::StrCat(r.name(), " does not exist"));
        }
        v1::OutboxAction action;
        if (!action.ParseFromString(doc->body))
          return absl::InternalError("unreadable outbox action");
        out.set_name(action.name());
        out.set_status(action.status());
        *out.mutable_check_time() = Ts(when);

        domain::ProposedContact proposed;
        proposed.time = when;
        proposed.channel = ChannelOf(action.recommendation().channel());
        proposed.direction = domain::Direction::kOutbound;
        for (const std::string& invoice : action.recommendation().invoices()) {
          auto n = ParseChildName(invoice, kInvoices, "invoices");
          if (n.ok()) proposed.invoice_ids.push_back(n->id);
        }
        ASSIGN_OR_RETURN(domain::AccountContext account,
                         recovery_.LoadContext(tx, tenant, doc->customer,
                                               absl::ToCivilDay(when, absl::UTCTimeZone())));
        ASSIGN_OR_RETURN(v1::CollectionPolicy policy, recovery_.TenantPolicy(tx));
        const domain::ComplianceVerdict verdict =
            domain::CheckContact(account, PolicyFromProto(policy), proposed);
        out.set_allowed(verdict.allowed);
        if (!verdict.allowed) {
          out.set_rule(verdict.rule);
          out.set_message(verdict.message);
          if (verdict.next_allowed) *out.mutable_next_allowed_time() = Ts(*verdict.next_allowed);
        }
        return absl::OkStatus();
      }));
  return out;
}

}  // namespace collections::app
