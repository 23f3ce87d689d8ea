#include "connectors/gnucash/parse_gnucash.h"

#include <sqlite3.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "connectors/common/csv.h"
#include "connectors/common/text.h"
#include "connectors/common/values.h"
#include "connectors/common/xml_stream.h"
#include "service/base/dates.h"
#include "service/base/errors.h"
#include "service/base/money.h"
#include "service/base/status_macros.h"

#include "connectors/gnucash/gnucash_book.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;

namespace gnucash_internal {

std::string SlotValue(const std::map<std::string, std::string>& slots, const std::string& key) {
  auto it = slots.find(key);
  return it == slots.end() ? "" : it->second;
}

// "2023-07-29 10:59:00 +0000", "2023-07-29", or the old SQL form
// "20230729105900": the calendar day as written.
absl::StatusOr<absl::CivilDay> ParseGnuCashDate(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() >= 8 && std::all_of(text.begin(), text.begin() + 8, absl::ascii_isdigit) &&
      (text.size() == 8 || text.size() == 14)) {
    int y = 0, m = 0, d = 0;
    if (absl::SimpleAtoi(text.substr(0, 4), &y) && absl::SimpleAtoi(text.substr(4, 2), &m) &&
        absl::SimpleAtoi(text.substr(6, 2), &d)) {
      return domain::MakeDay(y, m, d);
    }
  }
  return domain::ParseIsoDay(text.substr(0, 10));
}

std::optional<absl::CivilDay> OptionalDate(absl::string_view text) {
  if (text.empty()) return std::nullopt;
  absl::StatusOr<absl::CivilDay> d = ParseGnuCashDate(text);
  if (!d.ok()) return std::nullopt;
  return *d;
}

}  // namespace gnucash_internal

namespace {

using gnucash_internal::Book;
using gnucash_internal::Customer;
using gnucash_internal::Invoice;
using gnucash_internal::kCustomerOwner;
using gnucash_internal::kJobOwner;
using gnucash_internal::kReceivable;
using gnucash_internal::Lot;
using gnucash_internal::OptionalDate;
using gnucash_internal::Owner;
using gnucash_internal::ParseGnuCashDate;
using gnucash_internal::SlotValue;
using gnucash_internal::Split;
using gnucash_internal::Terms;
using gnucash_internal::Txn;

void AddChannel(v1::Contact* contact, v1::ContactChannel::Type type, const std::string& address) {
  if (address.empty()) return;
  v1::ContactChannel* ch = contact->add_channels();
  ch->set_type(type);
  ch->set_address(address);
}

absl::CivilDay DueFromTerms(const Terms& t, absl::CivilDay posted) {
  if (!t.proximo) return posted + t.due_days;
  // Proximo: due on day `due_days` of the next month, or the month after
  // when posted after the cutoff day (GnuCash gncBillTerm.c semantics).
  absl::CivilMonth month(posted);
  month += 1;
  if (t.cutoff > 0 && posted.day() > t.cutoff) month += 1;
  absl::CivilDay first(month);
  int last_day = (absl::CivilDay(month + 1) - 1).day();
  return first + (std::clamp(t.due_days, 1, last_day) - 1);
}

// ----------------------------------------------------------- XML reading

// Slots flattened to "gncInvoice/invoice-guid" -> value.
void FlattenSlots(const XmlElement* container, const std::string& prefix,
                  std::map<std::string, std::string>& out) {
  if (container == nullptr) return;
  for (const XmlElement* slot : container->Children("slot")) {
    std::string key = prefix + slot->TextAt("key");
    const XmlElement* value = slot->Child("value");
    if (value == nullptr) continue;
    std::string type = value->Attribute("type").value_or("");
    if (type == "frame") {
      FlattenSlots(value, key + "/", out);
    } else if (type == "timespec") {
      out[key] = value->TextAt("date");
    } else if (type == "gdate") {
      out[key] = value->TextAt("gdate");
    } else {
      out[key] = value->TextAt("");
    }
  }
}

class XmlBookReader {
 public:
  XmlBookReader(std::string file, Book& book) : file_(std::move(file)), book_(book) {}

  absl::Status Read(XmlStreamReader& r) {
    ASSIGN_OR_RETURN(bool any, r.Next());
    while (any && r.kind() != XmlStreamReader::NodeKind::kStartElement) {
      ASSIGN_OR_RETURN(any, r.Next());
    }
    if (!any || r.local_name() != "gnc-v2") {
      Location l{file_, r.line(), 0, r.path()};
      return InputError("NOT_GNUCASH", l,
                        any ? absl::StrCat("root element ", r.local_name(), " is not gnc-v2")
                            : "the input has no XML element");
    }
    while (true) {
      ASSIGN_OR_RETURN(bool more, r.Next());
      if (!more) break;
      if (r.kind() != XmlStreamReader::NodeKind::kStartElement) continue;
      if (r.depth() > 2) continue;
      absl::string_view name = r.local_name();
      if (name == "book") continue;  // the container of everything below
      if (name == "account" || name == "transaction" || name == "GncCustomer" || name == "GncJob" ||
          name == "GncBillTerm" || name == "GncInvoice") {
        ASSIGN_OR_RETURN(XmlElement e, r.ReadSubtree());
        Take(e);
      } else {
        // Commodities, prices, template transactions (scheduled, not real),
        // budgets, vendors, employees, entries, tax tables.
        RETURN_IF_ERROR(r.SkipElement());
      }
    }
    return absl::OkStatus();
  }

 private:
  Location Where(const XmlElement& e) const { return Location{file_, e.line, 0, e.path}; }

  void Take(const XmlElement& e) {
    if (e.name == "account") {
      if (e.TextAt("type") != kReceivable) return;
      book_.receivable_accounts.insert(e.TextAt("id"));
      for (const XmlElement* lot : e.FindAll("lots/lot")) {
        std::map<std::string, std::string> slots;
        FlattenSlots(lot->Child("slots"), "", slots);
        book_.lots[lot->TextAt("id")] = Lot{SlotValue(slots, "gncInvoice/invoice-guid"),
                                            SlotValue(slots, "gncOwner/owner-guid")};
      }
    } else if (e.name == "transaction") {
      Txn t;
      for (const XmlElement* s : e.FindAll("splits/split")) {
        std::string account = s->TextAt("account");
        if (!book_.receivable_accounts.contains(account)) continue;
        t.splits.push_back(Split{account, s->TextAt("value"), s->TextAt("lot")});
      }
      if (t.splits.empty()) return;  // not about receivables: not kept
      std::map<std::string, std::string> slots;
      FlattenSlots(e.Child("slots"), "", slots);
      t.guid = e.TextAt("id");
      t.currency = e.TextAt("currency/id");
      t.num = e.TextAt("num");
      t.description = e.TextAt("description");
      t.type = SlotValue(slots, "trans-txn-type");
      t.posted = OptionalDate(e.TextAt("date-posted/date"));
      t.due = OptionalDate(SlotValue(slots, "trans-date-due"));
      t.where = Where(e);
      book_.AddTxn(std::move(t));
    } else if (e.name == "GncCustomer") {
      Customer c;
      c.guid = e.TextAt("guid");
      c.id = e.TextAt("id");
      c.name = e.TextAt("name");
      c.contact_name = e.TextAt("addr/name");
      c.email = e.TextAt("addr/email");
      c.phone = e.TextAt("addr/phone");
      c.terms = e.TextAt("terms");
      c.currency = e.TextAt("currency/id");
      c.credit = e.TextAt("credit");
      c.where = Where(e);
      book_.customers.push_back(std::move(c));
    } else if (e.name == "GncJob") {
      book_.job_owner[e.TextAt("guid")] = Owner{e.TextAt("owner/type"), e.TextAt("owner/id")};
    } else if (e.name == "GncBillTerm") {
      Terms t;
      int v = 0;
      if (e.Find("proximo") != nullptr) {
        t.proximo = true;
        if (absl::SimpleAtoi(e.TextAt("proximo/due-day"), &v)) t.due_days = v;
        if (absl::SimpleAtoi(e.TextAt("proximo/cutoff-day"), &v)) t.cutoff = v;
      } else if (absl::SimpleAtoi(e.TextAt("days/due-days"), &v)) {
        t.due_days = v;
      }
      book_.terms[e.TextAt("guid")] = t;
    } else if (e.name == "GncInvoice") {
      Invoice inv;
      std::map<std::string, std::string> slots;
      FlattenSlots(e.Child("slots"), "", slots);
      inv.guid = e.TextAt("guid");
      inv.id = e.TextAt("id");
      inv.owner = Owner{e.TextAt("owner/type"), e.TextAt("owner/id")};
      inv.posted = OptionalDate(e.TextAt("posted/date"));
      inv.terms = e.TextAt("terms");
      inv.currency = e.TextAt("currency/id");
      inv.posttxn = e.TextAt("posttxn");
      inv.postlot = e.TextAt("postlot");
      inv.postacc = e.TextAt("postacc");
      inv.notes = e.TextAt("notes");
      inv.credit_note = SlotValue(slots, "credit-note") == "1";
      inv.where = Where(e);
      book_.invoices.push_back(std::move(inv));
    }
  }

  std::string file_;
  Book& book_;
};

// -------------------------------------------------------------- byte sources

// Serves the sniffed prefix, then the rest of the stream.
class PrefixedStream {
 public:
  PrefixedStream(std::istream& in, std::string prefix) : in_(in), prefix_(std::move(prefix)) {}
  int Read(char* buf, int len) {
    if (pos_ < prefix_.size()) {
      size_t n = std::min(prefix_.size() - pos_, static_cast<size_t>(len));
      std::memcpy(buf, prefix_.data() + pos_, n);
      pos_ += n;
      return static_cast<int>(n);
    }
    if (in_.bad()) return -1;
    in_.read(buf, len);
    if (in_.bad()) return -1;
    return static_cast<int>(in_.gcount());
  }

 private:
  std::istream& in_;
  std::string prefix_;
  size_t pos_ = 0;
};

// Streaming gunzip (RFC 1952, concatenated members allowed) with zlib. A
// decompression bomb is refused before it is inflated in full: the output
// may not exceed kMaxRatio times the compressed input read so far, plus
// kSlack (GnuCash XML compresses about 10 to 30 times).
class GunzipSource {
 public:
  static constexpr uint64_t kMaxRatio = 100;
  static constexpr uint64_t kSlack = 1 << 20;

 public:
  explicit GunzipSource(PrefixedStream& src) : src_(src) {
    std::memset(&z_, 0, sizeof(z_));
    ok_ = inflateInit2(&z_, 16 + MAX_WBITS) == Z_OK;
  }
  ~GunzipSource() { inflateEnd(&z_); }
  GunzipSource(const GunzipSource&) = delete;
  GunzipSource& operator=(const GunzipSource&) = delete;

  int Read(char* buf, int len) {
    if (!ok_) return -1;
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = static_cast<uInt>(len);
    while (z_.avail_out == static_cast<uInt>(len)) {
      if (z_.avail_in == 0) {
        if (eof_) {
          if (!at_member_end_) return Fail("the gzip stream is truncated");
          return 0;
        }
        int n = src_.Read(in_buf_, sizeof(in_buf_));
        if (n < 0) return Fail("read error");
        if (n == 0) {
          eof_ = true;
          continue;
        }
        z_.next_in = reinterpret_cast<Bytef*>(in_buf_);
        z_.avail_in = static_cast<uInt>(n);
      }
      const uInt in_before = z_.avail_in, out_before = z_.avail_out;
      int rc = inflate(&z_, Z_NO_FLUSH);
      compressed_ += in_before - z_.avail_in;
      inflated_ += out_before - z_.avail_out;
      if (inflated_ > kMaxRatio * compressed_ + kSlack) {
        bomb_ = true;
        return Fail(
            "the data expands more than 100 times (a decompression bomb?); "
            "if the book is genuine, gunzip it and pass the plain XML");
      }
      at_member_end_ = rc == Z_STREAM_END;
      if (rc == Z_STREAM_END) {
        inflateReset(&z_);  // a following member, if any
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return Fail(z_.msg != nullptr ? z_.msg : "corrupt gzip data");
      }
    }
    return len - static_cast<int>(z_.avail_out);
  }
  const std::string& error() const { return error_; }
  bool bomb() const { return bomb_; }

 private:
  int Fail(const char* why) {
    if (error_.empty()) error_ = why;
    return -1;
  }

  PrefixedStream& src_;
  z_stream z_;
  bool ok_ = false;
  bool eof_ = false;
  bool at_member_end_ = false;
  bool bomb_ = false;
  uint64_t compressed_ = 0;
  uint64_t inflated_ = 0;
  char in_buf_[64 * 1024];
  std::string error_;
};

// ---------------------------------------------------------- record emission

class Emitter {
 public:
  Emitter(const Book& book, const ParseOptions& options, const RecordSink& on_record,
          const IssueSink& on_issue, GnuCashStats& stats)
      : book_(book),
        source_(options.source_system.empty() ? "gnucash" : options.source_system),
        options_(options),
        on_record_(on_record),
        on_issue_(on_issue),
        stats_(stats) {}

  void Run() {
    EmitCustomers();
    EmitInvoices();
    EmitPayments();
  }

 private:
  void Issue(const Location& where, absl::string_view field, const absl::Status& status,
             absl::string_view fallback) {
    ++stats_.rejected;
    on_issue_(IssueFromStatus(status, where, field, fallback));
  }

  void EmitCustomers() {
    absl::flat_hash_set<std::string> used;
    for (const Customer& c : book_.customers) {
      std::string id = c.id;
      if (id.empty() || used.contains(id)) id = c.guid;  // GnuCash does not enforce unique ids
      used.insert(id);
      customer_id_[c.guid] = id;
      ParsedRecord rec = NewRecord(c.where);
      v1::Customer* out = rec.record.mutable_customer();
      out->mutable_external_ref()->set_source_system(source_);
      out->mutable_external_ref()->set_id(id);
      out->set_display_name(!c.name.empty() ? c.name : absl::StrCat("Customer ", id));
      out->set_kind(options_.default_customer_kind);
      if (auto t = book_.terms.find(c.terms); t != book_.terms.end() && !t->second.proximo) {
        out->set_payment_terms_days(std::clamp(t->second.due_days, 0, 3650));
      }
      if (!c.credit.empty() && !c.currency.empty()) {
        absl::StatusOr<int64_t> limit = GnuCashRationalToMinor(c.credit, c.currency);
        if (!limit.ok()) {
          Issue(c.where, "cust:credit", limit.status(), "INVALID_AMOUNT");
          continue;
        }
        if (*limit > 0) *out->mutable_credit_limit() = ToProtoMoney(*limit, c.currency);
      }
      if (!c.contact_name.empty() || !c.email.empty() || !c.phone.empty()) {
        v1::Contact* contact = out->add_contacts();
        contact->set_name(c.contact_name);
        contact->set_primary(true);
        AddChannel(contact, v1::ContactChannel::EMAIL, c.email);
        AddChannel(contact, v1::ContactChannel::PHONE, c.phone);
      }
      ++stats_.customers;
      on_record_(std::move(rec));
    }
  }

  // The customer GUID an owner stands for, or "" for vendors/employees.
  std::string CustomerGuidOf(const Owner& owner) const {
    if (owner.type == kCustomerOwner) return owner.guid;
    if (owner.type == kJobOwner) {
      auto it = book_.job_owner.find(owner.guid);
      if (it != book_.job_owner.end() && it->second.type == kCustomerOwner) return it->second.guid;
    }
    return "";
  }

  std::string CustomerIdOf(const std::string& guid) const {
    auto it = customer_id_.find(guid);
    return it == customer_id_.end() ? guid : it->second;
  }

  const Txn* FindTxn(const std::string& guid) const {
    auto it = book_.txn_index.find(guid);
    return it == book_.txn_index.end() ? nullptr : &book_.txns[it->second];
  }

  void EmitInvoices() {
    for (const Invoice& inv : book_.invoices) {
      std::string customer = CustomerGuidOf(inv.owner);
      if (customer.empty()) {
        ++stats_.non_customer_skipped;
        continue;
      }
      if (!inv.posted.has_value() || inv.posttxn.empty()) {
        ++stats_.drafts_skipped;
        continue;
      }
      const Txn* txn = FindTxn(inv.posttxn);
      if (txn == nullptr) {
        Issue(inv.where, "invoice:posttxn",
              domain::InvalidInput("MISSING_FIELD", "invoice:posttxn",
                                   absl::StrCat("posting transaction ", inv.posttxn, " of invoice ",
                                                inv.id, " has no receivable split in the book")),
              "MISSING_FIELD");
        continue;
      }
      std::string currency = !txn->currency.empty() ? txn->currency : inv.currency;
      int64_t total = 0;
      bool found = false;
      absl::Status amount_status;
      for (const Split& s : txn->splits) {
        bool ours = !inv.postlot.empty() ? s.lot == inv.postlot : s.account == inv.postacc;
        if (!ours) continue;
        absl::StatusOr<int64_t> v = GnuCashRationalToMinor(s.value, currency);
        if (!v.ok()) {
          amount_status = v.status();
          break;
        }
        total += *v;
        found = true;
      }
      if (!amount_status.ok()) {
        Issue(txn->where, "split:value", amount_status, "INVALID_AMOUNT");
        continue;
      }
      if (!found) {
        Issue(inv.where, "invoice:postlot",
              domain::InvalidInput("MISSING_FIELD", "invoice:postlot",
                                   absl::StrCat("no receivable split of invoice ", inv.id,
                                                " in its posting transaction")),
              "MISSING_FIELD");
        continue;
      }
      absl::CivilDay issue = *inv.posted;
      absl::CivilDay due = issue;
      if (txn->due.has_value()) {
        due = *txn->due;
      } else if (auto t = book_.terms.find(inv.terms); t != book_.terms.end()) {
        due = DueFromTerms(t->second, issue);
      }
      due = std::max(due, issue);  // the API refuses a due date before issue
      invoice_ref_[inv.guid] = {inv.id, CustomerIdOf(customer)};
      ParsedRecord rec = NewRecord(inv.where);
      rec.record.set_customer_ref(CustomerIdOf(customer));
      if (inv.credit_note || total < 0) {
        v1::CreditNote* cn = rec.record.mutable_credit_note();
        cn->mutable_external_ref()->set_source_system(source_);
        cn->mutable_external_ref()->set_id(inv.guid);
        cn->set_number(inv.id);
        *cn->mutable_issue_date() = ToProtoDate(issue);
        *cn->mutable_amount() = ToProtoMoney(-total, currency);
        cn->set_reason(inv.notes);
        ++stats_.credit_notes;
      } else {
        v1::Invoice* out = rec.record.mutable_invoice();
        out->mutable_external_ref()->set_source_system(source_);
        out->mutable_external_ref()->set_id(inv.guid);
        out->set_number(inv.id);
        *out->mutable_issue_date() = ToProtoDate(issue);
        *out->mutable_due_date() = ToProtoDate(due);
        out->set_currency_code(currency);
        *out->mutable_total() = ToProtoMoney(total, currency);
        *out->mutable_tax() = ToProtoMoney(0, currency);
        if (auto t = book_.terms.find(inv.terms); t != book_.terms.end() && !t->second.proximo) {
          out->mutable_terms()->set_payment_terms_text(absl::StrCat("Net ", t->second.due_days));
        }
        ++stats_.invoices;
      }
      posting_txns_.insert(inv.posttxn);
      on_record_(std::move(rec));
    }
  }

  void EmitPayments() {
    // Lots to invoices, from the lot slots and from the invoices themselves.
    absl::flat_hash_map<std::string, std::string> lot_invoice;
    for (const auto& [guid, lot] : book_.lots) {
      if (!lot.invoice.empty()) lot_invoice[guid] = lot.invoice;
    }
    absl::flat_hash_map<std::string, const Invoice*> invoice_by_guid;
    for (const Invoice& inv : book_.invoices) {
      invoice_by_guid[inv.guid] = &inv;
      if (!inv.postlot.empty()) lot_invoice[inv.postlot] = inv.guid;
    }
    for (const Txn& t : book_.txns) {
      if (t.type == "I" || t.type == "L" || posting_txns_.contains(t.guid)) continue;
      // Per customer: allocations to invoices, plus unallocated amounts.
      struct Part {
        int64_t total = 0;
        std::vector<std::pair<std::string, int64_t>> allocations;  // invoice guid
      };
      std::map<std::string, Part> parts;  // customer guid, in a stable order
      bool bad = false;
      for (const Split& s : t.splits) {
        std::string invoice_guid;
        std::string customer;
        if (auto li = lot_invoice.find(s.lot); li != lot_invoice.end()) {
          invoice_guid = li->second;
          if (auto inv = invoice_by_guid.find(invoice_guid); inv != invoice_by_guid.end()) {
            customer = CustomerGuidOf(inv->second->owner);
          }
        } else if (auto lot = book_.lots.find(s.lot); lot != book_.lots.end()) {
          customer = lot->second.owner;  // a pre-payment lot of a customer
        }
        if (customer.empty()) continue;  // not attributable to a customer
        if (t.type != "P" && invoice_guid.empty()) continue;
        absl::StatusOr<int64_t> v = GnuCashRationalToMinor(s.value, t.currency);
        if (!v.ok()) {
          Issue(t.where, "split:value", v.status(), "INVALID_AMOUNT");
          bad = true;
          break;
        }
        if (*v >= 0) continue;  // a charge, not money received
        Part& p = parts[customer];
        p.total += -*v;
        if (!invoice_guid.empty() && invoice_ref_.contains(invoice_guid)) {
          p.allocations.emplace_back(invoice_guid, -*v);
        }
      }
      if (bad || parts.empty()) continue;
      if (!t.posted.has_value()) {
        Issue(t.where, "trn:date-posted",
              domain::InvalidInput("INVALID_DATE", "trn:date-posted", "payment without a date"),
              "INVALID_DATE");
        continue;
      }
      for (const auto& [customer, part] : parts) {
        ParsedRecord rec = NewRecord(t.where);
        rec.record.set_customer_ref(CustomerIdOf(customer));
        v1::Payment* p = rec.record.mutable_payment();
        p->mutable_external_ref()->set_source_system(source_);
        p->mutable_external_ref()->set_id(
            parts.size() == 1 ? t.guid : absl::StrCat(t.guid, "/", CustomerIdOf(customer)));
        *p->mutable_amount() = ToProtoMoney(part.total, t.currency);
        *p->mutable_received_date() = ToProtoDate(*t.posted);
        p->set_method(v1::Payment::OTHER);
        p->set_payer_reference(t.num);
        p->set_remittance_text(t.description);
        for (const auto& [invoice_guid, amount] : part.allocations) {
          v1::Allocation* a = p->add_allocations();
          a->set_invoice(invoice_guid);
          a->set_invoice_number(invoice_ref_.at(invoice_guid).first);
          *a->mutable_amount() = ToProtoMoney(amount, t.currency);
        }
        ++stats_.payments;
        on_record_(std::move(rec));
      }
    }
  }

  const Book& book_;
  std::string source_;
  const ParseOptions& options_;
  const RecordSink& on_record_;
  const IssueSink& on_issue_;
  GnuCashStats& stats_;
  absl::flat_hash_map<std::string, std::string> customer_id_;  // guid -> external id
  absl::flat_hash_map<std::string, std::pair<std::string, std::string>> invoice_ref_;
  absl::flat_hash_set<std::string> posting_txns_;
};

std::string FileLabel(const ParseOptions& options) {
  return options.file_name.empty() ? "<input>" : options.file_name;
}

}  // namespace

GnuCashFormat SniffGnuCash(absl::string_view b) {
  if (b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0x1f &&
      static_cast<unsigned char>(b[1]) == 0x8b) {
    return GnuCashFormat::kGzipXml;
  }
  if (absl::StartsWith(b, absl::string_view("SQLite format 3\0", 16)))
    return GnuCashFormat::kSqlite;
  absl::string_view t = b;
  if (absl::StartsWith(t, "\xEF\xBB\xBF")) t.remove_prefix(3);
  t = absl::StripLeadingAsciiWhitespace(t);
  if (absl::StartsWith(t, "<")) return GnuCashFormat::kXml;
  return GnuCashFormat::kUnknown;
}

absl::StatusOr<int64_t> GnuCashRationalToMinor(absl::string_view rational,
                                               absl::string_view currency) {
  ASSIGN_OR_RETURN(int exponent, domain::CurrencyExponent(currency));
  std::vector<absl::string_view> parts = absl::StrSplit(absl::StripAsciiWhitespace(rational), '/');
  int64_t num = 0, den = 1;
  if (parts.empty() || parts.size() > 2 || !absl::SimpleAtoi(parts[0], &num) ||
      (parts.size() == 2 && !absl::SimpleAtoi(parts[1], &den)) || den <= 0) {
    return domain::InvalidInput("INVALID_AMOUNT", "value",
                                absl::StrCat("\"", rational, "\" is not a GnuCash rational"));
  }
  __int128 scaled = num;
  for (int i = 0; i < exponent; ++i) scaled *= 10;
  if (scaled % den != 0) {
    return domain::InvalidInput(
        "INEXACT_AMOUNT", "value",
        absl::StrCat(rational, " is not a whole number of ", currency, " minor units"));
  }
  __int128 minor = scaled / den;
  if (minor > INT64_MAX || minor < -INT64_MAX) {
    return domain::InvalidInput("INVALID_AMOUNT", "value", absl::StrCat(rational, " is too large"));
  }
  return static_cast<int64_t>(minor);
}

absl::Status ParseGnuCashXml(std::istream& in, const ParseOptions& options,
                             const RecordSink& on_record, const IssueSink& on_issue,
                             GnuCashStats* stats) {
  GnuCashStats local;
  GnuCashStats& s = stats != nullptr ? *stats : local;
  std::string file = FileLabel(options);
  std::string prefix(16, '\0');
  in.read(prefix.data(), static_cast<std::streamsize>(prefix.size()));
  prefix.resize(static_cast<size_t>(in.gcount()));
  GnuCashFormat format = SniffGnuCash(prefix);
  Location start{file, 1, 0, ""};
  if (format == GnuCashFormat::kSqlite) {
    return InputError("NOT_GNUCASH", start,
                      "this is a SQLite book: read it with ParseGnuCashSqlite(path)");
  }
  if (format == GnuCashFormat::kUnknown) {
    return InputError("NOT_GNUCASH", start,
                      "not a GnuCash book (neither gzip, XML nor SQLite); if it is the customer "
                      "importer's CSV, give --customers_csv");
  }
  PrefixedStream raw(in, std::move(prefix));
  std::optional<GunzipSource> gunzip;
  if (format == GnuCashFormat::kGzipXml) gunzip.emplace(raw);
  XmlStreamReader::ReadFn read = [&](char* buf, int len) {
    return gunzip.has_value() ? gunzip->Read(buf, len) : raw.Read(buf, len);
  };
  ASSIGN_OR_RETURN(std::unique_ptr<XmlStreamReader> reader,
                   XmlStreamReader::FromReadFn(std::move(read), file));
  Book book;
  XmlBookReader book_reader(file, book);
  absl::Status st = book_reader.Read(*reader);
  if (!st.ok()) {
    if (gunzip.has_value() && !gunzip->error().empty()) {
      return InputError(gunzip->bomb() ? "GZIP_BOMB" : "GZIP_CORRUPT",
                        Location{file, gunzip->bomb() ? reader->line() : 0, 0, ""},
                        absl::StrCat("gzip: ", gunzip->error(), " (after ", reader->bytes_read(),
                                     " uncompressed bytes)"));
    }
    return st;
  }
  Emitter(book, options, on_record, on_issue, s).Run();
  return absl::OkStatus();
}

absl::Status ParseGnuCashSqlite(const std::string& path, const ParseOptions& options,
                                const RecordSink& on_record, const IssueSink& on_issue,
                                GnuCashStats* stats) {
  GnuCashStats local;
  GnuCashStats& s = stats != nullptr ? *stats : local;
  std::string file = options.file_name.empty() ? path : options.file_name;
  Book book;
  RETURN_IF_ERROR(gnucash_internal::ReadSqliteBookFile(path, file, book));
  Emitter(book, options, on_record, on_issue, s).Run();
  return absl::OkStatus();
}

absl::Status ParseGnuCashCustomersCsv(std::istream& in, const ParseOptions& options,
                                      const RecordSink& on_record, const IssueSink& on_issue) {
  std::string file = FileLabel(options);
  std::string source = options.source_system.empty() ? "gnucash" : options.source_system;
  LineReaderOptions line_options;
  line_options.encoding = options.encoding;
  LineReader lines(in, line_options);
  CsvReader csv(lines);
  CsvRecord row;
  while (true) {
    ASSIGN_OR_RETURN(bool more, csv.Next(&row));
    if (!more) break;
    if (row.IsBlank() || absl::StartsWith(row.Value(0), "#")) continue;
    auto field = [&](size_t i) { return std::string(absl::StripAsciiWhitespace(row.Value(i))); };
    if (absl::EqualsIgnoreCase(field(1), "company") && absl::EqualsIgnoreCase(field(2), "name")) {
      continue;  // a header row
    }
    Location where{file, row.first_line, 1, ""};
    if (field(1).empty()) {
      on_issue(ParseIssue{where, "company", "MISSING_FIELD", "the company is required"});
      continue;
    }
    ParsedRecord rec = NewRecord(where);
    v1::Customer* c = rec.record.mutable_customer();
    c->mutable_external_ref()->set_source_system(source);
    c->mutable_external_ref()->set_id(!field(0).empty() ? field(0)
                                                        : StableId({"gnucash-customer", field(1)}));
    c->set_display_name(field(1));
    c->set_kind(options.default_customer_kind);
    v1::Contact* contact = c->add_contacts();
    contact->set_name(field(2));
    contact->set_primary(true);
    std::vector<std::string> address;
    for (size_t i = 3; i <= 6; ++i) {
      if (!field(i).empty()) address.push_back(field(i));
    }
    AddChannel(contact, v1::ContactChannel::POSTAL, absl::StrJoin(address, ", "));
    AddChannel(contact, v1::ContactChannel::PHONE, field(7));
    AddChannel(contact, v1::ContactChannel::EMAIL, field(9));
    on_record(std::move(rec));
  }
  return absl::OkStatus();
}

absl::Status ParseGnuCashFile(const std::string& path, const ParseOptions& options,
                              const RecordSink& on_record, const IssueSink& on_issue,
                              GnuCashStats* stats) {
  std::ifstream in;
  RETURN_IF_ERROR(OpenInputFile(path, &in));
  ParseOptions opts = options;
  if (opts.file_name.empty()) opts.file_name = path;
  std::string head(16, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  if (SniffGnuCash(head) == GnuCashFormat::kSqlite) {
    in.close();
    return ParseGnuCashSqlite(path, opts, on_record, on_issue, stats);
  }
  in.clear();
  in.seekg(0);
  return ParseGnuCashXml(in, opts, on_record, on_issue, stats);
}

}  // namespace collections::connectors
