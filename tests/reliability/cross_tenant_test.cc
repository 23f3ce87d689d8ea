// Cross-tenant probes over every RPC, kept as a regression guard: no
// call of one tenant's credentials reads or writes another tenant. The methods are not listed here:
// they are read from the services the running server registered (a
// ServerBuilder plugin records them) and the generated descriptors, and each
// request is filled by field name, so a new RPC is probed without touching
// this file. tests/api/auth_test.cc holds the hand-written cases per kind
// of refusal; this file asserts the same properties over the whole API:
//
//  1. By name, in list filters and in streams: every method called with
//     tenant acme's resource names and the credentials of someone else (no
//     token, a garbage or forged token, acme's revoked token, beta's read,
//     write and admin tokens) is refused with UNAUTHENTICATED or
//     PERMISSION_DENIED, with the same answer whether the named resource
//     exists or not; acme's read-only token is refused every method that
//     needs more (PERMISSION_DENIED).
//  2. Hidden references: beta's own write and admin tokens call every method
//     on beta's resources, with acme's resource names and invoice numbers in
//     every other reference field of the body (allocations, invoice lists,
//     corrected invoices, outbox actions, ...). Whatever the answer, neither
//     it nor its error text carries anything of acme's.
//  3. Nothing of the above wrote anything in acme.
//
// A control call with acme's own admin token checks that each probe did aim
// at acme: the tenant field of every method is filled.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>
#include <gtest/gtest.h>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "collections_sidecar/v1/recovery.grpc.pb.h"
#include "service/auth/scopes.h"
#include "tests/api/prod_support.h"

namespace collections::testing {

namespace v1 = ::collections_sidecar::v1;
namespace {

namespace pb = google::protobuf;
using auth::Scope;

// ------------------------------------------------------------ the method list

// Every method of our own services ("collections_sidecar.*") the server serves.
std::vector<const pb::MethodDescriptor*> ServedMethods() {
  std::vector<const pb::MethodDescriptor*> out;
  for (const std::string& name : RegisteredServices()) {
    if (!absl::StartsWith(name, "collections_sidecar.")) continue;
    const pb::ServiceDescriptor* s = pb::DescriptorPool::generated_pool()->FindServiceByName(name);
    EXPECT_NE(s, nullptr) << name << " has no generated descriptor";
    if (s == nullptr) continue;
    for (int i = 0; i < s->method_count(); ++i) out.push_back(s->method(i));
  }
  return out;
}

std::string Path(const pb::MethodDescriptor* m) {
  return absl::StrCat("/", m->service()->full_name(), "/", m->name());
}
// "LedgerService/GetCustomer", as the scope table names methods.
std::string ScopeName(const pb::MethodDescriptor* m) {
  return absl::StrCat(m->service()->name(), "/", m->name());
}

// ------------------------------------------------------------ requests

// The resource names and numbers a probe writes into reference fields.
struct Refs {
  std::string parent;  // what a top-level `parent` gets
  std::string customer;
  std::string invoice;
  std::string invoice_number;
  std::string payment;
  std::string credit_note;
  std::string outbox_action;
  std::string plan;
};

// The value of a string field named `field`, or nullopt when it is not a
// reference. `top` is true for fields of the request message itself.
std::optional<std::string> RefValue(const std::string& field, bool top, const Refs& primary,
                                    const Refs& hidden) {
  const Refs& r = top ? primary : hidden;
  if (field == "parent") return top ? r.parent : r.customer;
  if (field == "name" || field == "customer" || field == "resource") return r.customer;
  if (field == "invoice" || field == "invoices" || field == "corrected_invoice") return r.invoice;
  if (field == "invoice_number") return r.invoice_number;
  if (field == "payment") return r.payment;
  if (field == "credit_note") return r.credit_note;
  if (field == "outbox_action") return r.outbox_action;
  if (field == "previous_plan" || field == "renegotiate_plan") return r.plan;
  return std::nullopt;
}

// Plausible values for the other fields, so that requests get past the
// first validations to where references are resolved.
std::optional<std::string> PlainValue(const std::string& field, int serial) {
  if (field == "request_id" || field == "id" || field == "sync_id") {
    return absl::StrCat("probe-", serial);
  }
  if (field == "currency_code") return "EUR";
  if (field == "source_system") return "erp";
  if (field == "number") return absl::StrCat("PROBE-", serial);
  if (field == "display_name" || field == "reason" || field == "description") return "probe";
  return std::nullopt;
}

void Fill(pb::Message* m, const Refs& primary, const Refs& hidden, int depth, int serial) {
  const pb::Descriptor* d = m->GetDescriptor();
  const pb::Reflection* r = m->GetReflection();
  const bool top = depth == 0;
  if (d->full_name() == "collections_sidecar.v1.Money") {
    r->SetString(m, d->FindFieldByName("currency_code"), "EUR");
    r->SetInt64(m, d->FindFieldByName("minor_units"), 100);
    return;
  }
  if (d->full_name() == "collections_sidecar.v1.Date") {
    r->SetInt32(m, d->FindFieldByName("year"), 2026);
    r->SetInt32(m, d->FindFieldByName("month"), 11);
    r->SetInt32(m, d->FindFieldByName("day"), 10);
    return;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_STRING: {
        std::optional<std::string> v = RefValue(f->name(), top, primary, hidden);
        if (!v) v = PlainValue(f->name(), serial);
        if (!v || v->empty()) break;
        if (f->is_repeated()) {
          r->AddString(m, f, *v);
        } else {
          r->SetString(m, f, *v);
        }
        break;
      }
      case pb::FieldDescriptor::CPPTYPE_ENUM: {
        if (f->enum_type()->value_count() < 2) break;
        if (f->is_repeated()) {
          r->AddEnum(m, f, f->enum_type()->value(1));
        } else {
          r->SetEnum(m, f, f->enum_type()->value(1));
        }
        break;
      }
      case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
        if (depth >= 3 || f->message_type()->full_name().rfind("google.protobuf.", 0) == 0) break;
        pb::Message* sub = f->is_repeated() ? r->AddMessage(m, f) : r->MutableMessage(m, f);
        Fill(sub, primary, hidden, depth + 1, serial);
        break;
      }
      default:
        break;
    }
  }
}

std::string Request(const pb::MethodDescriptor* m, const Refs& primary, const Refs& hidden,
                    int serial) {
  std::unique_ptr<pb::Message> req(
      pb::MessageFactory::generated_factory()->GetPrototype(m->input_type())->New());
  Fill(req.get(), primary, hidden, 0, serial);
  return req->SerializeAsString();
}

// ------------------------------------------------------------ generic calls

struct Answer {
  grpc::Status status;
  std::vector<std::string> messages;  // DebugString of each response
};

// Calls any method (unary or streaming: on the wire each is a stream) with
// one request message; reads every response. `first_only` cancels the call
// after the first response (for endless streams).
Answer Call(const std::shared_ptr<grpc::Channel>& channel, const pb::MethodDescriptor* m,
            const std::string& request, const std::string& token, bool first_only = false) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::CompletionQueue cq;
  void* tag = nullptr;
  bool ok = false;
  auto call = stub.PrepareCall(&ctx, Path(m), &cq);
  call->StartCall(&tag);
  const bool started = cq.Next(&tag, &ok);
  ok = started && ok;
  if (ok) {
    grpc::Slice slice(request);
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, &tag);
    cq.Next(&tag, &ok);
  }
  if (ok) {
    call->WritesDone(&tag);
    cq.Next(&tag, &ok);
  }
  Answer a;
  while (true) {
    grpc::ByteBuffer resp;
    call->Read(&resp, &tag);
    if (!cq.Next(&tag, &ok) || !ok) break;
    std::vector<grpc::Slice> slices;
    (void)resp.Dump(&slices);
    std::string bytes;
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    std::unique_ptr<pb::Message> out(
        pb::MessageFactory::generated_factory()->GetPrototype(m->output_type())->New());
    a.messages.push_back(out->ParseFromString(bytes) ? out->DebugString() : bytes);
    if (first_only) ctx.TryCancel();
  }
  call->Finish(&a.status, &tag);
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return a;
}

// ------------------------------------------------------------ the test

// What tenant acme's data looks like; none of it is ever sent by a probe,
// so none of it may come back to one.
constexpr char kSecretName[] = "Zanzibar Holdings";
constexpr int64_t kSecretTotal = 987654321;
constexpr int64_t kSecretPaid = 123456789;
const std::vector<std::string>& SecretMarkers() {
  static const auto* m = new std::vector<std::string>{
      "Zanzibar",   "zanzibar",     "987654321", "9876543.21", "9,876,543.21", "864197532",
      "8641975.32", "8,641,975.32", "123456789", "1234567.89", "1,234,567.89"};
  return *m;
}

// The first marker of acme's data in `a` (answer and error), or "".
std::string Leak(const Answer& a) {
  std::string text = a.status.error_message() + "\n" + a.status.error_details();
  for (const auto& m : a.messages) text += "\n" + m;
  for (const std::string& marker : SecretMarkers()) {
    if (text.find(marker) != std::string::npos) return marker;
  }
  return "";
}

std::string Describe(const Answer& a) {
  std::string s = absl::StrCat(a.status.error_code(), " ", a.status.error_message());
  for (const auto& m : a.messages) absl::StrAppend(&s, "\n  ", m.substr(0, 300));
  return s;
}

class CrossTenant : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { RecordRegisteredServices(); }

  void SetUp() override {
    srv_.production_options().auth = "tokens";
    ASSERT_TRUE(srv_.Start().ok());
    ledger_ = v1::LedgerService::NewStub(srv_.channel());
    acme_admin_ = srv_.Token("acme", Scope::kAdmin);
    beta_admin_ = srv_.Token("beta", Scope::kAdmin);
    acme_ = SeedTenant("acme", acme_admin_, kSecretName, kSecretTotal, kSecretPaid);
    beta_ = SeedTenant("beta", beta_admin_, "Beta Debtor", 50000, 10000);
  }

  // A customer with an overdue invoice, a payment on it, a credit note and
  // the outbox actions of a collections run.
  Refs SeedTenant(const std::string& tenant, const std::string& token, const std::string& name,
                  int64_t total, int64_t paid) {
    Refs r;
    r.parent = "tenants/" + tenant;
    v1::UpsertCustomerRequest cust;
    cust.set_parent(r.parent);
    *cust.mutable_customer() = MakeCustomer("C-1", name);
    v1::Customer c;
    EXPECT_TRUE(ledger_->UpsertCustomer(Ctx(token).get(), cust, &c).ok());
    r.customer = c.name();
    v1::UpsertInvoiceRequest inv;
    inv.set_parent(r.customer);
    *inv.mutable_invoice() = MakeInvoice("INV-1", D(2026, 8, 1), D(2026, 8, 31), "EUR", total);
    v1::Invoice i;
    EXPECT_TRUE(ledger_->UpsertInvoice(Ctx(token).get(), inv, &i).ok());
    r.invoice = i.name();
    r.invoice_number = i.number();
    v1::RecordPaymentRequest pay;
    pay.set_parent(r.customer);
    *pay.mutable_payment() = MakePayment("TX-1", "EUR", paid, D(2026, 9, 15));
    v1::Payment p;
    EXPECT_TRUE(ledger_->RecordPayment(Ctx(token).get(), pay, &p).ok());
    r.payment = p.name();
    v1::RecordCreditNoteRequest cn;
    cn.set_parent(r.customer);
    cn.mutable_credit_note()->mutable_external_ref()->set_source_system("erp");
    cn.mutable_credit_note()->mutable_external_ref()->set_id("CN-1");
    cn.mutable_credit_note()->set_number("CN-1");
    *cn.mutable_credit_note()->mutable_amount() = M("EUR", 100);
    *cn.mutable_credit_note()->mutable_issue_date() = D(2026, 9, 20);
    v1::CreditNote n;
    grpc::Status st = ledger_->RecordCreditNote(Ctx(token).get(), cn, &n);
    EXPECT_TRUE(st.ok()) << st.error_message();
    r.credit_note = n.name();
    auto recovery = v1::RecoveryService::NewStub(srv_.channel());
    v1::RunCollectionsRequest run;
    run.set_parent(r.parent);
    v1::RunCollectionsResponse ran;
    st = recovery->RunCollections(Ctx(token).get(), run, &ran);
    EXPECT_TRUE(st.ok()) << st.error_message();
    v1::StreamActionsRequest sa;
    sa.set_parent(r.parent);
    auto ctx = Ctx(token);
    auto reader = recovery->StreamActions(ctx.get(), sa);
    v1::OutboxAction a;
    while (reader->Read(&a)) {
      if (r.outbox_action.empty()) r.outbox_action = a.name();
    }
    EXPECT_TRUE(reader->Finish().ok());
    EXPECT_FALSE(r.outbox_action.empty()) << tenant << ": the run created no action";
    r.plan = r.customer + "/paymentPlans/none";
    return r;
  }

  int64_t EventCount(const std::string& tenant, const std::string& token) {
    auto audit = v1::AuditService::NewStub(srv_.channel());
    int64_t n = 0;
    v1::ListEventsRequest req;
    req.set_parent("tenants/" + tenant);
    req.set_page_size(1000);
    while (true) {
      v1::ListEventsResponse out;
      grpc::Status st = audit->ListEvents(Ctx(token).get(), req, &out);
      EXPECT_TRUE(st.ok()) << st.error_message();
      n += out.events_size();
      if (!st.ok() || out.next_page_token().empty()) return n;
      req.set_page_token(out.next_page_token());
    }
  }

  ProdServer srv_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_;
  std::string acme_admin_, beta_admin_;
  Refs acme_, beta_;
};

TEST_F(CrossTenant, EveryMethodRefusesOtherCredentialsAndLeaksNothingOfAnotherTenant) {
  const std::vector<const pb::MethodDescriptor*> methods = ServedMethods();
  // Every service of ours, each with its methods (7 services and 63 methods
  // when this was written; more is fine).
  ASSERT_GE(methods.size(), 63u);
  auto channel = srv_.channel();

  // Credentials that are not acme's.
  const std::string acme_read = srv_.Token("acme", Scope::kRead);
  auto revoked = srv_.tokens().Create("acme", Scope::kAdmin, "revoked");
  ASSERT_TRUE(revoked.ok());
  ASSERT_TRUE(srv_.tokens().Revoke(revoked->info.id).ok());
  std::string forged = acme_admin_;
  forged.back() = forged.back() == '0' ? '1' : '0';
  struct Credential {
    std::string what;
    std::string token;
    grpc::StatusCode expected;
  };
  const std::vector<Credential> strangers = {
      {"no token", "", grpc::StatusCode::UNAUTHENTICATED},
      {"garbage token", "not-a-token", grpc::StatusCode::UNAUTHENTICATED},
      {"forged acme token", forged, grpc::StatusCode::UNAUTHENTICATED},
      {"revoked acme token", revoked->bearer, grpc::StatusCode::UNAUTHENTICATED},
      {"beta read", srv_.Token("beta", Scope::kRead), grpc::StatusCode::PERMISSION_DENIED},
      {"beta write", srv_.Token("beta", Scope::kWrite), grpc::StatusCode::PERMISSION_DENIED},
      {"beta admin", beta_admin_, grpc::StatusCode::PERMISSION_DENIED},
  };
  // acme's names with nothing behind them: the answer must not differ.
  Refs missing = acme_;
  missing.customer = acme_.parent + "/customers/no-such-customer";
  missing.invoice = missing.customer + "/invoices/no-such-invoice";
  missing.invoice_number = "NO-SUCH-INVOICE";
  missing.payment = missing.customer + "/payments/no-such-payment";
  missing.credit_note = missing.customer + "/creditNotes/no-such-credit-note";
  missing.outbox_action = acme_.parent + "/actions/no-such-action";

  const int64_t acme_events = EventCount("acme", acme_admin_);
  int serial = 0;
  int calls = 0;
  for (const pb::MethodDescriptor* m : methods) {
    SCOPED_TRACE(Path(m));
    const std::string request = Request(m, acme_, acme_, ++serial);
    const std::string request_missing = Request(m, missing, missing, serial);
    for (const Credential& c : strangers) {
      SCOPED_TRACE(c.what);
      const Answer a = Call(channel, m, request, c.token);
      const Answer b = Call(channel, m, request_missing, c.token);
      calls += 2;
      EXPECT_EQ(a.status.error_code(), c.expected) << Describe(a);
      EXPECT_TRUE(a.messages.empty()) << Describe(a);
      EXPECT_EQ(Leak(a), "") << Describe(a);
      EXPECT_EQ(a.status.error_code(), b.status.error_code());
      EXPECT_EQ(a.status.error_message(), b.status.error_message());
      EXPECT_EQ(a.status.error_details(), b.status.error_details());
    }
    // acme's own read-only token: refused every method that needs more.
    if (auth::RequiredScope(ScopeName(m)) != Scope::kRead) {
      const Answer a = Call(channel, m, request, acme_read);
      ++calls;
      EXPECT_EQ(a.status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(a);
      EXPECT_TRUE(a.messages.empty()) << Describe(a);
    }
  }

  // Hidden references: beta's tokens on beta's resources, acme's names in
  // every other reference field. `parent` is tried both as the tenant and
  // as beta's customer, whichever the method takes.
  int reached = 0;                             // probes that got past authentication
  std::map<std::string, int> hidden_outcomes;  // code and reason -> probes
  const std::vector<std::string> beta_tokens = {srv_.Token("beta", Scope::kWrite), beta_admin_};
  for (const pb::MethodDescriptor* m : methods) {
    SCOPED_TRACE(Path(m));
    for (const std::string& parent : {beta_.parent, beta_.customer}) {
      Refs primary = beta_;
      primary.parent = parent;
      for (const std::string& token : beta_tokens) {
        const Answer a = Call(channel, m, Request(m, primary, acme_, ++serial), token,
                              /*first_only=*/m->server_streaming());
        ++calls;
        EXPECT_EQ(Leak(a), "") << Describe(a);
        ++hidden_outcomes[absl::StrCat(a.status.error_code(), " ", ReasonOf(a.status))];
        if (a.status.error_code() != grpc::StatusCode::UNAUTHENTICATED &&
            a.status.error_code() != grpc::StatusCode::PERMISSION_DENIED) {
          ++reached;
        }
      }
    }
  }
  // Most methods take the probe past authentication into their handler.
  EXPECT_GE(reached, static_cast<int>(methods.size())) << "of " << 4 * methods.size();
  EXPECT_EQ(EventCount("acme", acme_admin_), acme_events) << "a probe wrote into acme";

  // Control: with acme's own admin token the same requests are not refused
  // at the door, so each probe above did name acme; and acme's data does
  // come back to acme, so the leak detector can see it.
  int control_with_secrets = 0;
  for (const pb::MethodDescriptor* m : methods) {
    SCOPED_TRACE(Path(m));
    const Answer a =
        Call(channel, m, Request(m, acme_, acme_, ++serial), acme_admin_, m->server_streaming());
    ++calls;
    EXPECT_NE(a.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(a);
    EXPECT_NE(a.status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(a);
    control_with_secrets += !Leak(a).empty();
  }
  EXPECT_GT(control_with_secrets, 0);
  RecordProperty("calls", calls);
  RecordProperty("methods", static_cast<int>(methods.size()));
  RecordProperty("hidden_reference_probes_past_authentication", reached);
  std::printf(
      "%zu methods, %d calls, %d hidden-reference probes past authentication, "
      "%d control answers with acme's data\n",
      methods.size(), calls, reached, control_with_secrets);
  for (const auto& [outcome, n] : hidden_outcomes) {
    std::printf("  hidden references: %s x%d\n", outcome.c_str(), n);
  }
}

}  // namespace
}  // namespace collections::testing
