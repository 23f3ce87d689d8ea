// The overview and the work queue (dashboard.h).
#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "collections_sidecar/v1/recovery.pb.h"
#include "service/app/customer_search.h"
#include "service/app/ledger_app.h"
#include "service/app/portfolio.h"
#include "service/app/recovery_app.h"
#include "service/base/money.h"
#include "service/base/resource_names.h"
#include "service/dashboard/dashboard.h"
#include "service/dashboard/html.h"
#include "service/domain/ledger.h"

namespace collections::dashboard {
namespace {

// Month-ends before the chosen day shown in the trends.
constexpr int kTrendMonths = 5;
// Promise records read for "promises due this week" (app/portfolio.h).
constexpr int kPromiseScanLimit = 2000;
constexpr int kQueuePageSize = 50;
constexpr int kSearchResults = 20;

// Major units of `currency` for a chart axis (exact to the cent is not
// needed there; the tables show exact figures).
double Major(int64_t minor, const std::string& currency) {
  absl::StatusOr<int> e = domain::CurrencyExponent(currency);
  return static_cast<double>(minor) / std::pow(10.0, e.ok() ? *e : 2);
}

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '<') {
      out += "\\u003c";  // never closes the <script> it sits in
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Cents(int64_t centi) { return absl::StrFormat("%.1f", centi / 100.0); }

// The as_of of a request: ?as_of=YYYY-MM-DD, else today on the service's clock.
absl::CivilDay AsOf(const HttpRequest& req, const domain::Clock& clock, std::string* error) {
  const std::string text = req.Query("as_of");
  absl::CivilDay day;
  if (!text.empty() && absl::ParseCivilTime(text, &day)) return day;
  if (!text.empty())
    *error = absl::StrCat("\"", text, "\" is not a day (YYYY-MM-DD); showing today.");
  return clock.TodayUtc();
}

std::string MoneyCell(const std::string& currency, int64_t minor) {
  return absl::StrCat("<td class=\"num\">", Escape(domain::FormatMoney({currency, minor})),
                      "</td>");
}

std::string CustomerLink(const std::string& resource, const std::string& display_name) {
  absl::StatusOr<app::CustomerName> cn = app::ParseCustomerName(resource, "customer");
  const std::string id = cn.ok() ? cn->customer : resource;
  return absl::StrCat("<a class=\"account\" href=\"/dashboard/accounts/", UrlEncode(id), "\">",
                      Escape(display_name.empty() ? id : display_name), "</a>");
}

}  // namespace

HttpResponse Dashboard::Overview(const Caller& caller, const HttpRequest& req) {
  std::string warning;
  const absl::CivilDay as_of = AsOf(req, clock_, &warning);
  std::vector<absl::CivilDay> days;
  for (int k = kTrendMonths; k >= 1; --k) {
    days.push_back(absl::CivilDay(absl::CivilMonth(as_of) - (k - 1)) - 1);  // month-ends
  }
  days.push_back(as_of);
  absl::StatusOr<std::vector<app::PortfolioPoint>> trend =
      app::PortfolioTrend(apps_.ledger->store(), caller.ctx, caller.tenant, days);
  const Frame frame{"Overview", caller.tenant, caller.session.csrf, "overview"};
  if (!trend.ok())
    return HtmlResponse(HttpStatusOf(trend.status()), Page(frame, ErrorNotice(trend.status())));
  absl::StatusOr<std::vector<domain::BucketSpec>> buckets =
      domain::MakeBuckets(app::kPortfolioBucketBounds);
  if (!buckets.ok()) return HtmlResponse(500, Page(frame, ErrorNotice(buckets.status())));
  const app::PortfolioPoint& today = trend->back();

  std::string body = absl::StrCat(
      "<h1>Overview</h1><form class=\"inline\" method=\"get\" action=\"/dashboard/overview\">"
      "<label>As of <input type=\"date\" name=\"as_of\" value=\"",
      Day(as_of), "\"></label><button type=\"submit\">Show</button></form>");
  if (!warning.empty())
    absl::StrAppend(&body, "<div class=\"notice error\">", Escape(warning), "</div>");

  // Figures of the day.
  body += "<div class=\"cards\" id=\"totals\">";
  if (today.currencies.empty()) {
    body +=
        "<div class=\"card\"><div class=\"label\">Open receivables</div><div "
        "class=\"value\">none</div></div>";
  }
  for (const auto& [ccy, p] : today.currencies) {
    const int share =
        p.balance > 0 ? static_cast<int>((static_cast<__int128>(p.overdue) * 100) / p.balance) : 0;
    absl::StrAppend(
        &body, "<div class=\"card\"><div class=\"label\">Open, ", Escape(ccy),
        "</div><div class=\"value\">", Escape(domain::FormatMoney({ccy, p.balance})),
        "</div></div><div class=\"card\"><div class=\"label\">Overdue, ", Escape(ccy),
        "</div><div class=\"value overdue\">", Escape(domain::FormatMoney({ccy, p.overdue})),
        "</div><div class=\"label\">", share,
        "% of open</div></div><div class=\"card\"><div "
        "class=\"label\">DSO, ",
        Escape(ccy), "</div><div class=\"value\">", Cents(p.dso_centi), " days</div></div>");
  }
  body += "</div>";

  // Charts: the figures go to the page as JSON; dashboard.js draws them.
  std::vector<std::string> labels, currencies;
  for (const auto& point : *trend) labels.push_back(JsonString(Day(point.day)));
  std::set<std::string> codes;
  for (const auto& point : *trend) {
    for (const auto& [ccy, p] : point.currencies) codes.insert(ccy);
  }
  body += "<h2>Aged receivables and DSO</h2><div class=\"charts\">";
  for (const std::string& ccy : codes) {
    std::vector<std::string> series;
    for (size_t b = 0; b < buckets->size(); ++b) {
      std::vector<std::string> values;
      for (const auto& point : *trend) {
        auto it = point.currencies.find(ccy);
        const int64_t v = it == point.currencies.end() || b >= it->second.buckets.size()
                              ? 0
                              : it->second.buckets[b];
        values.push_back(absl::StrFormat("%.2f", Major(v, ccy)));
      }
      series.push_back(absl::StrCat("{\"label\":", JsonString((*buckets)[b].label), ",\"values\":[",
                                    absl::StrJoin(values, ","), "]}"));
    }
    std::vector<std::string> dso;
    for (const auto& point : *trend) {
      auto it = point.currencies.find(ccy);
      dso.push_back(it == point.currencies.end() ? "null" : Cents(it->second.dso_centi));
    }
    currencies.push_back(absl::StrCat("{\"code\":", JsonString(ccy), ",\"buckets\":[",
                                      absl::StrJoin(series, ","), "],\"dso\":[",
                                      absl::StrJoin(dso, ","), "]}"));
    absl::StrAppend(&body, "<div class=\"chart\"><canvas data-chart=\"aging\" data-currency=\"",
                    Escape(ccy), "\" aria-label=\"Aged receivables in ", Escape(ccy),
                    " by month-end\"></canvas></div>");
  }
  if (!codes.empty()) {
    body +=
        "<div class=\"chart\"><canvas data-chart=\"dso\" aria-label=\"DSO trend\"></canvas></div>";
  }
  absl::StrAppend(&body, "</div><script type=\"application/json\" id=\"chart-data\">{\"labels\":[",
                  absl::StrJoin(labels, ","), "],\"currencies\":[", absl::StrJoin(currencies, ","),
                  "]}</script><script src=\"/dashboard/assets/chart.umd.js\"></script>"
                  "<script src=\"/dashboard/assets/dashboard.js\"></script>");

  // The same figures as a table, exact.
  absl::StrAppend(
      &body, "<h2>Aged receivables as of ", Day(as_of),
      "</h2><div class=\"table-wrap\"><table id=\"aging\"><thead><tr><th>Currency</th>");
  for (const auto& b : *buckets)
    absl::StrAppend(&body, "<th class=\"num\">", Escape(b.label), "</th>");
  body +=
      "<th class=\"num\">Open</th><th class=\"num\">Overdue</th><th class=\"num\">DSO "
      "(days)</th></tr></thead><tbody>";
  for (const auto& [ccy, p] : today.currencies) {
    absl::StrAppend(&body, "<tr><td>", Escape(ccy), "</td>");
    for (size_t b = 0; b < buckets->size(); ++b) {
      body += MoneyCell(ccy, b < p.buckets.size() ? p.buckets[b] : 0);
    }
    absl::StrAppend(&body, MoneyCell(ccy, p.balance), MoneyCell(ccy, p.overdue),
                    "<td class=\"num\">", Cents(p.dso_centi), "</td></tr>");
  }
  body += "</tbody></table></div>";

  // Promises due in the week of as_of (Monday to Sunday).
  const absl::CivilDay monday =
      as_of -
      ((static_cast<int>(absl::GetWeekday(as_of)) - static_cast<int>(absl::Weekday::monday) + 7) %
       7);
  const absl::CivilDay sunday = monday + 6;
  bool truncated = false;
  absl::StatusOr<std::vector<app::PromiseDue>> promises =
      app::PromisesDue(apps_.ledger->store(), caller.ctx, caller.tenant, monday, sunday,
                       kPromiseScanLimit, &truncated);
  absl::StrAppend(&body, "<h2>Promises due this week (", Day(monday), " to ", Day(sunday),
                  ")</h2>");
  if (!promises.ok()) {
    body += ErrorNotice(promises.status());
  } else if (promises->empty()) {
    body += "<p class=\"muted\" id=\"promises\">No pending promise falls due this week.</p>";
  } else {
    body +=
        "<div class=\"table-wrap\"><table id=\"promises\"><thead><tr><th>Due</th><th>Account</th>"
        "<th>Promised by</th><th class=\"num\">Amount</th></tr></thead><tbody>";
    for (const auto& p : *promises) {
      absl::StrAppend(&body, "<tr><td>", Day(p.promise.promised_date()), "</td><td>",
                      CustomerLink(p.customer, p.display_name), "</td><td>",
                      Escape(p.promise.promised_by()), "</td><td class=\"num\">",
                      Escape(Money(p.promise.amount())), "</td></tr>");
    }
    body += "</tbody></table></div>";
  }
  if (truncated) {
    absl::StrAppend(&body, "<p class=\"muted\">Only the first ", kPromiseScanLimit,
                    " promise records were read.</p>");
  }
  absl::StrAppend(&body, "<p><a href=\"/dashboard/queue?as_of=", Day(as_of),
                  "\">Open the work queue of ", Day(as_of), " &rarr;</a></p>");
  return HtmlResponse(200, Page(frame, body));
}

HttpResponse Dashboard::Queue(const Caller& caller, const HttpRequest& req) {
  std::string warning;
  const absl::CivilDay as_of = AsOf(req, clock_, &warning);
  const std::string owner = req.Query("owner");
  const std::string stage = req.Query("stage");
  const std::string segment = req.Query("segment");
  const std::string search = req.Query("q");
  const Frame frame{"Work queue", caller.tenant, caller.session.csrf, "queue"};

  auto option = [](const std::string& value, const std::string& text, const std::string& chosen) {
    return absl::StrCat("<option value=\"", Escape(value), "\"", value == chosen ? " selected" : "",
                        ">", Escape(text), "</option>");
  };
  std::string stages = option("", "any", stage);
  for (int s = 1; v1::CollectionStage_IsValid(s); ++s) {
    const std::string name = v1::CollectionStage_Name(static_cast<v1::CollectionStage>(s));
    stages += option(name, absl::StrCat("from ", Words(name, "STAGE_")), stage);
  }
  std::string body = absl::StrCat(
      "<h1>Work queue</h1><form class=\"inline\" method=\"get\" action=\"/dashboard/queue\" "
      "id=\"queue-filters\"><label>Search name or reference <input type=\"search\" name=\"q\" "
      "value=\"",
      Escape(search),
      "\" minlength=\"2\"></label>"
      "<label>As of <input type=\"date\" name=\"as_of\" value=\"",
      Day(as_of),
      "\"></label>"
      "<label>Owner <input name=\"owner\" value=\"",
      Escape(owner),
      "\" size=\"12\"></label>"
      "<label>Stage <select name=\"stage\">",
      stages,
      "</select></label>"
      "<label>Segment <select name=\"segment\">",
      option("", "all", segment), option("business", "business", segment),
      option("consumer", "consumer", segment),
      "</select></label><button type=\"submit\">Filter</button></form>");
  if (!warning.empty())
    absl::StrAppend(&body, "<div class=\"notice error\">", Escape(warning), "</div>");

  if (!search.empty()) {
    absl::StatusOr<std::vector<app::SearchHit>> hits = app::SearchCustomers(
        apps_.ledger->store(), caller.ctx, caller.tenant, search, kSearchResults);
    absl::StrAppend(&body, "<h2>Accounts matching \"", Escape(search), "\"</h2>");
    if (!hits.ok()) {
      body += ErrorNotice(hits.status());
    } else if (hits->empty()) {
      body +=
          "<p class=\"muted\" id=\"search-results\">No account has a name, reference or invoice "
          "number beginning so.</p>";
    } else {
      body += "<ul id=\"search-results\">";
      for (const app::SearchHit& h : *hits) {
        absl::StrAppend(&body, "<li>", CustomerLink(h.customer, h.display_name), "</li>");
      }
      body += "</ul>";
    }
    body += "<h2>Today's queue</h2>";
  }

  v1::ListWorkQueueRequest r;
  r.set_parent(app::TenantName(caller.tenant));
  *r.mutable_as_of() = app::ToProtoDate(as_of);
  r.set_assignee(owner);
  if (segment == "business") r.set_customer_kind(v1::CUSTOMER_KIND_BUSINESS);
  if (segment == "consumer") r.set_customer_kind(v1::CUSTOMER_KIND_CONSUMER);
  v1::CollectionStage min_stage;
  if (!stage.empty() && v1::CollectionStage_Parse(stage, &min_stage)) r.set_min_stage(min_stage);
  r.set_page_size(kQueuePageSize);
  r.set_page_token(req.Query("page_token"));
  absl::StatusOr<v1::ListWorkQueueResponse> queue = apps_.recovery->ListWorkQueue(caller.ctx, r);
  if (!queue.ok())
    return HtmlResponse(HttpStatusOf(queue.status()),
                        Page(frame, body + ErrorNotice(queue.status())));

  absl::StrAppend(&body, "<p class=\"muted\">", queue->total_size(),
                  " accounts need action, most urgent first.</p>"
                  "<div class=\"table-wrap\"><table id=\"queue\"><thead><tr><th>Account</th>"
                  "<th class=\"num\">Overdue</th><th class=\"num\">Oldest</th><th>Next step</th>"
                  "<th>Why</th><th>Owner</th></tr></thead><tbody>");
  for (const v1::WorkQueueItem& item : queue->items()) {
    const v1::Recommendation& rec = item.recommendation();
    std::vector<std::string> overdue, reasons, alerts;
    for (const auto& m : item.overdue()) overdue.push_back(Escape(Money(m)));
    for (const auto& reason : rec.reasons()) {
      reasons.push_back(absl::StrCat("<span title=\"", Escape(reason.code()), "\">",
                                     Escape(reason.text()), "</span>"));
    }
    for (int a : item.alerts()) {
      alerts.push_back(absl::StrCat(
          "<span class=\"tag alert\">",
          Escape(Words(v1::WorkQueueItem::Alert_Name(static_cast<v1::WorkQueueItem::Alert>(a)))),
          "</span>"));
    }
    absl::StrAppend(
        &body, "<tr><td>", CustomerLink(item.customer(), item.display_name()), "<br>",
        absl::StrJoin(alerts, ""), "</td><td class=\"num\">", absl::StrJoin(overdue, "<br>"),
        "</td><td class=\"num\">", item.oldest_days_past_due(), " d</td><td><b>",
        Escape(Words(v1::Recommendation::Action_Name(rec.action()))), "</b> <span class=\"muted\">",
        Escape(Words(v1::CollectionStage_Name(rec.stage()), "STAGE_")), "</span></td><td>",
        absl::StrJoin(reasons, "; "), "</td><td>", Escape(rec.assignee()), "</td></tr>");
  }
  body += "</tbody></table></div>";
  if (!queue->next_page_token().empty()) {
    absl::StrAppend(
        &body, "<p><a href=\"/dashboard/queue?as_of=", Day(as_of), "&owner=", UrlEncode(owner),
        "&stage=", UrlEncode(stage), "&segment=", UrlEncode(segment),
        "&page_token=", UrlEncode(queue->next_page_token()), "\">Next page &rarr;</a></p>");
  }
  return HtmlResponse(200, Page(frame, body));
}

}  // namespace collections::dashboard
