// A read-through cache of customers' documents for the length of one
// transaction. A call about one customer (an account summary, a
// recommendation, the case keeper moving a case) lists that customer's
// documents kind by kind: payments, credit notes, promises, plans, disputes,
// fees... one query each, and on PostgreSQL one round trip each. Through
// this decorator the first listing of a customer reads every document of
// the configured kinds in one query (Transaction::ListCustomerDocs); the
// listings and lookups by id that follow are answered from memory.
//
// Exactness: the cache lives inside one transaction attempt, whose snapshot
// does not move, and it sees that transaction's own writes (PutDoc and
// DeleteDoc update it, including a document that changes customer), so every
// answer equals the backend's. Kinds outside the set, listings across all
// customers and the other lookups pass through.
//
// Bounds: a customer with more than kMaxDocsPerCustomer documents of those
// kinds is not cached (its listings pass through, page by page), and the
// cache holds kMaxCustomers customers at most; past that it starts over.
#ifndef COLLECTIONS_STORE_CUSTOMER_DOC_CACHE_H_
#define COLLECTIONS_STORE_CUSTOMER_DOC_CACHE_H_

#include <memory>
#include <string>
#include <vector>

#include "service/store/store.h"

namespace collections::store {

inline constexpr int kMaxDocsPerCustomer = 2000;
inline constexpr int kMaxCustomers = 256;

// Wraps `store` so that every transaction caches the documents of `kinds`
// per customer. Thread-safe as `store` is (each transaction has its own
// cache).
std::unique_ptr<Store> WithCustomerDocCache(std::unique_ptr<Store> store,
                                            std::vector<std::string> kinds);

// The same decorator over one transaction, for code that already holds one.
// `kinds` must outlive it.
std::unique_ptr<Transaction> CachingTransaction(Transaction& tx,
                                                const std::vector<std::string>& kinds);

}  // namespace collections::store

#endif  // COLLECTIONS_STORE_CUSTOMER_DOC_CACHE_H_
