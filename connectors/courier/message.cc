#include "connectors/courier/message.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "service/base/json_text.h"

namespace collections::courier {

namespace v1 = ::collections_sidecar::v1;
namespace {

using base::JsonEscape;

bool IsAscii(absl::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80 || c == '\r' || c == '\n') return false;
  }
  return true;
}

// A header value: as is when printable ASCII, else an RFC 2047 encoded word.
std::string HeaderText(absl::string_view s) {
  if (IsAscii(s)) return std::string(s);
  return absl::StrCat("=?UTF-8?B?", absl::Base64Escape(s), "?=");
}

// "Name <addr>" with the name quoted or encoded.
std::string Mailbox(absl::string_view name, absl::string_view address) {
  if (name.empty()) return std::string(address);
  if (IsAscii(name)) {
    std::string quoted;
    for (char c : name) {
      if (c == '"' || c == '\\') quoted.push_back('\\');
      quoted.push_back(c);
    }
    return absl::StrCat("\"", quoted, "\" <", address, ">");
  }
  return absl::StrCat(HeaderText(name), " <", address, ">");
}

// Base64 in lines of 76 characters (RFC 2045 §6.8).
std::string Base64Lines(absl::string_view data) {
  const std::string b64 = absl::Base64Escape(data);
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) absl::StrAppend(&out, b64.substr(i, 76), "\r\n");
  return out;
}

std::string HtmlEscape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// One line of text with its URLs as links.
std::string LineToHtml(absl::string_view line) {
  std::string out;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t http = line.find("http", pos);
    if (http == absl::string_view::npos || !(absl::StartsWith(line.substr(http), "https://") ||
                                             absl::StartsWith(line.substr(http), "http://"))) {
      if (http == absl::string_view::npos) {
        out += HtmlEscape(line.substr(pos));
        break;
      }
      out += HtmlEscape(line.substr(pos, http + 4 - pos));
      pos = http + 4;
      continue;
    }
    out += HtmlEscape(line.substr(pos, http - pos));
    size_t end = line.find_first_of(" \t<>\"", http);
    if (end == absl::string_view::npos) end = line.size();
    // A sentence's full stop or comma is not part of the URL.
    while (end > http && absl::string_view(".,;:)").find(line[end - 1]) != absl::string_view::npos)
      --end;
    const std::string url = HtmlEscape(line.substr(http, end - http));
    absl::StrAppend(&out, "<a href=\"", url, "\">", url, "</a>");
    pos = end;
  }
  return out;
}

std::string NormalizedNewlines(absl::string_view text) {
  std::string s = absl::StrReplaceAll(text, {{"\r\n", "\n"}});
  return s;
}

}  // namespace

ActionKey KeyOf(absl::string_view action_name) {
  std::vector<std::string> parts = absl::StrSplit(action_name, '/');
  if (parts.size() != 4 || parts[0] != "tenants" || parts[2] != "outboxActions") return {};
  return {parts[1], parts[3]};
}

std::string MessageIdFor(absl::string_view action_name, absl::string_view domain) {
  const ActionKey key = KeyOf(action_name);
  return absl::StrCat("<", key.id, ".", key.tenant, "@", domain, ">");
}

std::string TextToHtml(absl::string_view text) {
  const std::string normalized = NormalizedNewlines(text);
  std::vector<std::string> paragraphs;
  for (absl::string_view para : absl::StrSplit(normalized, "\n\n", absl::SkipWhitespace())) {
    std::vector<std::string> lines;
    for (absl::string_view line : absl::StrSplit(para, '\n')) lines.push_back(LineToHtml(line));
    paragraphs.push_back(absl::StrCat("<p>", absl::StrJoin(lines, "<br>\n"), "</p>"));
  }
  return absl::StrCat(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n"
      "<body style=\"font-family: sans-serif; line-height: 1.4; max-width: 40em\">\n",
      absl::StrJoin(paragraphs, "\n"), "\n</body></html>\n");
}

std::string ComposeEmail(const v1::OutboxAction& action, const EmailParts& parts, absl::Time now) {
  const std::string message_id = MessageIdFor(action.name(), parts.message_id_domain);
  // The boundary cannot occur in base64 text (it contains '=' and '_').
  const std::string boundary = absl::StrCat("=_collections_", KeyOf(action.name()).id);
  std::string m;
  absl::StrAppend(&m, "From: ", Mailbox(parts.from_name, parts.from), "\r\n");
  absl::StrAppend(&m, "To: ", action.recipient(), "\r\n");
  if (!parts.reply_to.empty()) absl::StrAppend(&m, "Reply-To: ", parts.reply_to, "\r\n");
  absl::StrAppend(&m, "Subject: ", HeaderText(action.subject()), "\r\n");
  absl::StrAppend(
      &m, "Date: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", now, absl::UTCTimeZone()),
      "\r\n");
  absl::StrAppend(&m, "Message-ID: ", message_id, "\r\n");
  absl::StrAppend(&m, "MIME-Version: 1.0\r\n");
  absl::StrAppend(&m, "X-Collections-Action: ", action.name(), "\r\n");
  absl::StrAppend(&m, "Content-Type: multipart/alternative; boundary=\"", boundary, "\"\r\n\r\n");
  absl::StrAppend(
      &m, "--", boundary, "\r\n",
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n",
      Base64Lines(absl::StrReplaceAll(NormalizedNewlines(action.body()), {{"\n", "\r\n"}})));
  absl::StrAppend(&m, "--", boundary, "\r\n",
                  "Content-Type: text/html; charset=utf-8\r\n"
                  "Content-Transfer-Encoding: base64\r\n\r\n",
                  Base64Lines(TextToHtml(action.body())));
  absl::StrAppend(&m, "--", boundary, "--\r\n");
  return m;
}

std::string FindPaymentLink(absl::string_view text, absl::string_view link_template) {
  const absl::string_view prefix = link_template.substr(0, link_template.find("{{"));
  if (prefix.size() < std::string("https://x").size()) return "";
  const size_t start = text.find(prefix);
  if (start == absl::string_view::npos) return "";
  size_t end = text.find_first_of(" \t\r\n<>\"", start);
  if (end == absl::string_view::npos) end = text.size();
  while (end > start && absl::string_view(".,;:)").find(text[end - 1]) != absl::string_view::npos)
    --end;
  return std::string(text.substr(start, end - start));
}

std::string WebhookJson(const v1::OutboxAction& action, absl::string_view payment_link,
                        absl::string_view pdf) {
  const v1::Recommendation& rec = action.recommendation();
  const ActionKey key = KeyOf(action.name());
  std::vector<std::string> invoices;
  for (const std::string& i : rec.invoices())
    invoices.push_back(absl::StrCat("\"", JsonEscape(i), "\""));
  std::vector<std::string> amounts;
  for (const v1::Money& a : rec.amounts()) {
    amounts.push_back(absl::StrCat("{\"currency_code\":\"", JsonEscape(a.currency_code()),
                                   "\",\"minor_units\":", a.minor_units(), "}"));
  }
  std::string out = absl::StrCat(
      "{\"action\":\"", JsonEscape(action.name()), "\",\"action_id\":\"", JsonEscape(key.id),
      "\",\"tenant\":\"", JsonEscape(key.tenant), "\",\"customer\":\"",
      JsonEscape(action.customer()), "\",\"channel\":\"", v1::Channel_Name(rec.channel()),
      "\",\"action_kind\":\"", v1::Recommendation::Action_Name(rec.action()), "\",\"stage\":\"",
      v1::CollectionStage_Name(rec.stage()), "\",\"recipient\":\"", JsonEscape(action.recipient()),
      "\",\"subject\":\"", JsonEscape(action.subject()), "\",\"text\":\"",
      JsonEscape(action.body()), "\",\"payment_link\":\"", JsonEscape(payment_link),
      "\",\"invoices\":[", absl::StrJoin(invoices, ","), "],\"amounts\":[",
      absl::StrJoin(amounts, ","), "],\"create_time\":\"",
      google::protobuf::util::TimeUtil::ToString(action.create_time()), "\"");
  if (!pdf.empty()) absl::StrAppend(&out, ",\"pdf_base64\":\"", absl::Base64Escape(pdf), "\"");
  absl::StrAppend(&out, "}");
  return out;
}

}  // namespace collections::courier
