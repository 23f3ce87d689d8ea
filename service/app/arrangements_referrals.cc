// ArrangementService: referrals to an agency or to legal, and agency collections.
#include "service/app/arrangement_ops.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "service/app/arrangement_convert.h"
#include "service/domain/end_states.h"

namespace collections::app {

using domain::InvalidInput;

// ----------------------------------------------------------------- referrals

absl::StatusOr<v1::Referral> ArrangementsApp::Refer(const CallContext& ctx,
                                                    const std::string& parent,
                                                    const v1::Referral& in, v1::Referral::Kind kind,
                                                    const std::string& request_id,
                                                    const v1::Date& as_of, absl::string_view method,
                                                    const google::protobuf::Message& request) {
  ASSIGN_OR_RETURN(CustomerName cn, ParseCustomerName(parent, "parent"));
  RETURN_IF_ERROR(CheckText(in.party(), 1, 200, "referral.party"));
  RETURN_IF_ERROR(CheckText(in.case_reference(), 0, 200, "referral.case_reference"));
  RETURN_IF_ERROR(CheckText(in.case_file(), 0, 2000, "referral.case_file"));
  if (in.commission_bp() < 0 || in.commission_bp() > 10000) {
    return InvalidInput("INVALID_REFERRAL", "referral.commission_bp", "must be 0..10000");
  }
  return MutateAccount<v1::Referral>(
      store_, clock_, config_, ctx, cn.tenant, cn.customer, request_id, as_of, method, request,
      [&](ArrangementOps& ops) -> absl::StatusOr<v1::Referral> {
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        google::protobuf::RepeatedPtrField<std::string> names = in.invoices();
        std::string ccy;
        if (names.empty()) {
          // Every open invoice of the account's only (or first) currency.
          for (size_t i = 0; i < snap->invoices.size(); ++i) {
            if (snap->invoice_states[i].AmountDue() > 0 && !snap->invoices[i].voided()) {
              ccy = snap->invoices[i].currency_code();
              break;
            }
          }
          if (ccy.empty())
            return domain::PreconditionError("NOTHING_DUE", "nothing is due to refer");
        }
        ASSIGN_OR_RETURN(auto idx, ops.ResolveInvoices(names, ccy, "referral.invoices"));
        ccy = snap->invoices[idx[0]].currency_code();
        if (in.has_fixed_cost())
          RETURN_IF_ERROR(CheckMoney(in.fixed_cost(), ccy, 0, "referral.fixed_cost"));
        ASSIGN_OR_RETURN(auto referrals, ops.ListDocs<v1::Referral>(kReferralKind));
        domain::Referral current;
        v1::Referral* active = nullptr;
        for (auto& ref : referrals) {
          if (ref.state() == v1::Referral::ACTIVE) {
            current = ReferralOf(ref);
            active = &ref;
          }
        }
        const domain::EndState want =
            kind == v1::Referral::LEGAL ? domain::EndState::kLegal : domain::EndState::kAgency;
        RETURN_IF_ERROR(domain::CheckNewReferral(current, want));
        if (active != nullptr) {  // legal action replaces the agency
          const v1::Referral before = *active;
          active->set_state(v1::Referral::RECALLED);
          *active->mutable_recall_date() = ToProtoDate(ops.Today());
          active->set_recall_reason("escalated to legal action");
          *active->mutable_update_time() = Ts(ops.Now());
          RETURN_IF_ERROR(ops.PutDoc(kReferralKind, *active, active->name()));
          RETURN_IF_ERROR(ops.Event("referral.recalled", active->name(), &before, active));
        }
        v1::Referral out = in;
        out.set_kind(kind);
        out.clear_invoices();
        for (int i : idx) out.add_invoices(snap->invoices[i].name());
        ASSIGN_OR_RETURN(const int64_t referred, SumDue(*snap, idx));
        *out.mutable_referred_amount() = ToProtoMoney(ccy, referred);
        *out.mutable_fixed_cost() = ToProtoMoney(ccy, in.fixed_cost().minor_units());
        out.clear_collections();
        *out.mutable_collected_gross() = ToProtoMoney(ccy, 0);
        *out.mutable_collected_net() = ToProtoMoney(ccy, 0);
        out.set_state(v1::Referral::ACTIVE);
        *out.mutable_referred_date() = ToProtoDate(ops.Today());
        out.clear_recall_date();
        out.clear_recall_reason();
        *out.mutable_create_time() = Ts(ops.Now());
        *out.mutable_update_time() = out.create_time();
        ASSIGN_OR_RETURN(
            std::string id,
            ops.NewId(kReferralKind, kind == v1::Referral::LEGAL ? "legal" : "agency"));
        out.set_name(ops.Res(kReferrals, id));
        if (out.case_file().empty())
          out.set_case_file(absl::StrCat(ops.CustomerRes(), ":caseFile"));
        RETURN_IF_ERROR(ops.PutDoc(kReferralKind, out, out.name()));
        RETURN_IF_ERROR(
            ops.Event(kind == v1::Referral::LEGAL ? "referral.legal" : "referral.agency",
                      out.name(), nullptr, &out));
        return out;
      });
}

absl::StatusOr<v1::Referral> ArrangementsApp::ReferToAgency(const CallContext& ctx,
                                                            const v1::ReferToAgencyRequest& r) {
  return Refer(ctx, r.parent(), r.referral(), v1::Referral::AGENCY, r.request_id(), r.as_of(),
               "ReferToAgency", r);
}

absl::StatusOr<v1::Referral> ArrangementsApp::ReferToLegal(const CallContext& ctx,
                                                           const v1::ReferToLegalRequest& r) {
  return Refer(ctx, r.parent(), r.referral(), v1::Referral::LEGAL, r.request_id(), r.as_of(),
               "ReferToLegal", r);
}

absl::StatusOr<v1::Referral> ArrangementsApp::RecordAgencyCollection(
    const CallContext& ctx, const v1::RecordAgencyCollectionRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, Child(r.name(), kReferrals));
  ASSIGN_OR_RETURN(absl::CivilDay day, ToDay(r.collected_date(), "collected_date"));
  return MutateAccount<v1::Referral>(
      store_, clock_, config_, ctx, n.tenant, n.customer, r.request_id(), r.as_of(),
      "RecordAgencyCollection", r, [&](ArrangementOps& ops) -> absl::StatusOr<v1::Referral> {
        ASSIGN_OR_RETURN(
            v1::Referral ref,
            ops.GetDoc<v1::Referral>(kReferralKind, r.name(), kReferrals, "REFERRAL_NOT_FOUND"));
        const std::string ccy = ref.referred_amount().currency_code();
        RETURN_IF_ERROR(CheckMoney(r.gross(), ccy, 1, "gross"));
        if (day > ops.Today())
          return InvalidInput("INVALID_COLLECTION", "collected_date", "in the future");
        ASSIGN_OR_RETURN(domain::ReferralCollection c,
                         domain::SplitCollection(
                             ReferralOf(ref), ref.referred_amount().minor_units(),
                             ref.collected_gross().minor_units(), r.gross().minor_units(), day));
        // The debtor paid the gross amount: a payment in the ledger, to the
        // referred invoices oldest first.
        ASSIGN_OR_RETURN(const AccountSnapshot* snap, ops.Account());
        std::vector<const domain::InvoiceState*> open;
        for (const auto& name : ref.invoices()) {
          for (const auto& st : snap->invoice_states) {
            if (st.id == IdOf(name)) open.push_back(&st);
          }
        }
        int64_t unapplied = 0;
        const auto lines = domain::AllocateOldestFirst(open, c.gross, &unapplied);
        v1::Payment pay;
        pay.mutable_external_ref()->set_source_system(kSidecarSource);
        pay.mutable_external_ref()->set_id(
            absl::StrCat("referral-", n.id, "-", ref.collections_size() + 1));
        *pay.mutable_amount() = ToProtoMoney(ccy, c.gross);
        *pay.mutable_received_date() = ToProtoDate(day);
        pay.set_method(v1::Payment::OTHER);
        pay.set_payer_reference(ref.party());
        pay.set_remittance_text(absl::StrCat("collected by ", ref.party(), " (", ref.name(), ")"));
        for (const auto& line : lines) {
          auto* a = pay.add_allocations();
          a->set_invoice(ops.Res(kInvoices, line.invoice_id));
          *a->mutable_amount() = ToProtoMoney(ccy, line.amount);
        }
        ASSIGN_OR_RETURN(ApplyResult pr, ops.ledger().ApplyPayment(ops.customer(), pay));
        const v1::Referral before = ref;
        auto* col = ref.add_collections();
        *col->mutable_collected_date() = ToProtoDate(day);
        *col->mutable_gross() = ToProtoMoney(ccy, c.gross);
        *col->mutable_commission() = ToProtoMoney(ccy, c.commission);
        *col->mutable_net() = ToProtoMoney(ccy, c.net);
        col->set_payment(pr.name);
        ASSIGN_OR_RETURN(const int64_t collected_gross,
                         domain::AddAmounts(ref.collected_gross().minor_units(), c.gross,
                                            "the referral's collected amount"));
        ASSIGN_OR_RETURN(const int64_t collected_net,
                         domain::AddAmounts(ref.collected_net().minor_units(), c.net,
                                            "the referral's collected net amount"));
        *ref.mutable_collected_gross() = ToProtoMoney(ccy, collected_gross);
        *ref.mutable_collected_net() = ToProtoMoney(ccy, collected_net);
        if (ref.collected_gross().minor_units() >= ref.referred_amount().minor_units()) {
          ref.set_state(v1::Referral::CLOSED);
        }
        *ref.mutable_update_time() = Ts(ops.Now());
        RETURN_IF_ERROR(ops.PutDoc(kReferralKind, ref, ref.name()));
        RETURN_IF_ERROR(ops.Event("referral.collection_recorded", ref.name(), &before, &ref));
        return ref;
      });
}

absl::StatusOr<v1::Referral> ArrangementsApp::RecallReferral(const CallContext& ctx,
                                                             const v1::RecallReferralRequest& r) {
  ASSIGN_OR_RETURN(ChildName n, Child(r.name(), kReferrals));
  RETURN_IF_ERROR(CheckText(r.reason(), 1, 2000, "reason"));
  return MutateAccount<v1::Referral>(
      store_, clock_, config_, ctx, n.tenant, n.customer, r.request_id(), r.as_of(),
      "RecallReferral", r, [&](ArrangementOps& ops) -> absl::StatusOr<v1::Referral> {
        ASSIGN_OR_RETURN(
            v1::Referral ref,
            ops.GetDoc<v1::Referral>(kReferralKind, r.name(), kReferrals, "REFERRAL_NOT_FOUND"));
        if (ref.state() != v1::Referral::ACTIVE) {
          return domain::PreconditionError("REFERRAL_NOT_ACTIVE",
                                           absl::StrCat(r.name(), " is not ACTIVE"));
        }
        const v1::Referral before = ref;
        ref.set_state(v1::Referral::RECALLED);
        *ref.mutable_recall_date() = ToProtoDate(ops.Today());
        ref.set_recall_reason(r.reason());
        *ref.mutable_update_time() = Ts(ops.Now());
        RETURN_IF_ERROR(ops.PutDoc(kReferralKind, ref, ref.name()));
        RETURN_IF_ERROR(ops.Event("referral.recalled", ref.name(), &before, &ref));
        return ref;
      });
}

}  // namespace collections::app
