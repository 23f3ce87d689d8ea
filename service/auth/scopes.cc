#include "service/auth/scopes.h"

#include <initializer_list>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/base/errors.h"

namespace collections::auth {
namespace {

const absl::flat_hash_map<std::string, Scope>& MethodScopes() {
  static const auto* table = [] {
    auto* t = new absl::flat_hash_map<std::string, Scope>();
    auto add = [t](const char* service, std::initializer_list<const char*> methods, Scope scope) {
      for (const char* m : methods) (*t)[absl::StrCat(service, "/", m)] = scope;
    };
    add("LedgerService",
        {"GetCustomer", "ListCustomers", "GetInvoice", "ListInvoices", "GetPayment", "ListPayments",
         "GetCreditNote", "ListCreditNotes", "GetAccountSummary", "GetAgingReport"},
        Scope::kRead);
    add("AuditService", {"ListEvents", "WatchEvents"}, Scope::kRead);
    add("RecoveryService",
        {"GetPolicy", "GetRecommendation", "ListRecommendations", "ListWorkQueue", "ListContacts",
         "ExportCaseFile", "RenderMessage", "GetPaymentRisk", "CheckAction", "BacktestPolicy"},
        Scope::kRead);
    // Reads evaluate promises and plans as of a day and store nothing;
    // RefreshArrangements (a write) records what they decided.
    add("ArrangementService", {"ListPromises", "GetPaymentPlan", "AssessFees", "ListArrangements"},
        Scope::kRead);
    add("LedgerService",
        {"UpsertCustomer", "UpsertInvoice", "VoidInvoice", "RecordPayment", "RecordCreditNote",
         "SyncLedger"},
        Scope::kWrite);
    // StreamActions hands outbox work to a delivery worker, which then
    // reports with CompleteAction: both belong to the writer.
    add("RecoveryService", {"RecordContact", "RunCollections", "StreamActions", "CompleteAction"},
        Scope::kWrite);
    add("ArrangementService",
        {"RecordPromise", "ProposePaymentPlan", "AcceptPaymentPlan", "ExtendTerms",
         "ProposeSettlement", "AcceptSettlement", "ApplyLateFees", "OpenDispute", "ResolveDispute",
         "WriteOff", "ReverseWriteOff", "ReferToAgency", "ReferToLegal", "RecordAgencyCollection",
         "RecallReferral", "RefreshArrangements"},
        Scope::kWrite);
    add("CashApplicationService", {"ListUnappliedCash"}, Scope::kRead);
    add("CaseService", {"GetCase", "ListCases"}, Scope::kRead);
    add("CaseService", {"RebuildCases"}, Scope::kWrite);
    add("CashApplicationService", {"ApplyUnappliedCash", "DismissUnappliedCash"}, Scope::kWrite);
    // RecoveryService/ReplacePolicy changes how every debtor is pursued.
    add("RecoveryService", {"ReplacePolicy"}, Scope::kAdmin);
    add("LetterService",
        {"GetTenantProfile", "ListMessageTemplates", "GetMessageTemplate",
         "PreviewMessageTemplate"},
        Scope::kRead);
    // What every debtor is sent, and the key that signs payment links.
    add("LetterService", {"UpdateTenantProfile", "ReplaceMessageTemplate"}, Scope::kAdmin);
    return t;
  }();
  return *table;
}

}  // namespace

absl::StatusOr<Scope> ParseScope(absl::string_view text) {
  const std::string s = absl::AsciiStrToLower(text);
  if (s == "read") return Scope::kRead;
  if (s == "write") return Scope::kWrite;
  if (s == "admin") return Scope::kAdmin;
  return domain::InvalidInput("UNKNOWN_SCOPE", "scope",
                              absl::StrCat("\"", text, "\" is not one of read, write, admin"));
}

absl::string_view ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kRead:
      return "read";
    case Scope::kWrite:
      return "write";
    case Scope::kAdmin:
      return "admin";
  }
  return "admin";
}

Scope RequiredScope(absl::string_view method) {
  const auto& table = MethodScopes();
  auto it = table.find(method);
  return it == table.end() ? Scope::kAdmin : it->second;
}

absl::Status CheckScope(Scope granted, absl::string_view method) {
  const Scope needed = RequiredScope(method);
  if (static_cast<int>(granted) >= static_cast<int>(needed)) return absl::OkStatus();
  return domain::WithReason(absl::PermissionDeniedError(
                                absl::StrCat(method, " needs the ", ScopeName(needed),
                                             " scope; the credentials grant ", ScopeName(granted))),
                            "INSUFFICIENT_SCOPE");
}

}  // namespace collections::auth
