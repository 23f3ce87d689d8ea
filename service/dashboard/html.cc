#include "service/dashboard/html.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "service/base/money.h"

namespace collections::dashboard {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string UrlDecode(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 &&
               HexValue(in[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

}  // namespace

std::string Escape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
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
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string UrlEncode(absl::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseForm(absl::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  for (absl::string_view part : absl::StrSplit(body, '&', absl::SkipEmpty())) {
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) {
      out.emplace_back(UrlDecode(part), "");
    } else {
      out.emplace_back(UrlDecode(part.substr(0, eq)), UrlDecode(part.substr(eq + 1)));
    }
  }
  return out;
}

std::string Field(const std::vector<std::pair<std::string, std::string>>& pairs,
                  absl::string_view name) {
  for (const auto& [k, v] : pairs) {
    if (k == name) return v;
  }
  return "";
}

std::string Money(const v1::Money& m) {
  if (m.currency_code().empty()) return "-";
  return domain::FormatMoney({m.currency_code(), m.minor_units()});
}

std::string Day(const v1::Date& d) {
  if (d.year() == 0) return "-";
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

std::string Day(absl::CivilDay d) { return absl::FormatCivilTime(d); }

std::string Instant(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

std::string Words(absl::string_view enum_name, absl::string_view strip) {
  absl::ConsumePrefix(&enum_name, strip);
  std::string out = absl::AsciiStrToLower(enum_name);
  absl::StrReplaceAll({{"_", " "}}, &out);
  return out;
}

std::string CsrfField(absl::string_view csrf) {
  return absl::StrCat("<input type=\"hidden\" name=\"csrf\" value=\"", Escape(csrf), "\">");
}

std::string Page(const Frame& frame, absl::string_view body) {
  std::string nav;
  if (!frame.csrf.empty()) {
    auto link = [&](absl::string_view key, absl::string_view href, absl::string_view text) {
      return absl::StrCat("<a href=\"", href, "\"",
                          frame.active == key ? " aria-current=\"page\"" : "", ">", text, "</a>");
    };
    nav = absl::StrCat("<nav>", link("overview", "/dashboard/overview", "Overview"),
                       link("queue", "/dashboard/queue", "Work queue"),
                       "</nav><div class=\"who\"><span>tenant <b>", Escape(frame.tenant),
                       "</b></span><form method=\"post\" action=\"/dashboard/signout\">",
                       CsrfField(frame.csrf),
                       "<button type=\"submit\">Sign out</button></form></div>");
  }
  return absl::StrCat(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>",
      Escape(frame.title),
      " · collections</title><link rel=\"stylesheet\" href=\"/dashboard/assets/dashboard.css\">"
      "</head><body><header class=\"top\"><a href=\"/dashboard/overview\"><b>collections</b></a>",
      nav, "</header><main>", body, "</main></body></html>\n");
}

}  // namespace collections::dashboard
