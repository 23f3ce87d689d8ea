#include "service/server/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace collections::server {
namespace {

std::string Escape(absl::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return absl::StrCat(static_cast<int64_t>(v));
  return absl::StrCat(v);
}

// Adds `extra` (e.g. le="0.5") inside a rendered label set.
std::string WithLabel(const std::string& labels, absl::string_view extra) {
  if (labels.empty()) return absl::StrCat("{", extra, "}");
  return absl::StrCat(labels.substr(0, labels.size() - 1), ",", extra, "}");
}

void Header(std::string* out, absl::string_view name, absl::string_view help,
            absl::string_view type) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

}  // namespace

const std::vector<double>& LatencyBuckets() {
  static const auto* b = new std::vector<double>{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return *b;
}

std::string RenderLabels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    absl::StrAppend(&out, i ? "," : "", labels[i].first, "=\"", Escape(labels[i].second), "\"");
  }
  return out + "}";
}

// A rendered label set without its tenant label:
// {tenant="a",outcome="x"} -> {outcome="x"}. Values are escaped, so the
// label ends at the first quote not preceded by a backslash.
std::string WithoutTenant(const std::string& rendered) {
  const size_t at = rendered.find("tenant=\"");
  if (at == std::string::npos || (at != 1 && rendered[at - 1] != ',')) return rendered;
  size_t end = at + 8;  // the closing quote
  while (end < rendered.size() && !(rendered[end] == '"' && rendered[end - 1] != '\\')) ++end;
  // Remove [from, to): the label and one comma beside it.
  size_t from = at;
  size_t to = std::min(rendered.size(), end + 1);
  if (to < rendered.size() && rendered[to] == ',') {
    ++to;
  } else if (from > 1 && rendered[from - 1] == ',') {
    --from;
  }
  const std::string out = rendered.substr(0, from) + rendered.substr(to);
  return out == "{}" ? "" : out;
}

void MetricsRegistry::Merge(Series* into, const Series& s) {
  into->value += s.value;
  if (into->buckets.size() < s.buckets.size()) into->buckets.resize(s.buckets.size(), 0);
  for (size_t i = 0; i < s.buckets.size(); ++i) into->buckets[i] += s.buckets[i];
  into->count += s.count;
  into->sum += s.sum;
}

void MetricsRegistry::Declare(absl::string_view name, absl::string_view help,
                              absl::string_view type, std::vector<double> bounds) {
  absl::MutexLock l(&mu_);
  if (families_.find(name) != families_.end()) return;
  Family& f = families_[std::string(name)];
  f.help = std::string(help);
  f.type = std::string(type);
  f.bounds = std::move(bounds);
}

void MetricsRegistry::Count(absl::string_view name, const Labels& labels, double n) {
  const std::string key = RenderLabels(labels);
  absl::MutexLock l(&mu_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{"", "counter", {}, {}}).first;
  }
  it->second.series[key].value += n;
}

void MetricsRegistry::Observe(absl::string_view name, const Labels& labels, double value) {
  const std::string key = RenderLabels(labels);
  absl::MutexLock l(&mu_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type != "histogram") return;
  Family& f = it->second;
  Series& s = f.series[key];
  if (s.buckets.empty()) s.buckets.assign(f.bounds.size(), 0);
  const size_t i = std::lower_bound(f.bounds.begin(), f.bounds.end(), value) - f.bounds.begin();
  if (i < s.buckets.size()) ++s.buckets[i];
  ++s.count;
  s.sum += value;
}

void MetricsRegistry::AddGauge(absl::string_view name, absl::string_view help,
                               std::function<Samples()> fn) {
  absl::MutexLock l(&mu_);
  gauges_.push_back({std::string(name), std::string(help), std::move(fn)});
}

std::string MetricsRegistry::Render(bool per_tenant) {
  std::vector<Gauge> gauges;
  std::string out;
  {
    absl::MutexLock l(&mu_);
    gauges = gauges_;
    for (const auto& [name, f] : families_) {
      Header(&out, name, f.help.empty() ? name : f.help, f.type);
      std::map<std::string, Series> merged;
      if (!per_tenant) {
        for (const auto& [labels, s] : f.series) Merge(&merged[WithoutTenant(labels)], s);
      }
      for (const auto& [labels, s] : per_tenant ? f.series : merged) {
        if (f.type != "histogram") {
          absl::StrAppend(&out, name, labels, " ", Number(s.value), "\n");
          continue;
        }
        uint64_t cumulative = 0;
        for (size_t i = 0; i < f.bounds.size(); ++i) {
          cumulative += s.buckets[i];
          absl::StrAppend(&out, name, "_bucket",
                          WithLabel(labels, absl::StrCat("le=\"", Number(f.bounds[i]), "\"")), " ",
                          cumulative, "\n");
        }
        absl::StrAppend(&out, name, "_bucket", WithLabel(labels, "le=\"+Inf\""), " ", s.count, "\n",
                        name, "_sum", labels, " ", Number(s.sum), "\n", name, "_count", labels, " ",
                        s.count, "\n");
      }
    }
  }
  // Gauges of one name may come from several callbacks: group them.
  std::map<std::string, std::pair<std::string, Samples>> by_name;
  for (const auto& g : gauges) {
    auto& entry = by_name[g.name];
    if (entry.first.empty()) entry.first = g.help;
    Samples s = g.fn();
    entry.second.insert(entry.second.end(), s.begin(), s.end());
  }
  for (const auto& [name, entry] : by_name) {
    Header(&out, name, entry.first, "gauge");
    std::map<std::string, double> rendered;  // summed when tenants are merged
    for (const auto& [labels, value] : entry.second) {
      if (per_tenant) {
        absl::StrAppend(&out, name, RenderLabels(labels), " ", Number(value), "\n");
        continue;
      }
      Labels kept;
      for (const auto& l : labels) {
        if (l.first != "tenant") kept.push_back(l);
      }
      rendered[RenderLabels(kept)] += value;
    }
    for (const auto& [labels, value] : rendered) {
      absl::StrAppend(&out, name, labels, " ", Number(value), "\n");
    }
  }
  return out;
}

}  // namespace collections::server
