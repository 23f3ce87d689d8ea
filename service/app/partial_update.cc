#include "service/app/partial_update.h"

#include <openssl/sha.h>

#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/field_mask_util.h"
#include "service/base/errors.h"

namespace collections::app {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FieldMask;
using google::protobuf::Message;
using google::protobuf::util::FieldMaskUtil;

namespace {

const FieldDescriptor* EtagField(const Message& m) {
  return m.GetDescriptor()->FindFieldByName("etag");
}

// The head of a path: "economics.agency_fee_bp" -> "economics".
absl::string_view TopLevel(absl::string_view path) { return path.substr(0, path.find('.')); }

bool IsStar(const FieldMask& mask) { return mask.paths_size() == 1 && mask.paths(0) == "*"; }

FieldMask AllInputFields(const Descriptor* type, const OutputOnlyFields& output_only) {
  FieldMask all;
  for (int i = 0; i < type->field_count(); ++i) {
    if (output_only.count(type->field(i)->name()) == 0) all.add_paths(type->field(i)->name());
  }
  return all;
}

}  // namespace

namespace {

std::string EtagOfBytes(const Message& m) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 8));
}

}  // namespace

std::string ComputeEtag(const Message& m) {
  // The etag covers every field but itself. A message whose etag is unset
  // (what StampEtag and most readers hold) serializes as is: copying a large
  // message (a case with its history) only to clear an empty field was a
  // tenth of a GetCase.
  const FieldDescriptor* f = EtagField(m);
  if (f == nullptr || !m.GetReflection()->HasField(m, f)) return EtagOfBytes(m);
  std::unique_ptr<Message> copy(m.New());
  copy->CopyFrom(m);
  copy->GetReflection()->ClearField(copy.get(), f);
  return EtagOfBytes(*copy);
}

void StampEtag(Message* m) {
  const FieldDescriptor* f = EtagField(*m);
  m->GetReflection()->ClearField(m, f);
  m->GetReflection()->SetString(m, f, EtagOfBytes(*m));
}

absl::Status CheckEtag(absl::string_view given, absl::string_view current, absl::string_view field,
                       absl::string_view resource) {
  if (given.empty() || given == current) return absl::OkStatus();
  return domain::WithField(
      domain::WithReason(absl::AbortedError(absl::StrCat(
                             resource, " changed since it was read (etag \"", given, "\", now \"",
                             current, "\"): read it again and reapply the change")),
                         "ETAG_MISMATCH"),
      field, "stale etag");
}

absl::Status ValidateUpdateMask(const Descriptor* type, const FieldMask& mask,
                                const OutputOnlyFields& output_only, absl::string_view field) {
  for (int i = 0; i < mask.paths_size(); ++i) {
    const std::string& path = mask.paths(i);
    const std::string where = absl::StrCat(field, ".paths[", i, "]");
    if (path == "*") {
      if (mask.paths_size() == 1) continue;
      return domain::InvalidInput("INVALID_UPDATE_MASK", where, "\"*\" must be the only path");
    }
    if (!FieldMaskUtil::GetFieldDescriptors(type, path, nullptr)) {
      return domain::InvalidInput(
          "INVALID_UPDATE_MASK", where,
          absl::StrCat("\"", path, "\" is not a field of ", type->name(),
                       " (fields are snake_case; repeated fields are replaced whole)"));
    }
    if (output_only.count(std::string(TopLevel(path))) > 0) {
      return domain::InvalidInput("INVALID_UPDATE_MASK", where,
                                  absl::StrCat("\"", path, "\" is output only"));
    }
  }
  return absl::OkStatus();
}

void ApplyUpdateMask(const Message& in, const FieldMask& mask, const OutputOnlyFields& output_only,
                     Message* stored) {
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  const FieldMask effective = IsStar(mask) ? AllInputFields(in.GetDescriptor(), output_only) : mask;
  FieldMaskUtil::MergeMessageTo(in, effective, options, stored);
}

FieldMask PopulatedFields(const Message& in, const OutputOnlyFields& output_only,
                          const std::set<std::string>& except) {
  std::vector<const FieldDescriptor*> set_fields;
  in.GetReflection()->ListFields(in, &set_fields);
  FieldMask mask;
  for (const FieldDescriptor* f : set_fields) {
    if (output_only.count(f->name()) > 0 || except.count(f->name()) > 0) continue;
    mask.add_paths(f->name());
  }
  return mask;
}

}  // namespace collections::app
