#include "connectors/common/runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "connectors/common/checkpoint.h"
#include "connectors/common/values.h"
#include "service/base/errors.h"
#include "service/base/status_macros.h"
#include "service/messages/convert.h"

namespace collections::connectors {

namespace v1 = ::collections_sidecar::v1;

namespace {

constexpr size_t kMaxKeptRejections = 1000;

// A streambuf over a file descriptor that knows how many bytes have been
// consumed, for the progress bar. 1 MiB reads, sequential read-ahead hint.
class CountingFileBuf : public std::streambuf {
 public:
  CountingFileBuf() : buf_(1 << 20) {}
  ~CountingFileBuf() override {
    if (fd_ >= 0) ::close(fd_);
  }
  bool Open(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return false;
#ifdef POSIX_FADV_SEQUENTIAL
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    return true;
  }
  int64_t consumed() const { return read_ - (egptr() - gptr()); }
  bool failed() const { return failed_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    for (;;) {
      const ssize_t n = ::read(fd_, buf_.data(), buf_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failed_ = n < 0;
        return traits_type::eof();
      }
      read_ += n;
      setg(buf_.data(), buf_.data(), buf_.data() + n);
      return traits_type::to_int_type(*gptr());
    }
  }

 private:
  std::vector<char> buf_;
  int fd_ = -1;
  int64_t read_ = 0;
  bool failed_ = false;
};

// Thrown by a sink to stop the parser early (server refused, interrupted);
// caught in ParseOnce, never escapes this file.
struct StopParse {};

// A record's size on the wire is bounded so that it always fits a chunk, and
// a chunk is closed early by size so that it stays under the server's
// default 16 MiB message limit (server.h): at most 8 MiB + one record.
constexpr size_t kMaxRecordBytes = 4 << 20;
constexpr size_t kChunkBytes = 8 << 20;

// Why a parsed record must not be sent, checked here for every format:
// an amount above the ceiling (amount.h) or a record too large to send
// (which no retry could ever deliver).
absl::Status RecordProblem(const ParsedRecord& rec, const AmountRules& rules) {
  const size_t bytes = rec.record.ByteSizeLong();
  if (bytes > kMaxRecordBytes) {
    return domain::InvalidInput("RECORD_TOO_LARGE", "record",
                                absl::StrCat("the record is ", bytes,
                                             " bytes once encoded, more than the ", kMaxRecordBytes,
                                             " a record may have (a field holds far more text than "
                                             "a ledger record should)"));
  }
  return CheckRecordAmounts(rec.record, rules);
}

// The invoices and credit notes of one file, by external id: a second
// document with the same id would silently replace the first (the last one
// wins), so it is refused. 8 bytes per document.
class DocumentKeys {
 public:
  absl::Status Add(const v1::SyncRecord& r) {
    absl::string_view kind, id, number;
    if (r.has_invoice()) {
      kind = "invoice", id = r.invoice().external_ref().id(), number = r.invoice().number();
    } else if (r.has_credit_note()) {
      kind = "credit note", id = r.credit_note().external_ref().id(),
      number = r.credit_note().number();
    } else {
      return absl::OkStatus();
    }
    if (keys_.insert(Fingerprint(absl::StrCat(kind, "\x1f", id))).second) return absl::OkStatus();
    return domain::InvalidInput(
        "DUPLICATE_DOCUMENT", kind == "invoice" ? "invoice.number" : "credit_note.number",
        absl::StrCat("a second ", kind, " ", number.empty() ? id : number,
                     " in this file; the first one is kept and this one refused"));
  }

 private:
  absl::flat_hash_set<uint64_t> keys_;
};

ParseIssue IssueOf(const absl::Status& problem, const ParsedRecord& rec) {
  ParseIssue issue = IssueFromStatus(problem, rec.where, "");
  const auto fields = domain::FieldsOf(problem);
  if (!fields.empty()) issue.field = fields.front().field;
  return issue;
}

// Appends `rec` to `chunk`; true when the chunk is now full (by count or by
// size), after which the caller flushes it and `bytes` starts again at 0.
bool AppendToChunk(std::vector<ParsedRecord>& chunk, size_t& bytes, int max_records,
                   ParsedRecord rec) {
  bytes += rec.record.ByteSizeLong();
  chunk.push_back(std::move(rec));
  if (static_cast<int>(chunk.size()) < max_records && bytes < kChunkBytes) return false;
  bytes = 0;
  return true;
}

// Maps a failed server call to an exit code.
int ExitCodeForCall(const absl::Status& st) {
  switch (st.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
      return kExitUnavailable;
    case absl::StatusCode::kCancelled:
      return domain::ReasonOf(st) == "INTERRUPTED" ? kExitInterrupted : kExitServerRefused;
    default:
      return kExitServerRefused;
  }
}

int64_t EnvInt(const char* name) {
  const char* v = std::getenv(name);
  int64_t n = 0;
  if (v == nullptr || !absl::SimpleAtoi(v, &n)) return 0;
  return n;
}

// Fingerprints of the customers and invoices seen so far in the file (see
// "Validation across chunks" in runner.h). Keys are tagged by kind.
class SeenKeys {
 public:
  void Add(const v1::SyncRecord& r) {
    if (r.has_customer()) {
      keys_.insert(Key("c", r.customer().external_ref().id()));
    } else if (r.has_invoice()) {
      keys_.insert(Key("i", r.invoice().external_ref().id()));
      keys_.insert(Key("i", r.invoice().number()));
    }
  }
  // True when the rejection is only about a reference to a record seen
  // earlier in the file.
  bool Explains(const v1::SyncRecord& r, absl::string_view reason) const {
    if (reason == "CUSTOMER_NOT_FOUND") return Has("c", r.customer_ref());
    if (reason != "INVOICE_NOT_FOUND") return false;
    std::vector<std::string> refs;
    auto add_alloc = [&](const v1::Allocation& a) {
      refs.push_back(!a.invoice().empty() ? a.invoice() : a.invoice_number());
    };
    if (r.has_credit_note()) {
      const auto& cn = r.credit_note();
      if (!cn.invoice().empty()) refs.push_back(cn.invoice());
      if (!cn.invoice_number().empty()) refs.push_back(cn.invoice_number());
      for (const auto& a : cn.allocations()) add_alloc(a);
    } else if (r.has_payment()) {
      for (const auto& a : r.payment().allocations()) add_alloc(a);
    }
    if (refs.empty()) return false;
    for (const std::string& ref : refs) {
      // A resource name ends with the invoice id.
      const size_t slash = ref.rfind('/');
      if (!Has("i", slash == std::string::npos ? ref : ref.substr(slash + 1))) return false;
    }
    return true;
  }

 private:
  static uint64_t Key(absl::string_view kind, absl::string_view id) {
    return Fingerprint(absl::StrCat(kind, ":", id));
  }
  bool Has(absl::string_view kind, absl::string_view id) const {
    return !id.empty() && keys_.contains(Key(kind, id));
  }
  absl::flat_hash_set<uint64_t> keys_;
};

// Strips the "records[12]." prefix the server puts on field paths: the
// location already says which record.
std::string FieldOfOutcome(const v1::RecordOutcome& o) {
  absl::string_view f = o.field();
  if (absl::ConsumePrefix(&f, "records[")) {
    const size_t close = f.find("]");
    if (close != absl::string_view::npos) f.remove_prefix(close + 1);
    absl::ConsumePrefix(&f, ".");
  }
  return std::string(f);
}

class Runner {
 public:
  Runner(const RunOptions& options, const ParseFn& parse, LedgerClient* client)
      : o_(options), parse_(parse), client_(client) {
    if (o_.parse.file_name.empty()) o_.parse.file_name = o_.input_path;
    if (o_.rejected_path.empty()) o_.rejected_path = o_.input_path + ".rejected.jsonl";
    o_.chunk_size = std::clamp(o_.chunk_size, 1, 1000);
    r_.input = o_.parse.file_name;
    r_.dry_run = o_.dry_run;
    r_.quarantine = o_.quarantine;
    r_.rejected_path = o_.rejected_path;
    kill_after_ack_ = EnvInt(kKillAfterAckEnv);
    kill_after_checkpoint_ = EnvInt(kKillAfterCheckpointEnv);
  }

  RunResult Execute() {
    const absl::Time start = absl::Now();
    r_.exit_code = Run();
    if (client_ != nullptr) r_.retries = client_->retries();
    r_.elapsed = absl::Now() - start;
    struct rusage usage = {};
    if (getrusage(RUSAGE_SELF, &usage) == 0) r_.peak_rss_kib = usage.ru_maxrss;
    return std::move(r_);
  }

 private:
  int Fail(int code, absl::Status st) {
    r_.error = std::move(st);
    return code;
  }

  int Run() {
    if (client_ != nullptr && o_.tenant.empty()) {
      return Fail(kExitUsage, absl::InvalidArgumentError("--tenant is required"));
    }
    auto id = IdentifyFile(o_.input_path);
    if (!id.ok()) return Fail(kExitLocalError, id.status());
    file_ = *id;
    r_.bytes = file_.size;
    if (absl::Status st = SniffInput(); !st.ok()) {
      Keep(RejectionFromParserError(st));
      return Fail(kExitInputRejected, st);
    }
    options_fp_ = Sha256Hex(absl::StrCat(o_.format, "\x1f", o_.tenant, "\x1f",
                                         o_.parse.source_system, "\x1f", o_.parse.default_currency,
                                         "\x1f", static_cast<int>(o_.parse.date_order), "\x1f",
                                         static_cast<int>(o_.parse.encoding), "\x1f",
                                         static_cast<int>(o_.parse.default_customer_kind), "\x1f",
                                         o_.chunk_size, "\x1f", o_.format_options));
    r_.sync_id = absl::StrCat(o_.format, "-",
                              Sha256Hex(absl::StrCat(file_.sha256, options_fp_)).substr(0, 40));
    if (o_.dry_run) return ValidatePass();

    const std::string ckpt_path = CheckpointPath(o_.state_dir, o_.input_path, file_, options_fp_);
    std::optional<Checkpoint> resume;
    auto existing = ReadCheckpoint(ckpt_path);
    if (!existing.ok()) {
      std::fprintf(stderr, "warning: ignoring checkpoint: %s\n",
                   existing.status().ToString().c_str());
    } else if (existing->has_value()) {
      Checkpoint want = NewCheckpoint();
      if ((*existing)->SameRun(want)) {
        resume = **existing;
      } else {
        std::fprintf(stderr,
                     "warning: %s belongs to another file or other options; starting over\n",
                     ckpt_path.c_str());
      }
    }
    if (!resume && !o_.quarantine) {
      const int code = ValidatePass();
      if (code != kExitOk) return code;
      ResetCounts();
    }
    return ApplyPass(ckpt_path, resume);
  }

  Checkpoint NewCheckpoint() const {
    Checkpoint c;
    c.format = o_.format;
    c.sync_id = r_.sync_id;
    c.file = file_;
    c.options = options_fp_;
    return c;
  }

  void ResetCounts() {
    r_.records = r_.customers = r_.invoices = r_.credit_notes = r_.payments = 0;
    r_.deferred = 0;
  }

  void CountRecord(const v1::SyncRecord& rec) {
    ++r_.records;
    switch (rec.record_case()) {
      case v1::SyncRecord::kCustomer:
        ++r_.customers;
        break;
      case v1::SyncRecord::kInvoice:
        ++r_.invoices;
        break;
      case v1::SyncRecord::kCreditNote:
        ++r_.credit_notes;
        break;
      case v1::SyncRecord::kPayment:
        ++r_.payments;
        break;
      default:
        break;
    }
  }

  void Keep(Rejection rej) {
    ++r_.rejected;
    if (r_.rejections.size() < kMaxKeptRejections) r_.rejections.push_back(std::move(rej));
  }

  static Rejection FromIssue(const ParseIssue& issue) {
    Rejection rej;
    rej.stage = "parse";
    rej.location = issue.where.ToString();
    rej.field = issue.field;
    rej.reason = issue.reason;
    rej.description = issue.description;
    return rej;
  }

  static Rejection FromOutcome(const v1::RecordOutcome& o, const ParsedRecord& rec) {
    Rejection rej;
    rej.stage = "server";
    rej.location = o.source_location().empty() ? rec.where.ToString() : o.source_location();
    rej.field = FieldOfOutcome(o);
    rej.reason = o.reason();
    rej.description = o.description();
    if (const auto* ref = messages::RefOf(rec.record)) rej.external_id = ref->id();
    return rej;
  }

  v1::SyncLedgerRequest NewChunk(int64_t index, bool validate_only) const {
    v1::SyncLedgerRequest req;
    req.set_parent(absl::StrCat("tenants/", o_.tenant));
    req.set_sync_id(r_.sync_id);
    req.set_chunk_index(index);
    req.set_validate_only(validate_only);
    return req;
  }

  // Removes from `records` the implied customers (records.h) whose external
  // ref the tenant already has. The tenant's customer refs are listed once,
  // at the first implied customer of the run. Chunks keep their place in
  // the file (records_done counts parsed records), so a resumed run that
  // now finds the customer simply does not send it again.
  absl::Status DropKnownImpliedCustomers(std::vector<ParsedRecord>& records) {
    const bool any = std::any_of(records.begin(), records.end(),
                                 [](const ParsedRecord& r) { return r.implied_customer; });
    if (!any || client_ == nullptr) return absl::OkStatus();
    if (!known_customers_) {
      known_customers_.emplace();
      std::string token;
      do {
        v1::ListCustomersRequest req;
        req.set_parent(absl::StrCat("tenants/", o_.tenant));
        req.set_page_size(1000);
        req.set_page_token(token);
        auto page = client_->ListCustomers(req);
        if (!page.ok()) return page.status();
        for (const v1::Customer& c : page->customers()) {
          known_customers_->insert(
              absl::StrCat(c.external_ref().source_system(), "/", c.external_ref().id()));
        }
        token = page->next_page_token();
      } while (!token.empty());
    }
    std::erase_if(records, [&](const ParsedRecord& r) {
      if (!r.implied_customer) return false;
      const auto& ref = r.record.customer().external_ref();
      return known_customers_->contains(absl::StrCat(ref.source_system(), "/", ref.id()));
    });
    return absl::OkStatus();
  }

  // Parses the input once. `on_record` / `on_issue` return a non-OK status
  // to stop the parse; that status is returned. A parser error (the input
  // as a whole is unusable) is returned with *parser_failed set.
  absl::Status ParseOnce(absl::string_view phase,
                         const std::function<absl::Status(ParsedRecord)>& on_record,
                         const std::function<absl::Status(ParseIssue)>& on_issue,
                         bool* parser_failed) {
    *parser_failed = false;
    CountingFileBuf buf;
    if (!buf.Open(o_.input_path)) {
      return domain::WithReason(absl::NotFoundError(absl::StrCat("cannot open ", o_.input_path,
                                                                 ": ", std::strerror(errno))),
                                "INPUT_NOT_FOUND");
    }
    std::istream in(&buf);
    ProgressBar bar(absl::StrCat(phase, " ", r_.input), file_.size, ProgressEnabled(o_.progress));
    int64_t n = 0;
    absl::Status stop;
    DocumentKeys documents;
    RecordSink record_sink = [&](ParsedRecord rec) {
      bar.Update(buf.consumed(), ++n);
      if (o_.interrupted != nullptr && o_.interrupted->load()) {
        stop = domain::WithReason(absl::CancelledError("interrupted"), "INTERRUPTED");
        throw StopParse{};
      }
      absl::Status st = RecordProblem(rec, o_.parse.amounts);
      if (st.ok()) st = documents.Add(rec.record);
      st = st.ok() ? on_record(std::move(rec)) : on_issue(IssueOf(st, rec));
      if (!st.ok()) {
        stop = std::move(st);
        throw StopParse{};
      }
    };
    IssueSink issue_sink = [&](ParseIssue issue) {
      absl::Status st = on_issue(std::move(issue));
      if (!st.ok()) {
        stop = std::move(st);
        throw StopParse{};
      }
    };
    absl::Status parsed;
    try {
      parsed = parse_(in, o_.input_path, o_.parse, record_sink, issue_sink);
    } catch (const StopParse&) {
      return stop;
    }
    bar.Finish();
    if (buf.failed()) {
      return absl::DataLossError(absl::StrCat("read error on ", o_.input_path));
    }
    if (!parsed.ok()) *parser_failed = true;
    return parsed;
  }

  // The validation pass: parse every record, and with a client send each
  // chunk with validate_only. Returns kExitOk when every record is valid.
  int ValidatePass() {
    SeenKeys seen;
    std::vector<ParsedRecord> chunk;
    size_t chunk_bytes = 0;
    int64_t chunk_index = 0;
    auto flush = [&]() -> absl::Status {
      if (chunk.empty()) return absl::OkStatus();
      if (client_ != nullptr) {
        RETURN_IF_ERROR(DropKnownImpliedCustomers(chunk));
        v1::SyncLedgerRequest req = NewChunk(chunk_index, /*validate_only=*/true);
        for (const ParsedRecord& p : chunk) *req.add_records() = p.record;
        auto resp = client_->SyncChunk(req);
        if (!resp.ok()) return resp.status();
        for (const v1::RecordOutcome& o : resp->outcomes()) {
          if (o.kind() != v1::RecordOutcome::REJECTED || o.reason() == "CHUNK_REJECTED") continue;
          if (o.record_index() < 0 || o.record_index() >= static_cast<int>(chunk.size())) continue;
          const ParsedRecord& rec = chunk[o.record_index()];
          if (seen.Explains(rec.record, o.reason())) {
            ++r_.deferred;
          } else {
            Keep(FromOutcome(o, rec));
          }
        }
        for (const ParsedRecord& p : chunk) seen.Add(p.record);
      }
      ++chunk_index;
      chunk.clear();
      return absl::OkStatus();
    };
    bool parser_failed = false;
    absl::Status st = ParseOnce(
        "validate",
        [&](ParsedRecord rec) -> absl::Status {
          CountRecord(rec.record);
          if (AppendToChunk(chunk, chunk_bytes, o_.chunk_size, std::move(rec))) return flush();
          return absl::OkStatus();
        },
        [&](ParseIssue issue) {
          Keep(FromIssue(issue));
          return absl::OkStatus();
        },
        &parser_failed);
    if (st.ok()) st = flush();
    if (!st.ok()) {
      if (parser_failed) {
        Keep(RejectionFromParserError(st));
        return Fail(kExitInputRejected, st);
      }
      if (st.code() == absl::StatusCode::kNotFound || st.code() == absl::StatusCode::kDataLoss) {
        return Fail(kExitLocalError, st);
      }
      if (st.code() == absl::StatusCode::kCancelled) return Fail(kExitInterrupted, st);
      return Fail(ExitCodeForCall(st), st);
    }
    return r_.rejected > 0 ? kExitInputRejected : kExitOk;
  }

  // The checks of RunOptions::text_input, on the first 64 KiB.
  absl::Status SniffInput() const {
    const Location where{o_.parse.file_name.empty() ? o_.input_path : o_.parse.file_name, 1, 0, ""};
    if (file_.size == 0) return InputError("EMPTY_INPUT", where, "the file is empty");
    if (!o_.text_input) return absl::OkStatus();
    std::string head(64 << 10, '\0');
    {
      std::ifstream in(o_.input_path, std::ios::binary);
      in.read(head.data(), static_cast<std::streamsize>(head.size()));
      head.resize(static_cast<size_t>(in.gcount()));
    }
    if (absl::StartsWith(head, "\xFF\xFE") || absl::StartsWith(head, "\xFE\xFF")) {
      return InputError("NOT_UTF8_TEXT", where,
                        "the file is UTF-16 (or UTF-32) text; save it as UTF-8 or Windows-1252");
    }
    if (const size_t nul = head.find('\0'); nul != std::string::npos) {
      return InputError("BINARY_INPUT", where,
                        absl::StrCat("byte ", nul + 1, " is NUL: binary data, not a ", o_.format,
                                     " text export"));
    }
    if (head.find('\r') != std::string::npos && head.find('\n') == std::string::npos) {
      return InputError("CR_LINE_ENDS", where,
                        "lines end with CR only (classic Mac OS); convert the file to LF or CRLF "
                        "line ends");
    }
    return absl::OkStatus();
  }

  Rejection RejectionFromParserError(const absl::Status& st) const {
    Rejection rej;
    rej.stage = "parse";
    const auto fields = domain::FieldsOf(st);
    rej.location = fields.empty() ? r_.input : fields[0].field;
    rej.reason = domain::ReasonOf(st).empty() ? "UNUSABLE_INPUT" : domain::ReasonOf(st);
    rej.description = fields.empty() ? std::string(st.message()) : fields[0].description;
    return rej;
  }

  // Appends quarantined records to the report file.
  class Report {
   public:
    absl::Status Open(const std::string& path, int64_t keep_bytes) {
      path_ = path;
      fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd_ < 0) return Errno("cannot open");
      if (::ftruncate(fd_, keep_bytes) != 0 || ::lseek(fd_, keep_bytes, SEEK_SET) < 0) {
        return Errno("cannot truncate");
      }
      bytes_ = keep_bytes;
      return absl::OkStatus();
    }
    ~Report() {
      if (fd_ >= 0) ::close(fd_);
    }
    absl::Status Append(const Rejection& rej) {
      pending_ += rej.ToJson();
      pending_ += "\n";
      return absl::OkStatus();
    }
    // Writes what is pending and fsyncs; afterwards bytes() is durable.
    absl::Status Sync() {
      size_t done = 0;
      while (done < pending_.size()) {
        const ssize_t n = ::write(fd_, pending_.data() + done, pending_.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Errno("cannot write");
        done += static_cast<size_t>(n);
      }
      bytes_ += static_cast<int64_t>(pending_.size());
      pending_.clear();
      if (::fsync(fd_) != 0) return Errno("fsync of");
      return absl::OkStatus();
    }
    int64_t bytes() const { return bytes_; }

   private:
    absl::Status Errno(absl::string_view what) const {
      return domain::WithReason(
          absl::InternalError(absl::StrCat(what, " ", path_, ": ", std::strerror(errno))),
          "LOCAL_IO_ERROR");
    }
    std::string path_;
    int fd_ = -1;
    int64_t bytes_ = 0;
    std::string pending_;
  };

  int ApplyPass(const std::string& ckpt_path, const std::optional<Checkpoint>& resume) {
    Checkpoint ckpt = resume ? *resume : NewCheckpoint();
    if (resume) r_.resumed_from_chunk = resume->next_chunk;
    Report report;
    if (o_.quarantine) {
      absl::Status st = report.Open(o_.rejected_path, ckpt.report_bytes);
      if (!st.ok()) return Fail(kExitLocalError, st);
    }
    int64_t records_seen = 0;
    int64_t issues_seen = 0;
    int64_t acks = 0;
    std::vector<ParsedRecord> chunk;
    size_t chunk_bytes = 0;
    absl::Status local_error;  // checkpoint / report I/O: exit 6

    auto quarantine = [&](Rejection rej) -> absl::Status {
      ++ckpt.quarantined;
      Keep(rej);
      return report.Append(rej);
    };

    auto flush = [&]() -> absl::Status {
      if (chunk.empty()) return absl::OkStatus();
      const int64_t size = static_cast<int64_t>(chunk.size());
      std::vector<ParsedRecord> pending = std::move(chunk);
      chunk.clear();
      RETURN_IF_ERROR(DropKnownImpliedCustomers(pending));
      while (!pending.empty()) {
        v1::SyncLedgerRequest req = NewChunk(ckpt.next_chunk, /*validate_only=*/false);
        for (const ParsedRecord& p : pending) *req.add_records() = p.record;
        auto resp = client_->SyncChunk(req);
        if (!resp.ok()) return resp.status();
        if (resp->chunks_rejected() == 0) {
          ckpt.created += resp->created();
          ckpt.updated += resp->updated();
          ckpt.unchanged += resp->unchanged();
          break;
        }
        std::vector<ParsedRecord> retry;
        int bad = 0;
        for (const v1::RecordOutcome& o : resp->outcomes()) {
          const int i = o.record_index();
          if (i < 0 || i >= static_cast<int>(pending.size())) continue;
          if (o.kind() == v1::RecordOutcome::REJECTED && o.reason() != "CHUNK_REJECTED") {
            ++bad;
            if (o_.quarantine) {
              RETURN_IF_ERROR(quarantine(FromOutcome(o, pending[i])));
            } else {
              Keep(FromOutcome(o, pending[i]));
            }
          } else {
            retry.push_back(std::move(pending[i]));
          }
        }
        if (!o_.quarantine || bad == 0) {
          return domain::WithReason(
              absl::FailedPreconditionError(
                  absl::StrCat("the server rejected chunk ", ckpt.next_chunk,
                               "; the chunks before it are applied, nothing of it or after it")),
              "CHUNK_REJECTED");
        }
        if (retry.empty()) break;
        pending = std::move(retry);
      }
      // Acknowledged.
      ++acks;
      if (kill_after_ack_ > 0 && acks == kill_after_ack_) ::raise(SIGKILL);
      if (o_.quarantine) {
        local_error = report.Sync();
        if (!local_error.ok()) return local_error;
        ckpt.report_bytes = report.bytes();
      }
      ++ckpt.next_chunk;
      ckpt.records_done += size;
      ckpt.issues_done = issues_seen;
      local_error = WriteCheckpoint(ckpt_path, ckpt);
      if (!local_error.ok()) return local_error;
      if (kill_after_checkpoint_ > 0 && acks == kill_after_checkpoint_) ::raise(SIGKILL);
      return absl::OkStatus();
    };

    bool parser_failed = false;
    absl::Status st = ParseOnce(
        "sync",
        [&](ParsedRecord rec) -> absl::Status {
          CountRecord(rec.record);
          if (records_seen++ < ckpt.records_done) return absl::OkStatus();
          if (AppendToChunk(chunk, chunk_bytes, o_.chunk_size, std::move(rec))) return flush();
          return absl::OkStatus();
        },
        [&](ParseIssue issue) -> absl::Status {
          if (issues_seen++ < ckpt.issues_done) {
            if (o_.quarantine) Keep(FromIssue(issue));  // reported by the earlier run
            return absl::OkStatus();
          }
          if (!o_.quarantine) {
            Keep(FromIssue(issue));
            return domain::WithReason(
                absl::InvalidArgumentError("the input changed between the validation and the "
                                           "apply pass"),
                "INPUT_CHANGED");
          }
          return quarantine(FromIssue(issue));
        },
        &parser_failed);
    if (st.ok()) st = flush();
    if (st.ok() && o_.quarantine) st = local_error = report.Sync();

    r_.chunks = ckpt.next_chunk;
    r_.created = ckpt.created;
    r_.updated = ckpt.updated;
    r_.unchanged = ckpt.unchanged;
    r_.quarantined = ckpt.quarantined;
    if (o_.quarantine) r_.rejected = ckpt.quarantined;

    if (!st.ok()) {
      if (parser_failed) {
        Keep(RejectionFromParserError(st));
        return Fail(kExitInputRejected, st);
      }
      if (!local_error.ok() || st.code() == absl::StatusCode::kNotFound ||
          st.code() == absl::StatusCode::kDataLoss) {
        return Fail(kExitLocalError, st);
      }
      if (domain::ReasonOf(st) == "INPUT_CHANGED") return Fail(kExitInputRejected, st);
      if (st.code() == absl::StatusCode::kCancelled) return Fail(kExitInterrupted, st);
      return Fail(ExitCodeForCall(st), st);
    }
    absl::Status rm = RemoveCheckpoint(ckpt_path);
    if (!rm.ok()) return Fail(kExitLocalError, rm);
    if (o_.quarantine && ckpt.quarantined == 0) ::unlink(o_.rejected_path.c_str());
    return ckpt.quarantined > 0 ? kExitQuarantined : kExitOk;
  }

  RunOptions o_;
  const ParseFn& parse_;
  LedgerClient* client_;
  RunResult r_;
  // External refs ("source/id") of the tenant's customers, once listed.
  std::optional<absl::flat_hash_set<std::string>> known_customers_;
  FileIdentity file_;
  std::string options_fp_;
  int64_t kill_after_ack_ = 0;
  int64_t kill_after_checkpoint_ = 0;
};

}  // namespace

RunResult RunFile(const RunOptions& options, const ParseFn& parse, LedgerClient* client) {
  return Runner(options, parse, client).Execute();
}

}  // namespace collections::connectors
