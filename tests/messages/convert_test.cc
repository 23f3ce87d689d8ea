// service/messages: Timestamp <-> absl::Time, a record's external reference,
// stored messages that do not parse.
#include "service/messages/convert.h"

#include <gtest/gtest.h>

#include <string>

namespace collections::messages {
namespace {

TEST(Timestamps, RoundTripToTheNanosecondOnBothSidesOf1970) {
  for (const absl::Time t :
       {absl::FromUnixNanos(1'795'176'000'123'456'789), absl::FromUnixNanos(-1),
        absl::FromUnixSeconds(-86'400 * 365) + absl::Nanoseconds(5), absl::UnixEpoch()}) {
    const google::protobuf::Timestamp ts = Ts(t);
    EXPECT_GE(ts.nanos(), 0) << t;  // a valid Timestamp: nanos never negative
    EXPECT_LT(ts.nanos(), 1'000'000'000) << t;
    EXPECT_EQ(FromTs(ts), t);
  }
  google::protobuf::Timestamp before;
  before.set_seconds(-1);
  before.set_nanos(999'999'999);
  EXPECT_EQ(FromTs(before), absl::FromUnixNanos(-1));
}

TEST(Timestamps, ReadsInstantsBeyond2262) {
  // 9999-12-31T23:59:59Z: a nanosecond count since 1970 overflows int64 here.
  google::protobuf::Timestamp far;
  far.set_seconds(253'402'300'799);
  far.set_nanos(1);
  EXPECT_EQ(FromTs(far), absl::FromUnixSeconds(253'402'300'799) + absl::Nanoseconds(1));
}

TEST(RefOf, NamesTheExternalRefOfEachRecordKind) {
  v1::SyncRecord r;
  EXPECT_EQ(RefOf(r), nullptr);
  r.mutable_customer()->mutable_external_ref()->set_id("C-1");
  ASSERT_NE(RefOf(r), nullptr);
  EXPECT_EQ(RefOf(r)->id(), "C-1");
  r.mutable_invoice()->mutable_external_ref()->set_id("INV-1");
  EXPECT_EQ(RefOf(r)->id(), "INV-1");
  r.mutable_credit_note()->mutable_external_ref()->set_id("CN-1");
  EXPECT_EQ(RefOf(r)->id(), "CN-1");
  r.mutable_payment()->mutable_external_ref()->set_id("P-1");
  EXPECT_EQ(RefOf(r)->id(), "P-1");
}

struct FakeDoc {
  std::string kind;
  std::string id;
  std::string body;
};

TEST(ParseDoc, ParsesWhatWasStoredAndCallsGarbageInternal) {
  v1::ExternalRef ref;
  ref.set_id("INV-7");
  auto ok = ParseDoc<v1::ExternalRef>(FakeDoc{"ref", "r1", ref.SerializeAsString()});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->id(), "INV-7");

  auto bad = ParseDoc<v1::ExternalRef>(FakeDoc{"invoice", "i9", "\xff\xff\xff"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(bad.status().message(), "stored invoice i9 does not parse");
}

}  // namespace
}  // namespace collections::messages
