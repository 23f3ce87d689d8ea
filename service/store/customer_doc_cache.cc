#include "service/store/customer_doc_cache.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "service/base/status_macros.h"
#include "service/store/store_wrapper.h"

namespace collections::store {
namespace {

// (kind, id): std::string orders bytes as unsigned, like SQLite's BINARY
// and PostgreSQL's "C" collation, so ranges here match the backends' pages.
using DocKey = std::pair<std::string, std::string>;

class DocCachingTransaction : public TransactionWrapper {
 public:
  DocCachingTransaction(Transaction& target, const std::vector<std::string>& kinds)
      : TransactionWrapper(target), kind_list_(kinds), kinds_(kinds.begin(), kinds.end()) {}

  absl::StatusOr<std::vector<Doc>> ListDocs(absl::string_view kind, absl::string_view customer,
                                            absl::string_view after_id, int limit) override {
    if (customer.empty() || !kinds_.contains(kind)) {
      return target().ListDocs(kind, customer, after_id, limit);
    }
    ASSIGN_OR_RETURN(const Customer* c, Load(customer));
    if (c == nullptr) return target().ListDocs(kind, customer, after_id, limit);
    std::vector<Doc> out;
    for (auto it = c->docs.upper_bound(DocKey(kind, after_id));
         it != c->docs.end() && it->first.first == kind && static_cast<int>(out.size()) < limit;
         ++it) {
      out.push_back(it->second);
    }
    return out;
  }

  absl::StatusOr<std::optional<Doc>> GetDoc(absl::string_view kind, absl::string_view id) override {
    if (kinds_.contains(kind)) {
      auto where = owner_.find(DocKey(kind, id));
      if (where != owner_.end()) {
        const Customer& c = customers_.at(where->second);
        return c.docs.at(where->first);
      }
    }
    return target().GetDoc(kind, id);
  }

  absl::Status PutDoc(const Doc& doc) override {
    RETURN_IF_ERROR(target().PutDoc(doc));
    if (!kinds_.contains(doc.kind)) return absl::OkStatus();
    DocKey key(doc.kind, doc.id);
    Forget(key);
    auto c = customers_.find(doc.customer);
    if (c != customers_.end() && c->second.complete) {
      c->second.docs[key] = doc;
      owner_[key] = doc.customer;
    }
    return absl::OkStatus();
  }

  absl::Status DeleteDoc(absl::string_view kind, absl::string_view id) override {
    RETURN_IF_ERROR(target().DeleteDoc(kind, id));
    if (kinds_.contains(kind)) Forget(DocKey(kind, id));
    return absl::OkStatus();
  }

 private:
  struct Customer {
    // False for a customer with too many documents to hold: its listings
    // pass through.
    bool complete = false;
    std::map<DocKey, Doc> docs;
  };

  // The customer's cached documents, read on first use; nullptr when the
  // customer has too many to hold.
  absl::StatusOr<const Customer*> Load(absl::string_view customer) {
    auto it = customers_.find(customer);
    if (it == customers_.end()) {
      if (customers_.size() >= static_cast<size_t>(kMaxCustomers)) {
        customers_.clear();
        owner_.clear();
      }
      ASSIGN_OR_RETURN(std::vector<Doc> docs,
                       target().ListCustomerDocs(customer, kind_list_, kMaxDocsPerCustomer + 1));
      Customer c;
      c.complete = docs.size() <= static_cast<size_t>(kMaxDocsPerCustomer);
      if (c.complete) {
        for (Doc& d : docs) {
          DocKey key(d.kind, d.id);
          owner_[key] = std::string(customer);
          c.docs.emplace(std::move(key), std::move(d));
        }
      }
      it = customers_.emplace(std::string(customer), std::move(c)).first;
    }
    return it->second.complete ? &it->second : nullptr;
  }

  // Drops `key` from whichever customer holds it.
  void Forget(const DocKey& key) {
    auto where = owner_.find(key);
    if (where == owner_.end()) return;
    customers_.at(where->second).docs.erase(key);
    owner_.erase(where);
  }

  const std::vector<std::string>& kind_list_;
  const absl::flat_hash_set<std::string> kinds_;
  absl::flat_hash_map<std::string, Customer> customers_;
  // Which cached customer holds each cached document.
  absl::flat_hash_map<DocKey, std::string> owner_;
};

class DocCachingStore : public StoreWrapper {
 public:
  DocCachingStore(std::unique_ptr<Store> target, std::vector<std::string> kinds)
      : StoreWrapper(std::move(target)), kinds_(std::move(kinds)) {}

  absl::Status Run(absl::string_view tenant, TxMode mode,
                   const std::function<absl::Status(Transaction&)>& fn) override {
    return target().Run(tenant, mode, [&](Transaction& tx) {
      DocCachingTransaction cached(tx, kinds_);
      return fn(cached);
    });
  }

 private:
  const std::vector<std::string> kinds_;
};

}  // namespace

std::unique_ptr<Store> WithCustomerDocCache(std::unique_ptr<Store> store,
                                            std::vector<std::string> kinds) {
  return std::make_unique<DocCachingStore>(std::move(store), std::move(kinds));
}

std::unique_ptr<Transaction> CachingTransaction(Transaction& tx,
                                                const std::vector<std::string>& kinds) {
  return std::make_unique<DocCachingTransaction>(tx, kinds);
}

}  // namespace collections::store
