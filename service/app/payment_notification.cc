#include "service/app/payment_notification.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/resource_names.h"
#include "service/base/status_macros.h"

namespace collections::app {

namespace v1 = ::collections_sidecar::v1;
namespace {

using google::protobuf::Value;

absl::Status Bad(absl::string_view field, absl::string_view why) {
  return domain::InvalidInput("NOTIFICATION_INVALID", field, why);
}

// The string member `field`; empty when absent and !required.
absl::StatusOr<std::string> StringField(const google::protobuf::Struct& s, absl::string_view field,
                                        bool required, size_t max_len) {
  auto it = s.fields().find(std::string(field));
  if (it == s.fields().end() || it->second.kind_case() == Value::kNullValue) {
    if (required) return Bad(field, "is required");
    return std::string();
  }
  if (it->second.kind_case() != Value::kStringValue) return Bad(field, "must be a string");
  const std::string& v = it->second.string_value();
  if ((required && v.empty()) || v.size() > max_len) {
    return Bad(field, absl::StrCat("must be 1..", max_len, " characters"));
  }
  return v;
}

bool PrintableAscii(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// Invoice references compare without spaces and case ("RF18 5390 0754"
// is "rf185390 0754").
std::string NormalizedReference(absl::string_view s) {
  return absl::AsciiStrToUpper(absl::StrReplaceAll(s, {{" ", ""}}));
}

}  // namespace

absl::StatusOr<PaymentNotification> ParsePaymentNotification(absl::string_view json) {
  google::protobuf::Struct s;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &s, options).ok()) {
    return Bad("body", "must be a JSON object");
  }
  PaymentNotification n;
  ASSIGN_OR_RETURN(n.event_id, StringField(s, "event_id", true, 128));
  if (!PrintableAscii(n.event_id)) return Bad("event_id", "must be printable ASCII without spaces");
  ASSIGN_OR_RETURN(n.invoice, StringField(s, "invoice", true, 64));
  ASSIGN_OR_RETURN(n.currency, StringField(s, "currency", true, 3));
  n.currency = absl::AsciiStrToUpper(n.currency);
  if (!domain::IsKnownCurrency(n.currency)) return Bad("currency", "must be an ISO 4217 code");
  ASSIGN_OR_RETURN(n.payer, StringField(s, "payer", false, 200));

  auto amount = s.fields().find("amount_minor");
  if (amount == s.fields().end()) return Bad("amount_minor", "is required");
  const Value& a = amount->second;
  if (a.kind_case() == Value::kNumberValue) {
    // JSON numbers arrive as doubles: exact up to 2^53, far above any payment.
    const double d = a.number_value();
    if (d != std::floor(d) || d < 1 || d > 9007199254740992.0) {
      return Bad("amount_minor", "must be a positive whole number of minor units");
    }
    n.amount_minor = static_cast<int64_t>(d);
  } else if (a.kind_case() != Value::kStringValue ||
             !absl::SimpleAtoi(a.string_value(), &n.amount_minor) || n.amount_minor < 1) {
    return Bad("amount_minor", "must be a positive whole number of minor units");
  }

  ASSIGN_OR_RETURN(std::string paid_at, StringField(s, "paid_at", true, 64));
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, paid_at, &n.paid_at, &err)) {
    return Bad("paid_at", "must be an RFC 3339 time, e.g. 2026-11-20T10:15:00Z");
  }
  ASSIGN_OR_RETURN(std::string method, StringField(s, "method", false, 32));
  method = absl::AsciiStrToLower(method);
  if (method.empty() || method == "card") {
    n.method = v1::Payment::CARD;
  } else if (method == "bank_transfer") {
    n.method = v1::Payment::BANK_TRANSFER;
  } else if (method == "direct_debit") {
    n.method = v1::Payment::DIRECT_DEBIT;
  } else if (method == "other") {
    n.method = v1::Payment::OTHER;
  } else {
    return Bad("method", "must be card, bank_transfer, direct_debit or other");
  }
  return n;
}

absl::StatusOr<PaymentNotifications::Recorded> PaymentNotifications::Record(
    const CallContext& ctx, absl::string_view tenant, const PaymentNotification& n) {
  RETURN_IF_ERROR(CheckTenant(ctx, tenant));
  // The invoice: by number first (no body to parse), else by payment
  // reference.
  std::vector<store::InvoiceRow> by_number, by_reference;
  const std::string wanted_reference = NormalizedReference(n.invoice);
  std::optional<v1::Payment> recorded_before;
  RETURN_IF_ERROR(ledger_.store().Run(
      std::string(tenant), store::TxMode::kRead, [&](store::Transaction& tx) -> absl::Status {
        by_number.clear();
        by_reference.clear();
        recorded_before.reset();
        // A redelivery: the allocation below depends on the amount due,
        // which the first delivery changed, so the request is not rebuilt.
        ASSIGN_OR_RETURN(auto seen, tx.GetRequest(n.event_id));
        if (seen && seen->method == "RecordPayment") {
          v1::Payment p;
          if (!p.ParseFromString(seen->response))
            return absl::InternalError("stored response does not parse");
          recorded_before = std::move(p);
          return absl::OkStatus();
        }
        store::InvoiceFilter filter;
        filter.limit = 500;
        while (true) {
          ASSIGN_OR_RETURN(std::vector<store::InvoiceRow> rows, tx.ListInvoices(filter));
          for (auto& row : rows) {
            if (row.status == v1::Invoice::VOID) continue;
            if (row.number == n.invoice) {
              by_number.push_back(row);
              continue;
            }
            v1::Invoice inv;
            if (inv.ParseFromString(row.body) && !inv.payment_reference().empty() &&
                NormalizedReference(inv.payment_reference()) == wanted_reference) {
              by_reference.push_back(row);
            }
          }
          if (static_cast<int>(rows.size()) < filter.limit) return absl::OkStatus();
          filter.after_id = rows.back().id;
        }
      }));
  if (recorded_before) {
    std::string invoice_name;
    if (recorded_before->allocations_size() > 0)
      invoice_name = recorded_before->allocations(0).invoice();
    return Recorded{invoice_name, *std::move(recorded_before)};
  }
  const std::vector<store::InvoiceRow>& found = by_number.empty() ? by_reference : by_number;
  if (found.empty()) {
    return domain::NotFoundError(
        "INVOICE_NOT_FOUND",
        absl::StrCat("no invoice of tenant ", tenant, " has the number or payment reference \"",
                     n.invoice, "\""));
  }
  if (found.size() > 1) {
    return domain::PreconditionError("INVOICE_AMBIGUOUS",
                                     absl::StrCat("\"", n.invoice, "\" names ", found.size(),
                                                  " invoices of different customers"));
  }
  const store::InvoiceRow& invoice = found.front();

  v1::RecordPaymentRequest req;
  req.set_parent(CustomerResource(tenant, invoice.customer));
  req.set_request_id(n.event_id);
  v1::Payment& p = *req.mutable_payment();
  p.mutable_external_ref()->set_source_system("payment-notification");
  p.mutable_external_ref()->set_id(n.event_id);
  *p.mutable_amount() = ToProtoMoney(n.currency, n.amount_minor);
  *p.mutable_received_date() = ToProtoDate(absl::ToCivilDay(n.paid_at, absl::UTCTimeZone()));
  p.set_method(n.method);
  p.set_payer_reference(n.event_id);
  p.set_payer_name(n.payer);
  p.set_remittance_text(absl::StrCat("payment notification ", n.event_id, " for ", n.invoice));
  const std::string invoice_name = ChildResource(tenant, invoice.customer, kInvoices, invoice.id);
  if (invoice.currency == n.currency && invoice.amount_due > 0) {
    v1::Allocation* a = p.add_allocations();
    a->set_invoice(invoice_name);
    *a->mutable_amount() = ToProtoMoney(n.currency, std::min(n.amount_minor, invoice.amount_due));
  }
  ASSIGN_OR_RETURN(v1::Payment payment, ledger_.RecordPayment(ctx, req));
  return Recorded{invoice_name, std::move(payment)};
}

}  // namespace collections::app
