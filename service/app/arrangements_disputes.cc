// ArrangementService: disputes and write-offs.
#include "service/app/arrangement_ops.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "service/app/arrangement_convert.h"
#include "service/domain/disputes.h"

namespace collections::app {

using domain::InvalidInput;

// ------------------------------------------------------------------ disputes

absl::StatusOr<v1::Dispute> ArrangementsApp::OpenDispute(const CallContext& ctx,
                                                         const v1::OpenDisputeRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  const v1::Dispute& in = r.dispute();
  if (in.reason() == v1::Dispute::REASON_UNSPECIFIED) {
    return InvalidInput("INVALID_DISPUTE", "dispute.reason",
                        "one of PRICING, QUALITY, NOT_RECEIVED, DUPLICATE_BILLING, OTHER");
  }
  RETURN_IF_ERROR(CheckText(in.owner(), 1, 200, "dispute.owner"));
  RETURN_IF_ERROR(CheckText(in.description(), 0, 4000, "dispute.description"));
  if (in.invoice().empty()) return InvalidInput("INVALID_DISPUTE", "dispute.invoice", "required");
  return MutateAccount<v1::Dispute>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(),
      "OpenDispute", r, [&](ArrangementOps& ops) -> absl::StatusOr<v1::Dispute> {
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        google::protobuf::RepeatedPtrField<std::string> one;
        one.Add()->assign(in.invoice());
        ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(one, "", "dispute.invoice"));
        const v1::Invoice& inv = snap->invoices[idx[0]];
        const domain::InvoiceState& st = snap->invoice_states[idx[0]];
        if (in.has_amount())
          RETURN_IF_ERROR(CheckMoney(in.amount(), inv.currency_code(), 1, "dispute.amount"));
        std::vector<domain::DisputableLine> lines;
        for (const auto& l : inv.lines()) {
          ASSIGN_OR_RETURN(const int64_t gross,
                           domain::AddAmounts(l.amount().minor_units(), l.tax().minor_units(),
                                              "a line's amount with tax"));
          lines.push_back({l.line_id(), gross});
        }
        ASSIGN_OR_RETURN(auto existing_docs, ops.ListDocs<v1::Dispute>(kDisputeKind));
        std::vector<domain::Dispute> existing;
        for (const auto& e : existing_docs) existing.push_back(DisputeOf(e));
        domain::Dispute d;
        d.invoice_id = st.id;
        d.line_id = in.line_id();
        d.reason = DisputeReasonName(in.reason());
        d.amount = in.amount().minor_units();
        RETURN_IF_ERROR(domain::PrepareDispute(d, st, lines, existing, ops.Today()));
        v1::Dispute out = in;
        out.set_invoice(inv.name());
        *out.mutable_amount() =
            ToProtoMoney(inv.currency_code(), d.amount > 0 ? d.amount : st.AmountDue());
        out.set_state(v1::Dispute::OPEN);
        out.clear_outcome();
        out.clear_resolution_note();
        out.clear_credit_note();
        out.clear_corrected_invoice();
        out.clear_resolved_by();
        out.clear_resolve_time();
        *out.mutable_open_time() = Ts(ops.Now());
        ASSIGN_OR_RETURN(std::string id, ops.NewId(kDisputeKind, "dsp"));
        out.set_name(ops.Res(kDisputes, id));
        RETURN_IF_ERROR(ops.PutDoc(kDisputeKind, out, out.name()));
        RETURN_IF_ERROR(ops.Event("dispute.opened", out.name(), nullptr, &out));
        return out;
      });
}

absl::StatusOr<v1::Dispute> ArrangementsApp::ResolveDispute(const CallContext& ctx,
                                                            const v1::ResolveDisputeRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, Child(r.name(), kDisputes));
  if (r.outcome() == v1::Dispute::OUTCOME_UNSPECIFIED) {
    return InvalidInput("INVALID_DISPUTE", "outcome", "CREDIT_NOTE, CORRECTED_INVOICE or REJECTED");
  }
  RETURN_IF_ERROR(CheckText(r.resolved_by(), 1, 200, "resolved_by"));
  RETURN_IF_ERROR(CheckText(r.resolution_note(), 0, 4000, "resolution_note"));
  return MutateAccount<v1::Dispute>(
      store_, clock_, config_, ctx, n.tenant, n.customer, r.request_id(), r.as_of(),
      "ResolveDispute", r, [&](ArrangementOps& ops) -> absl::StatusOr<v1::Dispute> {
        ASSIGN_OR_RETURN(v1::Dispute d, ops.GetDoc<v1::Dispute>(kDisputeKind, r.name(), kDisputes,
                                                                "DISPUTE_NOT_FOUND"));
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        const std::string inv_id = IdOf(d.invoice());
        auto it = std::find_if(snap->invoice_states.begin(), snap->invoice_states.end(),
                               [&](const domain::InvoiceState& s) { return s.id == inv_id; });
        if (it == snap->invoice_states.end())
          return absl::InternalError("disputed invoice vanished");
        domain::Dispute dd = DisputeOf(d);
        const auto outcome = r.outcome() == v1::Dispute::CREDIT_NOTE
                                 ? domain::DisputeOutcome::kCreditNote
                             : r.outcome() == v1::Dispute::CORRECTED_INVOICE
                                 ? domain::DisputeOutcome::kCorrectedInvoice
                                 : domain::DisputeOutcome::kRejected;
        if (r.has_credit_amount()) {
          RETURN_IF_ERROR(CheckMoney(r.credit_amount(), it->currency, 1, "credit_amount"));
        }
        ASSIGN_OR_RETURN(
            domain::DisputeResolution res,
            domain::ResolveDispute(dd, outcome, r.credit_amount().minor_units(), *it, ops.Today()));
        const v1::Dispute before = d;
        if (outcome == domain::DisputeOutcome::kCreditNote) {
          v1::CreditNote cn;
          cn.mutable_external_ref()->set_source_system(kSidecarSource);
          cn.mutable_external_ref()->set_id(absl::StrCat("dispute-", IdOf(d.name())));
          cn.set_number(absl::AsciiStrToUpper(cn.external_ref().id()));
          *cn.mutable_issue_date() = ToProtoDate(ops.Today());
          *cn.mutable_amount() = ToProtoMoney(it->currency, res.credit_amount);
          cn.set_invoice(d.invoice());
          cn.set_reason(absl::StrCat("dispute ", d.name(), " resolved: ", r.resolution_note()));
          ASSIGN_OR_RETURN(ApplyResult cr, ops.ledger().ApplyCreditNote(ops.customer(), cn));
          d.set_credit_note(cr.name);
        }
        d.set_state(v1::Dispute::RESOLVED);
        d.set_outcome(r.outcome());
        d.set_resolution_note(r.resolution_note());
        d.set_corrected_invoice(r.corrected_invoice());
        d.set_resolved_by(r.resolved_by());
        *d.mutable_resolve_time() = Ts(ops.Now());
        RETURN_IF_ERROR(ops.PutDoc(kDisputeKind, d, d.name()));
        RETURN_IF_ERROR(ops.Event("dispute.resolved", d.name(), &before, &d));
        return d;
      });
}

// ----------------------------------------------------------------- write-off

absl::StatusOr<v1::WriteOff> ArrangementsApp::WriteOff(const CallContext& ctx,
                                                       const v1::WriteOffRequest& r) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(r.parent(), "parent"));
  const v1::WriteOff& in = r.write_off();
  if (in.reason() == v1::WriteOff::REASON_UNSPECIFIED) {
    return InvalidInput("INVALID_WRITE_OFF", "write_off.reason", "required");
  }
  RETURN_IF_ERROR(CheckText(in.note(), 0, 2000, "write_off.note"));
  return MutateAccount<v1::WriteOff>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, r.request_id(), r.as_of(), "WriteOff",
      r, [&](ArrangementOps& ops) -> absl::StatusOr<v1::WriteOff> {
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        ASSIGN_OR_RETURN(absl::CivilDay day,
                         DayOr(in.write_off_date(), ops.Today(), "write_off.write_off_date"));
        if (day > ops.Today())
          return InvalidInput("INVALID_WRITE_OFF", "write_off.write_off_date", "in the future");
        std::vector<domain::WriteOffLine> requested;
        for (int k = 0; k < in.items_size(); ++k) {
          const auto& item = in.items(k);
          const std::string f = absl::StrCat("write_off.items[", k, "]");
          google::protobuf::RepeatedPtrField<std::string> one;
          one.Add()->assign(item.invoice());
          ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(one, "", f + ".invoice"));
          if (item.has_amount()) {
            RETURN_IF_ERROR(CheckMoney(item.amount(), snap->invoices[idx[0]].currency_code(), 1,
                                       f + ".amount"));
          }
          requested.push_back({snap->invoice_states[idx[0]].id, item.amount().minor_units()});
        }
        ASSIGN_OR_RETURN(auto lines, domain::PrepareWriteOff(snap->invoice_states, requested, day));
        ASSIGN_OR_RETURN(std::string id, ops.NewId(kWriteOffDocKind, "wo"));
        v1::WriteOff w = in;
        w.set_name(ops.Res(kWriteOffs, id));
        w.clear_items();
        std::vector<store::SettlementRow> rows;
        for (const auto& line : lines) {
          const auto it =
              std::find_if(snap->invoice_states.begin(), snap->invoice_states.end(),
                           [&](const domain::InvoiceState& s) { return s.id == line.invoice_id; });
          auto* item = w.add_items();
          item->set_invoice(ops.Res(kInvoices, line.invoice_id));
          *item->mutable_amount() = ToProtoMoney(it->currency, line.amount);
          rows.push_back({line.invoice_id, kWriteOffKind, id, domain::DayNumber(day), line.amount});
        }
        RETURN_IF_ERROR(ops.ledger().ApplySettlements(kWriteOffKind, id, rows));
        *w.mutable_write_off_date() = ToProtoDate(day);
        w.set_reversed(false);
        w.clear_reversal_reason();
        w.clear_reversal_date();
        w.set_export_pending(true);
        *w.mutable_create_time() = Ts(ops.Now());
        *w.mutable_update_time() = w.create_time();
        RETURN_IF_ERROR(ops.PutDoc(kWriteOffDocKind, w, w.name()));
        RETURN_IF_ERROR(ops.Event("write_off.recorded", w.name(), nullptr, &w));
        return w;
      });
}

absl::StatusOr<v1::WriteOff> ArrangementsApp::ReverseWriteOff(const CallContext& ctx,
                                                              const v1::ReverseWriteOffRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, Child(r.name(), kWriteOffs));
  RETURN_IF_ERROR(CheckText(r.reason(), 1, 2000, "reason"));
  return MutateAccount<v1::WriteOff>(
      store_, clock_, config_, ctx, n.tenant, n.customer, r.request_id(), r.as_of(),
      "ReverseWriteOff", r, [&](ArrangementOps& ops) -> absl::StatusOr<v1::WriteOff> {
        ASSIGN_OR_RETURN(v1::WriteOff w,
                         ops.GetDoc<v1::WriteOff>(kWriteOffDocKind, r.name(), kWriteOffs,
                                                  "WRITE_OFF_NOT_FOUND"));
        if (w.reversed()) {
          return domain::PreconditionError("WRITE_OFF_REVERSED",
                                           absl::StrCat(r.name(), " is already reversed"));
        }
        const v1::WriteOff before = w;
        RETURN_IF_ERROR(ops.ledger().ApplySettlements(kWriteOffKind, n.id, {}));
        w.set_reversed(true);
        w.set_reversal_reason(r.reason());
        *w.mutable_reversal_date() = ToProtoDate(ops.Today());
        w.set_export_pending(true);
        *w.mutable_update_time() = Ts(ops.Now());
        RETURN_IF_ERROR(ops.PutDoc(kWriteOffDocKind, w, w.name()));
        RETURN_IF_ERROR(ops.Event("write_off.reversed", w.name(), &before, &w));
        return w;
      });
}

}  // namespace collections::app
