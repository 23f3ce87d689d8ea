#include "connectors/camt/parse_camt.h"

#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "connectors/common/values.h"
#include "connectors/common/xml_stream.h"
#include "service/base/dates.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"
#include "service/domain/cash_matching.h"

namespace collections::connectors {
namespace {

using collections_sidecar::v1::Payment;

constexpr absl::string_view kNamespacePrefix = "urn:iso:std:iso:20022:tech:xsd:camt.";

Location Where(const std::string& file, const XmlElement& e) {
  Location l;
  l.file = file;
  l.line = e.line;
  l.xpath = e.path;
  return l;
}

// "2014-01-05" or the date part of "2014-01-05T16:20:26.673+01:00".
absl::StatusOr<absl::CivilDay> ParseCamtDate(const XmlElement& parent, absl::string_view name) {
  const XmlElement* d = parent.Child(name);
  if (d == nullptr) return absl::NotFoundError(absl::StrCat(name, " is missing"));
  std::string text = d->TextAt("Dt");
  if (text.empty()) text = d->TextAt("DtTm").substr(0, 10);
  return domain::ParseIsoDay(text);
}

// An <Amt Ccy="EUR">12.30</Amt>-shaped element.
absl::StatusOr<domain::Money> ParseAmountElement(const XmlElement& amt, const AmountRules& rules) {
  std::optional<std::string> ccy = amt.Attribute("Ccy");
  if (!ccy.has_value() || ccy->empty()) {
    return domain::InvalidInput("MISSING_CURRENCY", "Ccy", "the amount has no Ccy attribute");
  }
  std::string text = amt.TextAt("");
  // camt amounts are unsigned: the sign is CdtDbtInd.
  if (absl::StartsWith(text, "-") || absl::StartsWith(text, "+")) {
    return domain::InvalidInput(
        "INVALID_AMOUNT", "Amt",
        absl::StrCat("signed amount \"", text, "\"; camt amounts are unsigned"));
  }
  ASSIGN_OR_RETURN(int64_t minor, ParseAmount(text, *ccy, rules));
  return domain::Money{*ccy, minor};
}

const XmlElement* FirstOf(const XmlElement& e, std::initializer_list<absl::string_view> paths) {
  for (absl::string_view p : paths) {
    if (const XmlElement* found = e.Find(p); found != nullptr) return found;
  }
  return nullptr;
}

std::string FirstText(const XmlElement& e, std::initializer_list<absl::string_view> paths) {
  for (absl::string_view p : paths) {
    std::string t = e.TextAt(p);
    if (!t.empty()) return t;
  }
  return "";
}

bool IsTrue(absl::string_view s) { return s == "true" || s == "1"; }

// The payment method from the bank transaction code (ISO 20022 External
// Bank Transaction Domain/Family codes): RDDT/IDDT are direct debits,
// RCHQ/CCHQ cheques, CCRD/MCRD cards.
Payment::Method MethodOf(const XmlElement& ntry, const XmlElement* tx) {
  std::string family;
  if (tx != nullptr) family = tx->TextAt("BkTxCd/Domn/Fmly/Cd");
  if (family.empty()) family = ntry.TextAt("BkTxCd/Domn/Fmly/Cd");
  if (family == "RDDT" || family == "IDDT") return Payment::DIRECT_DEBIT;
  if (family == "RCHQ" || family == "CCHQ" || family == "ICHQ") return Payment::CHECK;
  if (family == "CCRD" || family == "MCRD") return Payment::CARD;
  if (family == "CASH" || family == "CNTR") return Payment::CASH;
  return Payment::BANK_TRANSFER;
}

struct Statement {
  std::string id;
  std::string account_id;
};

class CamtParser {
 public:
  CamtParser(const ParseOptions& options, const RecordSink& on_record, const IssueSink& on_issue,
             CamtStats& stats)
      : file_(options.file_name.empty() ? "<input>" : options.file_name),
        source_system_(options.source_system.empty() ? "camt" : options.source_system),
        amounts_(options.amounts),
        on_record_(on_record),
        on_issue_(on_issue),
        stats_(stats) {}

  absl::Status Run(XmlStreamReader& r) {
    // The root: Document in a camt namespace.
    ASSIGN_OR_RETURN(bool any, r.Next());
    while (any && r.kind() != XmlStreamReader::NodeKind::kStartElement) {
      ASSIGN_OR_RETURN(any, r.Next());
    }
    if (!any) return NotCamt(r, "the input has no XML element");
    if (r.local_name() != "Document" ||
        !(r.namespace_uri().empty() || absl::StartsWith(r.namespace_uri(), kNamespacePrefix))) {
      return NotCamt(r, absl::StrCat("root element {", r.namespace_uri(), "}", r.local_name(),
                                     " is not an ISO 20022 camt Document"));
    }
    if (absl::StartsWith(r.namespace_uri(), kNamespacePrefix)) {
      stats_.message_version = std::string(r.namespace_uri().substr(kNamespacePrefix.size() - 5));
    }
    bool saw_message = false;
    while (true) {
      ASSIGN_OR_RETURN(bool more, r.Next());
      if (!more) break;
      if (r.kind() != XmlStreamReader::NodeKind::kStartElement) continue;
      if (r.depth() == 1) {
        // BkToCstmrStmt (053), BkToCstmrDbtCdtNtfctn (054), BkToCstmrAcctRpt (052).
        if (!absl::StartsWith(r.local_name(), "BkToCstmr")) {
          return NotCamt(r, absl::StrCat("unexpected message ", r.local_name()));
        }
        saw_message = true;
        continue;
      }
      if (r.depth() == 2) {
        if (r.local_name() == "Stmt" || r.local_name() == "Ntfctn" || r.local_name() == "Rpt") {
          RETURN_IF_ERROR(ReadStatement(r));
        } else {
          RETURN_IF_ERROR(r.SkipElement());  // GrpHdr, SplmtryData
        }
      }
    }
    if (!saw_message) return NotCamt(r, "the Document holds no BkToCstmr* message");
    return absl::OkStatus();
  }

 private:
  absl::Status NotCamt(const XmlStreamReader& r, absl::string_view why) {
    Location l;
    l.file = file_;
    l.line = r.line();
    l.xpath = r.path();
    return InputError("NOT_CAMT", l, why);
  }

  absl::Status ReadStatement(XmlStreamReader& r) {
    ++stats_.statements;
    entry_index_ = 0;
    Statement st;
    while (true) {
      ASSIGN_OR_RETURN(bool more, r.Next());
      if (!more) break;  // the reader reports the truncation itself
      if (r.kind() == XmlStreamReader::NodeKind::kEndElement && r.depth() == 2) break;
      if (r.kind() != XmlStreamReader::NodeKind::kStartElement || r.depth() != 3) continue;
      if (r.local_name() == "Id") {
        ASSIGN_OR_RETURN(st.id, r.ReadElementText());
      } else if (r.local_name() == "Acct") {
        ASSIGN_OR_RETURN(XmlElement acct, r.ReadSubtree());
        st.account_id = FirstText(acct, {"Id/IBAN", "Id/Othr/Id"});
      } else if (r.local_name() == "Ntry") {
        ASSIGN_OR_RETURN(XmlElement ntry, r.ReadSubtree());
        ReadEntry(st, ntry);
      } else {
        RETURN_IF_ERROR(r.SkipElement());
      }
    }
    return absl::OkStatus();
  }

  void Issue(const XmlElement& at, absl::string_view field, const absl::Status& status,
             absl::string_view fallback_reason) {
    ++stats_.rejected;
    on_issue_(IssueFromStatus(status, Where(file_, at), field, fallback_reason));
  }

  void ReadEntry(const Statement& st, const XmlElement& ntry) {
    ++stats_.entries;
    ++entry_index_;
    seen_ids_.clear();
    // Sts is a code in .02-.07 and Sts/Cd from .08 on.
    std::string status = FirstText(ntry, {"Sts/Cd", "Sts/Prtry", "Sts"});
    if (!status.empty() && status != "BOOK") {
      ++stats_.not_booked_ignored;
      return;
    }
    std::string indicator = ntry.TextAt("CdtDbtInd");
    if (indicator != "CRDT" && indicator != "DBIT") {
      Issue(
          ntry, "CdtDbtInd",
          domain::InvalidInput("INVALID_VALUE", "CdtDbtInd",
                               absl::StrCat("CdtDbtInd is \"", indicator, "\", not CRDT or DBIT")),
          "INVALID_VALUE");
      return;
    }
    bool reversal = IsTrue(ntry.TextAt("RvslInd"));
    const XmlElement* amt = ntry.Child("Amt");
    if (amt == nullptr) {
      Issue(ntry, "Amt", domain::InvalidInput("MISSING_FIELD", "Amt", "the entry has no Amt"),
            "MISSING_FIELD");
      return;
    }
    absl::StatusOr<domain::Money> entry_amount = ParseAmountElement(*amt, amounts_);
    if (!entry_amount.ok()) {
      Issue(*amt, "Amt", entry_amount.status(), "INVALID_AMOUNT");
      return;
    }
    std::vector<const XmlElement*> txs = ntry.FindAll("NtryDtls/TxDtls");
    if (absl::Status st = ReconcileDetails(ntry, txs, indicator, *entry_amount); !st.ok()) {
      Issue(ntry, "NtryDtls", st, "ENTRY_DETAILS_MISMATCH");
      return;
    }
    if (txs.empty()) {
      ReadTransaction(st, ntry, nullptr, 0, 1, indicator, reversal, *entry_amount);
      return;
    }
    for (size_t i = 0; i < txs.size(); ++i) {
      ReadTransaction(st, ntry, txs[i], static_cast<int>(i), static_cast<int>(txs.size()),
                      indicator, reversal, *entry_amount);
    }
  }

  // An entry and its details must tell one story (camt.053 Ntry/NtryDtls):
  // the stated batch count (Btch/NbOfTxs) is the number of TxDtls, and the
  // details' amounts in the entry currency, signed by their own CdtDbtInd
  // (the entry's when absent), sum to the entry's signed amount. Otherwise
  // a contradictory file could create receipts that never happened (a CRDT
  // detail inside a DBIT entry), so the whole entry is refused.
  absl::Status ReconcileDetails(const XmlElement& ntry, const std::vector<const XmlElement*>& txs,
                                absl::string_view indicator, const domain::Money& entry_amount) {
    int64_t stated = 0;
    const std::string count = ntry.TextAt("NtryDtls/Btch/NbOfTxs");
    if (!count.empty() &&
        (!absl::SimpleAtoi(count, &stated) || stated != static_cast<int64_t>(txs.size()))) {
      return domain::InvalidInput("ENTRY_DETAILS_MISMATCH", "NtryDtls/Btch/NbOfTxs",
                                  absl::StrCat("the batch states ", count,
                                               " transactions but the entry holds ", txs.size()));
    }
    if (txs.empty()) return absl::OkStatus();
    const int64_t entry_signed = indicator == "DBIT" ? -entry_amount.minor : entry_amount.minor;
    AmountTotal sum(entry_amount.currency, amounts_, "the entry's details");
    for (size_t i = 0; i < txs.size(); ++i) {
      const XmlElement& tx = *txs[i];
      std::string tx_indicator = tx.TextAt("CdtDbtInd");
      if (tx_indicator.empty()) tx_indicator = std::string(indicator);
      const XmlElement* at = &tx;
      absl::StatusOr<domain::Money> m =
          TransactionAmount(tx, static_cast<int>(txs.size()), entry_amount, &at);
      // A detail without a usable amount is reported when it is read.
      if (!m.ok()) return absl::OkStatus();
      RETURN_IF_ERROR(sum.Add(tx_indicator == "DBIT" ? -m->minor : m->minor));
      if (txs.size() == 1 && tx_indicator != indicator) {
        return domain::InvalidInput(
            "ENTRY_DETAILS_MISMATCH", "NtryDtls/TxDtls/CdtDbtInd",
            absl::StrCat("a ", tx_indicator, " transaction inside a ", indicator, " entry"));
      }
    }
    if (sum.value() != entry_signed) {
      return domain::InvalidInput(
          "ENTRY_DETAILS_MISMATCH", "NtryDtls/TxDtls",
          absl::StrCat("the ", txs.size(), " transactions sum to ",
                       domain::FormatDecimal(sum.value(), entry_amount.currency), " ",
                       entry_amount.currency, " but the ", indicator, " entry is ",
                       domain::FormatDecimal(entry_signed, entry_amount.currency)));
    }
    return absl::OkStatus();
  }

  // The transaction's amount in the account (entry) currency.
  absl::StatusOr<domain::Money> TransactionAmount(const XmlElement& tx, int tx_count,
                                                  const domain::Money& entry_amount,
                                                  const XmlElement** at) {
    // .04+: TxDtls/Amt; .02/.03: AmtDtls/TxAmt/Amt; FX: AmtDtls/CntrValAmt.
    for (absl::string_view path : {"Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/CntrValAmt/Amt"}) {
      const XmlElement* e = tx.Find(path);
      if (e == nullptr) continue;
      *at = e;
      ASSIGN_OR_RETURN(domain::Money m, ParseAmountElement(*e, amounts_));
      if (m.currency == entry_amount.currency) return m;
    }
    if (tx_count == 1) return entry_amount;
    return domain::InvalidInput(
        "MISSING_FIELD", "AmtDtls",
        absl::StrCat("batched transaction without an amount in the account currency ",
                     entry_amount.currency));
  }

  void ReadTransaction(const Statement& st, const XmlElement& ntry, const XmlElement* tx,
                       int tx_index, int tx_count, absl::string_view entry_indicator, bool reversal,
                       const domain::Money& entry_amount) {
    ++stats_.transactions;
    const XmlElement& at = tx != nullptr ? *tx : ntry;
    // From .04 a TxDtls may carry its own indicator (a batch can net both).
    std::string indicator = tx != nullptr ? tx->TextAt("CdtDbtInd") : "";
    if (indicator.empty()) indicator = std::string(entry_indicator);
    if (indicator == "DBIT" && !reversal) {
      ++stats_.debits_ignored;
      return;
    }
    if (indicator == "CRDT" && reversal) {
      ++stats_.reversed_debits_ignored;
      return;
    }
    domain::Money amount = entry_amount;
    if (tx != nullptr) {
      const XmlElement* amount_at = tx;
      absl::StatusOr<domain::Money> m = TransactionAmount(*tx, tx_count, entry_amount, &amount_at);
      if (!m.ok()) {
        Issue(*amount_at, "Amt", m.status(), "INVALID_AMOUNT");
        return;
      }
      amount = *m;
    }
    if (amount.minor <= 0) {
      Issue(at, "Amt",
            domain::InvalidInput("INVALID_AMOUNT", "Amt", "a credit of zero is not a payment"),
            "INVALID_AMOUNT");
      return;
    }
    // The value date, else the booking date; a value date that is stated
    // but is no calendar day is an error, not a reason to fall back.
    absl::StatusOr<absl::CivilDay> day = ParseCamtDate(ntry, "ValDt");
    if (!day.ok() && ntry.Child("ValDt") == nullptr) day = ParseCamtDate(ntry, "BookgDt");
    if (!day.ok()) {
      Issue(ntry, "ValDt", day.status(), "INVALID_DATE");
      return;
    }

    ParsedRecord rec = NewRecord(Where(file_, at));
    Payment* p = rec.record.mutable_payment();
    *p->mutable_amount() = ToProtoMoney(amount.minor, amount.currency);
    *p->mutable_received_date() = ToProtoDate(*day);
    p->set_method(MethodOf(ntry, tx));
    p->set_reversal(reversal);
    p->set_account_id(st.account_id);

    std::string end_to_end, tx_bank_ref, tx_id, instr_id;
    if (tx != nullptr) {
      end_to_end = tx->TextAt("Refs/EndToEndId");
      if (end_to_end == "NOTPROVIDED") end_to_end.clear();  // SEPA placeholder
      tx_bank_ref = tx->TextAt("Refs/AcctSvcrRef");
      tx_id = tx->TextAt("Refs/TxId");
      instr_id = tx->TextAt("Refs/InstrId");
      p->set_payer_name(FirstText(*tx, {"RltdPties/Dbtr/Nm", "RltdPties/Dbtr/Pty/Nm",
                                        "RltdPties/UltmtDbtr/Nm", "RltdPties/UltmtDbtr/Pty/Nm"}));
      if (const XmlElement* instd = tx->Find("AmtDtls/InstdAmt/Amt"); instd != nullptr) {
        absl::StatusOr<domain::Money> m = ParseAmountElement(*instd, amounts_);
        if (!m.ok()) {
          Issue(*instd, "InstdAmt", m.status(), "INVALID_AMOUNT");
          return;
        }
        if (m->currency != amount.currency) {
          *p->mutable_instructed_amount() = ToProtoMoney(m->minor, m->currency);
        }
      }
      if (!ReadRemittance(*tx, p)) return;
    }
    std::string entry_bank_ref = ntry.TextAt("AcctSvcrRef");
    std::string entry_ref = ntry.TextAt("NtryRef");
    p->set_bank_reference(!tx_bank_ref.empty() ? tx_bank_ref : entry_bank_ref);
    p->set_payer_reference(!end_to_end.empty() ? end_to_end : !instr_id.empty() ? instr_id : tx_id);
    if (p->remittance_text().empty()) {
      // No Ustrd: the bank's own narrative often still names the invoice.
      p->set_remittance_text(FirstText(tx != nullptr ? *tx : ntry, {"AddtlTxInf"}));
      if (p->remittance_text().empty()) p->set_remittance_text(ntry.TextAt("AddtlNtryInf"));
    }

    p->mutable_external_ref()->set_source_system(source_system_);
    p->mutable_external_ref()->set_id(ExternalId(st, *p, amount, reversal, entry_bank_ref,
                                                 entry_ref, tx_bank_ref, end_to_end, tx_id,
                                                 tx_index));
    if (reversal) {
      ++stats_.reversals;
    } else {
      ++stats_.credits;
    }
    on_record_(std::move(rec));
  }

  // Ustrd lines, CdtrRefInf references and RfrdDocInf documents. false (with
  // an issue reported) when an amount in them is unreadable.
  bool ReadRemittance(const XmlElement& tx, Payment* p) {
    std::vector<std::string> lines;
    for (const XmlElement* u : tx.FindAll("RmtInf/Ustrd")) {
      std::string t = u->TextAt("");
      if (!t.empty()) lines.push_back(t);
    }
    p->set_remittance_text(absl::StrJoin(lines, "\n"));
    for (const XmlElement* strd : tx.FindAll("RmtInf/Strd")) {
      for (const XmlElement* ref : strd->FindAll("CdtrRefInf/Ref")) {
        std::string r = domain::NormalizeReference(ref->TextAt(""));
        if (!r.empty()) p->add_creditor_references(r);
      }
      std::vector<const XmlElement*> docs = strd->Children("RfrdDocInf");
      for (const XmlElement* doc : docs) {
        std::string number = doc->TextAt("Nb");
        if (number.empty()) continue;
        auto* d = p->add_remitted_documents();
        d->set_number(number);
        std::string type = FirstText(*doc, {"Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry"});
        d->set_credit_note(type == "CREN");
        // RfrdDocAmt belongs to the Strd block; it is per document only when
        // the block names one document.
        if (docs.size() != 1) continue;
        const XmlElement* amt =
            d->credit_note() ? FirstOf(*strd, {"RfrdDocAmt/CdtNoteAmt"})
                             : FirstOf(*strd, {"RfrdDocAmt/RmtdAmt", "RfrdDocAmt/DuePyblAmt"});
        if (amt == nullptr) continue;
        absl::StatusOr<domain::Money> m = ParseAmountElement(*amt, amounts_);
        if (!m.ok()) {
          Issue(*amt, "RfrdDocAmt", m.status(), "INVALID_AMOUNT");
          return false;
        }
        *d->mutable_amount() = ToProtoMoney(m->minor, m->currency);
      }
    }
    return true;
  }

  // Built from the bank's references so that a re-import, or the camt.053
  // after a camt.054 of the same booking, yields the same id.
  std::string ExternalId(const Statement& st, const Payment& p, const domain::Money& amount,
                         bool reversal, const std::string& entry_bank_ref,
                         const std::string& entry_ref, const std::string& tx_bank_ref,
                         const std::string& end_to_end, const std::string& tx_id, int tx_index) {
    std::string account = st.account_id.empty() ? "-" : st.account_id;
    std::string entry_key = !entry_bank_ref.empty() ? entry_bank_ref : entry_ref;
    std::string tx_key = !tx_bank_ref.empty()  ? tx_bank_ref
                         : !end_to_end.empty() ? end_to_end
                                               : tx_id;
    std::string id;
    if (!entry_key.empty() || !tx_key.empty()) {
      id = absl::StrCat(account, "/", entry_key, tx_key.empty() ? "" : "/", tx_key);
    } else {
      // No reference at all: a fingerprint of what the booking says and
      // where it sits in the statement (stable for the same statement).
      id = absl::StrCat(account, "/fp-",
                        StableId({st.id, absl::StrCat(entry_index_), absl::StrCat(tx_index),
                                  FormatDateForId(p), amount.currency, absl::StrCat(amount.minor),
                                  p.payer_name(), p.payer_reference(), p.remittance_text()}));
    }
    if (reversal) id = absl::StrCat("reversal:", id);
    // Banks reuse one reference for every transaction of a batch (seen: the
    // Swiss ESR sample): number the repeats within the entry, in order.
    int& seen = seen_ids_[id];
    ++seen;
    if (seen > 1) absl::StrAppend(&id, "#", seen);
    return id;
  }

  static std::string FormatDateForId(const Payment& p) {
    return absl::StrCat(p.received_date().year(), "-", p.received_date().month(), "-",
                        p.received_date().day());
  }

  std::string file_;
  std::string source_system_;
  AmountRules amounts_;  // camt amounts are xsd:decimal (ActiveOrHistoricCurrencyAndAmount)
  const RecordSink& on_record_;
  const IssueSink& on_issue_;
  CamtStats& stats_;
  // Ids handed out within the current entry, to number repeats.
  absl::flat_hash_map<std::string, int> seen_ids_;
  int64_t entry_index_ = 0;  // within the statement
};

}  // namespace

absl::Status ParseCamt(std::istream& in, const ParseOptions& options, const RecordSink& on_record,
                       const IssueSink& on_issue, CamtStats* stats) {
  CamtStats local;
  CamtStats& s = stats != nullptr ? *stats : local;
  ASSIGN_OR_RETURN(
      std::unique_ptr<XmlStreamReader> reader,
      XmlStreamReader::FromStream(in, options.file_name.empty() ? "<input>" : options.file_name));
  CamtParser parser(options, on_record, on_issue, s);
  return parser.Run(*reader);
}

}  // namespace collections::connectors
